// NetlinkSocket: the adapter around a NETLINK_ROUTE socket (RAII, non-blocking). It sends
// batches (many messages in one sendmsg), receives whole datagrams into a reusable buffer and
// reports overruns (ENOBUFS: the kernel dropped events, the caller must re-dump).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/codec/netlink.h"
#include "core/fd.h"
#include "core/result.h"

namespace hr {

class NetlinkSocket {
 public:
  // groups: RTNLGRP_* numbers to join (not the legacy bitmask). rcvbuf: bytes, forced when
  // running as root. netnsPath: open the socket inside that network namespace (e.g.
  // /run/netns/asic) and return to the current one; empty = the current namespace.
  static Result<NetlinkSocket> open(
      std::span<const uint32_t> groups = {},
      int rcvbuf = 8 << 20,
      const std::string& netnsPath = {});

  int fd() const {
    return fd_.get();
  }
  uint32_t portId() const {
    return portId_;
  }
  uint32_t nextSeq() {
    return ++seq_;
  }

  // Sends one buffer (one or more messages). EAGAIN is returned as an error "again".
  Status send(std::span<const uint8_t> buf);

  // Receives one datagram. Returns the messages (views into an internal buffer valid until the
  // next recv), an empty vector when nothing is pending (EAGAIN), or an error: "overrun"
  // (ENOBUFS), "truncated", or a decode error.
  Result<std::vector<codec::nl::Message>> recv();

  // Blocking helper for start-up and tools: sends a dump request and collects every message
  // until NLMSG_DONE (handles NLM_F_MULTI). Times out after `timeoutMs`.
  Result<std::vector<std::vector<uint8_t>>> dump(
      uint16_t type, uint8_t family, int timeoutMs = 5000);

  // Blocking request with NLM_F_ACK semantics: sends `buf` (messages with NLM_F_ACK set) and
  // waits for one ACK/error per message; returns the errors by sequence number (0 = ok).
  Result<std::vector<std::pair<uint32_t, int>>> transact(
      std::span<const uint8_t> buf, size_t expectedAcks, int timeoutMs = 5000);

 private:
  Fd fd_;
  uint32_t portId_ = 0;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace hr

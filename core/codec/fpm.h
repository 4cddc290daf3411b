// FPM framing (zebra's Forwarding Plane Manager stream, module dplane_fpm_nl). Pure: no
// sockets here (fpm_client/fpm_server.* is the adapter).
//
// zebra is the TCP client; it streams frames, each a 4-byte header and a payload:
//
//    0               1               2               3
//   +---------------+---------------+-------------------------------+
//   | version = 1   | type = 1      | length (big-endian, includes  |
//   |               | (netlink)     | these 4 header bytes)         |
//   +---------------+---------------+-------------------------------+
//   | payload: one or more netlink messages in HOST byte order       |
//   | (zebra 8.4: one message, or RTM_DELROUTE + RTM_NEWROUTE for an |
//   |  update of an installed route; at most ~8196 bytes per frame)  |
//   +----------------------------------------------------------------+
//
// Type 2 (protobuf) exists in FRR's fpm/fpm.h but dplane_fpm_nl never sends it: it is
// refused here like any other unknown type. See /work/shared/FPM.md §0.1 and §2.
//
// TCP gives no message boundaries: FrameReader reassembles frames across reads (a frame may
// arrive one byte at a time) and reports a bad header as an error, after which the stream
// cannot be resynchronised: the caller resets the session.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"

namespace hr::codec::fpm {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kTypeNetlink = 1;
constexpr uint8_t kTypeProtobuf = 2;
constexpr size_t kHeaderLen = 4;
// The length field is 16 bits: no frame is longer.
constexpr size_t kMaxFrameLen = 0xffff;

struct FrameHeader {
  uint8_t version = kVersion;
  uint8_t type = kTypeNetlink;
  uint16_t length = 0;  // including the header

  size_t payloadLen() const {
    return length - kHeaderLen;
  }
};

// Checks a header: version 1, type netlink, length covering at least the header and one
// netlink message header (16 bytes): an empty frame carries nothing and is refused.
// Error codes: "truncated", "bad_version", "bad_type", "bad_length".
Result<FrameHeader> decodeHeader(std::span<const uint8_t> bytes);

// Appends a netlink frame (header + payload) to `out`. Error "too_long" beyond 65535 bytes.
Status encodeFrame(std::vector<uint8_t>& out, std::span<const uint8_t> payload);

// Stream reassembly. Feed whatever a read() returned, then pull complete frames:
//   reader.append(buf, n);
//   while (auto f = reader.next()) { if (!*f) break; use(**f); }   // see next()
class FrameReader {
 public:
  // `maxBuffered` bounds the bytes held (a whole frame never needs more than 64 KiB; the
  // caller stops reading the socket, it does not drop bytes).
  explicit FrameReader(size_t maxBuffered = 4 << 20) : max_(maxBuffered) {}

  // Appends received bytes. Returns false (and appends nothing) when that would exceed the
  // bound: read less, or drain frames first.
  bool append(std::span<const uint8_t> bytes);
  // Room left before the bound.
  size_t room() const {
    return max_ > buffered() ? max_ - buffered() : 0;
  }

  // The payload of the next complete frame (a view valid until the next append/next/reset),
  // nullopt when no complete frame is buffered, or the header's error. After an error the
  // reader stays failed until reset().
  Result<std::optional<std::span<const uint8_t>>> next();

  size_t buffered() const {
    return buf_.size() - pos_;
  }
  bool failed() const {
    return failed_;
  }
  uint64_t frames() const {
    return frames_;
  }
  void reset();

 private:
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  size_t max_;
  bool failed_ = false;
  Error error_;
  uint64_t frames_ = 0;
};

}  // namespace hr::codec::fpm

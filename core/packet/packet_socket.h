// PacketSocket: an AF_PACKET socket (the adapter for snooped and sent layer-2 frames: ARP,
// ND, VRRP). Non-blocking, RAII, optionally bound to one interface and filtered in the kernel
// by a classic BPF program so the daemon only wakes for the frames it wants.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/net/addr.h"
#include "core/result.h"

namespace hr {

struct ReceivedFrame {
  std::span<const uint8_t> data;  // the whole Ethernet frame, valid until the next recv
  int ifindex = 0;
  // PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING
  uint8_t pktType = 0;
  bool truncated = false;
  int64_t rxRealtimeNs = 0;  // kernel receive time (SO_TIMESTAMPNS, CLOCK_REALTIME), 0 = none
};

// What the kernel counted for the socket since the previous stats() call (PACKET_STATISTICS
// resets on read): frames queued, and frames dropped because the receive buffer was full.
struct PacketSocketStats {
  uint32_t packets = 0;
  uint32_t drops = 0;
};

class PacketSocket {
 public:
  ~PacketSocket();
  PacketSocket(PacketSocket&&) noexcept;
  PacketSocket& operator=(PacketSocket&&) noexcept;

  // ethertype in host order (ETH_P_ALL, ETH_P_ARP, ...). ifindex 0 = all interfaces.
  // netnsPath: open the socket inside that network namespace (e.g. /run/netns/red) and
  // return to the current one; the socket keeps working there (ifindexes are that
  // namespace's). Empty = the current namespace.
  static Result<PacketSocket> open(
      uint16_t ethertype,
      int ifindex = 0,
      std::span<const sock_filter> filter = {},
      const std::string& netnsPath = {});

  int fd() const {
    return fd_.get();
  }
  // Receives one frame; nullopt-equivalent (data empty, ifindex 0) when nothing is pending.
  Result<ReceivedFrame> recv();
  // Receives up to kBatch pending frames with one system call (recvmmsg); empty when nothing
  // is pending. The frames' data stay valid until the next recv() or recvBatch(). A frame
  // longer than kBatchFrameBytes comes back truncated (ReceivedFrame::truncated).
  static constexpr size_t kBatch = 32;
  static constexpr size_t kBatchFrameBytes = 9216;  // a jumbo frame
  Result<std::span<const ReceivedFrame>> recvBatch();
  // Sends a complete Ethernet frame (destination MAC first) out of ifindex.
  Status send(int ifindex, std::span<const uint8_t> frame);
  // Asks the kernel not to queue frames this host sends (PACKET_IGNORE_OUTGOING, Linux 4.20):
  // on a bridge every flooded broadcast is seen once more per egress port otherwise.
  Status ignoreOutgoing();
  // Reads and resets the kernel's counters for this socket.
  Result<PacketSocketStats> stats();
  // Joins a link-layer multicast group on ifindex (PACKET_ADD_MEMBERSHIP).
  Status addMembership(int ifindex, const MacAddress& mac);

 private:
  PacketSocket();
  struct Batch;
  Fd fd_;
  std::vector<uint8_t> buf_;
  std::unique_ptr<Batch> batch_;  // recvBatch()'s buffers, made on first use
};

}  // namespace hr

// PacketIo: the AF_PACKET adapter. One socket on all interfaces, filtered in the kernel by a
// classic BPF program to ARP, RARP and ICMPv6 NS/NA, so the daemon wakes only for those, and
// read up to 32 frames per system call (recvmmsg). A frame is attributed to its learning
// interface: a frame entering a bridge port belongs to the bridge (the port is recorded, so moves
// between ports are seen); the same frame seen again on the bridge device itself is skipped. Frames
// the switch sends (PACKET_OUTGOING, every flooded broadcast once per egress port) are not queued
// at all (PACKET_IGNORE_OUTGOING), and skipped if a kernel queues them anyway. Once a second the
// kernel's drop count for the socket (receive buffer full: a burst larger than 8 MB of frames while
// the loop was busy) is read into packets.socket_drops, with a warning at most once a minute.
// Probes are built with the ARP/ND codec and sent on the interface the host table chose (a bridge
// port to check one binding, else the L3 interface).
//
// Snooped -> observation:
//   ARP request/reply from S: (S.spa, S.sha), gratuitous when spa == tpa
//   ARP probe (spa 0.0.0.0): (tpa, sha) noted only (RFC 5227)
//   RARP (ethertype 0x8035, RFC 903): (sha) only, a hint for the hosts with that MAC
//   NS from a unicast source: (src, SLLA); DAD NS (src ::): (target, eth src) noted only
//   NA: (target, TLLA or eth src), solicited or unsolicited
// A sender hardware address that differs from the Ethernet source is dropped and counted
// (packets.sha_mismatch): proxies and spoofers, not hosts.
//
// One PacketIo per network namespace (NetnsScope): a netns VRF's socket is opened inside
// the VRF's namespace, its frames' ifindexes are mapped into that namespace's range before
// classify(), and its probes leave from inside the namespace.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "core/codec/arp_nd.h"
#include "core/counters.h"
#include "core/event_loop.h"
#include "core/packet/packet_socket.h"
#include "hostroute_learner/host_table.h"
#include "hostroute_learner/netns_scope.h"

namespace hr::learner {

class PacketIo {
 public:
  using ObserveFn = std::function<void(const Observation&, TimePoint rxTime)>;
  using LearningFn = std::function<bool(int l3ifindex)>;

  PacketIo(
      EventLoop& loop,
      const InterfaceDb& db,
      Counters& counters,
      LearningFn isLearning,
      ObserveFn observe,
      NetnsScope scope = {});
  ~PacketIo();
  PacketIo(const PacketIo&) = delete;
  PacketIo& operator=(const PacketIo&) = delete;

  Status start();
  // Sends a probe; p.sendIfindex is a learner ifindex of this namespace.
  Status send(const ProbeAction& p);
  const NetnsScope& scope() const {
    return scope_;
  }

  // Turns one received frame into an observation (nullopt: skipped, counted). Public for
  // tests.
  std::optional<Observation> classify(std::span<const uint8_t> frame, int ifindex, uint8_t pktType);

 private:
  void onReadable();
  void onFrame(const ReceivedFrame& f, TimePoint now, int64_t nowRealtimeNs);
  void readSocketStats();

  EventLoop& loop_;
  const InterfaceDb& db_;
  Counters& counters_;
  LearningFn isLearning_;
  ObserveFn observe_;
  NetnsScope scope_;
  std::optional<PacketSocket> sock_;
  Counter* cRx_;
  Counter* cMalformed_;
  Counter* cIgnored_;
  Counter* cOtherIf_;
  Counter* cOutgoing_;
  Counter* cDuplicateView_;
  Counter* cShaMismatch_;
  Counter* cTx_;
  Counter* cTxErrors_;
  Counter* cTruncated_;
  Counter* cSocketDrops_;
  Timer statsTimer_;
  uint64_t dropsSinceWarning_ = 0;
  std::optional<TimePoint> lastDropWarning_;
};

}  // namespace hr::learner

// VRRP on the wire (adapter): one AF_PACKET socket per parent interface (the SVI / bridge),
// filtered in the kernel to IPv4/IPv6 protocol 112, receiving and sending whole frames.
//
// Why the parent: the virtual-MAC interfaces are bridge-mode macvlans, and a frame whose
// source MAC is a local bridge-mode macvlan's MAC (every peer's advertisement: they are all
// sourced from the shared virtual MAC) is delivered to the parent only, never to the
// macvlans (shared/VRRP.md §1.3, P6). Sending on the parent with the virtual MAC as source
// works whether or not our macvlan is up (a withdrawn ToR still advertises).
// Frames we sent come back to the socket as PACKET_OUTGOING and are skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/packet/packet_socket.h"
#include "core/result.h"

namespace hr::vrrp {

class PacketIo {
 public:
  using FrameFn = std::function<void(int ifindex, std::span<const uint8_t> frame)>;

  PacketIo(EventLoop& loop, Counters& counters, FrameFn onFrame);
  ~PacketIo();
  PacketIo(const PacketIo&) = delete;
  PacketIo& operator=(const PacketIo&) = delete;

  // Opens (or keeps) the socket of `ifindex`; closes those not in `wanted`.
  void setInterfaces(const std::vector<int>& wanted);
  bool has(int ifindex) const {
    return sockets_.count(ifindex) != 0;
  }
  Status send(int ifindex, std::span<const uint8_t> frame);

 private:
  void onReadable(int ifindex);

  EventLoop& loop_;
  FrameFn onFrame_;
  std::map<int, std::unique_ptr<PacketSocket>> sockets_;
  Counter& rxFrames_;
  Counter& txFrames_;
  Counter& txErrors_;
  Counter& rxTruncated_;
  Counter& openErrors_;
};

}  // namespace hr::vrrp

// NeighWatcher: the netlink adapter. It keeps the learner's InterfaceDb current (links,
// addresses, VRF and bridge membership) and turns kernel neighbour entries into host-table
// observations: a dump at start (and after an overrun), then RTM_NEWNEIGH / RTM_DELNEIGH
// events. No polling of /proc.
//
// Neighbour states (NUD_*): REACHABLE and PERMANENT are evidence of life; STALE, DELAY and
// PROBE mean the kernel has an entry but no fresh confirmation (learned, not refreshed);
// FAILED means the kernel's own probes failed (the host table probes at once); INCOMPLETE
// and NOARP entries and entries without a link-layer address are skipped. RTM_DELNEIGH says
// nothing about the host (the kernel garbage-collects idle entries) and is only counted.
//
// One watcher per network namespace (NetnsScope): the learner's own, and one per netns VRF.
// A VRF namespace's watcher opens its sockets inside that namespace, maps its ifindexes into
// the namespace's range (netns_scope.h) and marks its links with the VRF's name, so their
// hosts are keyed by that VRF.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/codec/netlink.h"
#include "core/counters.h"
#include "core/event_loop.h"
#include "core/netlink/socket.h"
#include "hostroute_learner/host_table.h"
#include "hostroute_learner/netns_scope.h"

namespace hr::learner {

class NeighWatcher {
 public:
  struct Sink {
    std::function<void(const Observation&)> observe;
    std::function<void(int ifindex, const IpAddress& ip)> failed;
    std::function<void()> interfacesChanged;
  };

  NeighWatcher(
      EventLoop& loop, InterfaceDb& db, Counters& counters, Sink sink, NetnsScope scope = {});
  ~NeighWatcher();
  NeighWatcher(const NeighWatcher&) = delete;
  NeighWatcher& operator=(const NeighWatcher&) = delete;

  // Opens the event socket, then dumps links, addresses and neighbours (blocking, at start).
  Status start();
  // Re-dumps everything (after an overrun the kernel dropped events).
  Status resync();

  // Decodes one netlink message and applies it (used by the event loop and by tests).
  void handle(const codec::nl::Message& m, bool fromDump);

  // Sets the kernel's neighbour entry for `ip` on `ifindex` (a learner ifindex of this
  // namespace) to `mac`: RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_REPLACE, state STALE (the kernel
  // confirms reachability itself on the next use; the entry is no sign of life for the
  // learner). Counted: neighbor.restored, neighbor.restore_errors.
  Status setNeighbor(int ifindex, const IpAddress& ip, const MacAddress& mac);
  // The request as bytes (public for tests).
  static std::vector<uint8_t> encodeSetNeighbor(
      int kernelIfindex, const IpAddress& ip, const MacAddress& mac, uint32_t seq);

  // Removes this namespace's interfaces from the InterfaceDb (the namespace is no longer
  // watched); returns how many. The caller re-checks the hosts.
  size_t forget();

  const NetnsScope& scope() const {
    return scope_;
  }

 private:
  void onReadable();
  Status dumpAll();

  EventLoop& loop_;
  InterfaceDb& db_;
  Sink sink_;
  NetnsScope scope_;
  std::optional<NetlinkSocket> events_;
  std::optional<NetlinkSocket> requests_;  // unsubscribed: neighbour writes and their ACKs
  Counter* cMalformed_;
  Counter* cNeighEvents_;
  Counter* cNeighDeleted_;
  Counter* cNeighSkipped_;
  Counter* cOverruns_;
  Counter* cLinkEvents_;
  Counter* cAddrEvents_;
  Counter* cIfindexRange_;
  Counter* cRestored_;
  Counter* cRestoreErrors_;
};

}  // namespace hr::learner

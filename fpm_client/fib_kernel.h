// Reading a kernel FIB (routes and next-hop objects) and turning it into the mirror's
// terms: the ToR's own FIB (zebra's routes, the replay's ground truth, FPM.md §0.5/§0.6) and
// the data path's (what fpm_client programmed before a restart).
//
// normalizeKernelRoute() is pure: a decoded route and the next-hop objects in, the route in
// the mirror's terms out (next-hop objects expanded into inline paths with kernel
// ifindexes). dumpKernelRoutes() is the adapter: a blocking RTM_GETNEXTHOP then
// RTM_GETROUTE dump that hands each route over as it is decoded, so a 100k-route FIB is
// never held twice in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "core/codec/netlink_route.h"
#include "core/netlink/socket.h"
#include "core/result.h"
#include "fpm_client/fib_mirror.h"

namespace hr::fpm_client {

struct KernelRoute {
  FibKey key;  // the kernel's table id
  uint32_t priority = 0;
  uint32_t rtmFlags = 0;
  uint32_t nhId = 0;  // the next-hop object the route uses (0: inline)
  ZRoute route;       // kind, protocol, prefsrc, inline paths with kernel ifindexes
};

using NexthopIndex = std::unordered_map<uint32_t, codec::nl::NexthopMsg>;

// nullopt for what the mirror does not model: the local table (255), deletions,
// source-specific or TOS routes, encapsulations, types other than unicast, blackhole,
// unreachable and prohibit, and routes whose next-hop object (or a member) is unknown.
std::optional<KernelRoute> normalizeKernelRoute(
    const codec::nl::RouteMsg& r, const NexthopIndex& nhs);

struct KernelDumpStats {
  uint64_t nexthops = 0;
  uint64_t routes = 0;       // handed to the callback
  uint64_t skipped = 0;      // not modelled (see normalizeKernelRoute)
  uint64_t undecodable = 0;  // not IP (AF_MPLS ...) or malformed
};

// Blocking dump of every next-hop object (kept in `nhs`) and route of the socket's
// namespace; each route is passed to `fn` as soon as it is decoded.
Result<KernelDumpStats> dumpKernelRoutes(
    NetlinkSocket& sock,
    NexthopIndex& nhs,
    const std::function<void(KernelRoute&&)>& fn,
    int timeoutMs = 10000);

}  // namespace hr::fpm_client

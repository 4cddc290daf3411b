// Reading a kernel FIB (routes and next-hop objects) and turning it into the mirror's
// terms: the ToR's own FIB (zebra's routes, the replay's ground truth, FPM.md §0.5/§0.6) and
// the data path's (what fpm_client programmed before a restart).
//
// normalizeKernelFib() is pure: decoded messages in, one KernelRoute per route out, with
// next-hop objects expanded into inline paths (kernel ifindexes). dumpKernelFib() is the
// adapter: a blocking RTM_GETNEXTHOP + RTM_GETROUTE dump on a netlink socket.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/codec/netlink_route.h"
#include "core/netlink/socket.h"
#include "core/result.h"
#include "fpm_client/fib_mirror.h"

namespace hr::fpm_client {

struct KernelRoute {
  RouteKey key;  // the kernel's table id
  uint32_t priority = 0;
  uint32_t rtmFlags = 0;
  uint32_t nhId = 0;  // the next-hop object the route uses (0: inline)
  ZRoute route;       // kind, protocol, prefsrc, inline paths with kernel ifindexes
};

struct KernelFib {
  std::vector<codec::nl::RouteMsg> routes;
  std::vector<codec::nl::NexthopMsg> nexthops;
  uint64_t undecodable = 0;  // messages skipped (not IP, malformed)
};

// Routes of the local table (255), source-specific routes and types other than unicast,
// blackhole, unreachable and prohibit are left out. A route whose next-hop object is
// missing (or a group member) is left out too.
std::vector<KernelRoute> normalizeKernelFib(const KernelFib& fib);

// Blocking dump of every next-hop object and route of the socket's namespace.
Result<KernelFib> dumpKernelFib(NetlinkSocket& sock, int timeoutMs = 10000);

}  // namespace hr::fpm_client

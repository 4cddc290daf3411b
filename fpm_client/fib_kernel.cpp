#include "fpm_client/fib_kernel.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <unordered_map>

namespace hr::fpm_client {

namespace nl = codec::nl;

std::vector<KernelRoute> normalizeKernelFib(const KernelFib& fib) {
  std::unordered_map<uint32_t, const nl::NexthopMsg*> nhs;
  for (const auto& n : fib.nexthops)
    nhs[n.id] = &n;
  std::vector<KernelRoute> out;
  out.reserve(fib.routes.size());
  for (const auto& r : fib.routes) {
    if (!r.isNew || r.table() == RT_TABLE_LOCAL || r.srcLen != 0 || r.tos != 0 || r.hasEncap) {
      continue;
    }
    KernelRoute kr;
    switch (r.type) {
      case RTN_UNICAST:
        kr.route.kind = RouteKind::Unicast;
        break;
      case RTN_BLACKHOLE:
        kr.route.kind = RouteKind::Blackhole;
        break;
      case RTN_UNREACHABLE:
        kr.route.kind = RouteKind::Unreachable;
        break;
      case RTN_PROHIBIT:
        kr.route.kind = RouteKind::Prohibit;
        break;
      default:
        continue;
    }
    kr.key = RouteKey{r.table(), r.prefix().canonical()};
    kr.priority = r.priority.value_or(0);
    kr.rtmFlags = r.rtmFlags;
    kr.route.protocol = r.protocol;
    kr.route.prefsrc = r.prefsrc;
    if (kr.route.kind == RouteKind::Unicast) {
      if (r.nhId) {
        kr.nhId = *r.nhId;
        auto it = nhs.find(*r.nhId);
        if (it == nhs.end())
          continue;
        const nl::NexthopMsg& n = *it->second;
        if (n.blackhole) {
          kr.route.kind = RouteKind::Blackhole;
        } else if (n.isGroup()) {
          bool complete = true;
          for (const auto& e : n.group) {
            auto m = nhs.find(e.id);
            if (m == nhs.end() || m->second->isGroup()) {
              complete = false;
              break;
            }
            kr.route.paths.push_back(ZPath{
                m->second->gateway,
                m->second->oif.value_or(0),
                e.weight,
                (m->second->nhFlags & RTNH_F_ONLINK) != 0});
          }
          if (!complete)
            continue;
        } else {
          kr.route.paths.push_back(
              ZPath{n.gateway, n.oif.value_or(0), 1, (n.nhFlags & RTNH_F_ONLINK) != 0});
        }
      } else if (!r.multipath.empty()) {
        for (const auto& nh : r.multipath) {
          kr.route.paths.push_back(
              ZPath{nh.gateway, nh.ifindex, nh.weight(), (nh.flags & RTNH_F_ONLINK) != 0});
        }
      } else if (r.gateway || r.oif) {
        kr.route.paths.push_back(
            ZPath{r.gateway, r.oif.value_or(0), 1, (r.rtmFlags & RTNH_F_ONLINK) != 0});
      } else {
        continue;
      }
    }
    out.push_back(std::move(kr));
  }
  return out;
}

Result<KernelFib> dumpKernelFib(NetlinkSocket& sock, int timeoutMs) {
  KernelFib fib;
  HR_TRY(auto nhs, sock.dump(RTM_GETNEXTHOP, AF_UNSPEC, timeoutMs));
  for (const auto& raw : nhs) {
    auto msgs = nl::split(raw);
    if (!msgs || msgs->size() != 1) {
      ++fib.undecodable;
      continue;
    }
    if (auto n = nl::decodeNexthop(msgs->at(0))) {
      fib.nexthops.push_back(std::move(*n));
    } else {
      ++fib.undecodable;
    }
  }
  HR_TRY(auto routes, sock.dump(RTM_GETROUTE, AF_UNSPEC, timeoutMs));
  fib.routes.reserve(routes.size());
  for (const auto& raw : routes) {
    auto msgs = nl::split(raw);
    if (!msgs || msgs->size() != 1) {
      ++fib.undecodable;
      continue;
    }
    if (auto r = nl::decodeRoute(msgs->at(0))) {
      fib.routes.push_back(std::move(*r));
    } else {
      ++fib.undecodable;  // AF_MPLS, multicast families, ...
    }
  }
  return fib;
}

}  // namespace hr::fpm_client

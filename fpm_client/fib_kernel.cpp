#include "fpm_client/fib_kernel.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <chrono>

namespace hr::fpm_client {

namespace nl = codec::nl;

std::optional<KernelRoute> normalizeKernelRoute(const nl::RouteMsg& r, const NexthopIndex& nhs) {
  if (!r.isNew || r.table() == RT_TABLE_LOCAL || r.srcLen != 0 || r.tos != 0 || r.hasEncap) {
    return std::nullopt;
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
      return std::nullopt;
  }
  kr.key = FibKey{r.table(), r.prefix().canonical()};
  kr.priority = r.priority.value_or(0);
  kr.rtmFlags = r.rtmFlags;
  kr.route.protocol = r.protocol;
  kr.route.prefsrc = r.prefsrc;
  if (kr.route.kind != RouteKind::Unicast) {
    return kr;
  }
  if (r.nhId) {
    kr.nhId = *r.nhId;
    auto it = nhs.find(*r.nhId);
    if (it == nhs.end()) {
      return std::nullopt;
    }
    const nl::NexthopMsg& n = it->second;
    if (n.blackhole) {
      kr.route.kind = RouteKind::Blackhole;
    } else if (n.isGroup()) {
      for (const auto& e : n.group) {
        auto m = nhs.find(e.id);
        if (m == nhs.end() || m->second.isGroup()) {
          return std::nullopt;
        }
        kr.route.paths.push_back(ZPath{
            m->second.gateway,
            m->second.oif.value_or(0),
            e.weight,
            (m->second.nhFlags & RTNH_F_ONLINK) != 0});
      }
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
    return std::nullopt;
  }
  return kr;
}

namespace {

// One dump request; every answer message is passed to fn as it arrives (views valid during
// the call only).
Status streamDump(
    NetlinkSocket& sock,
    uint16_t type,
    const std::function<void(const nl::Message&)>& fn,
    int timeoutMs) {
  std::vector<uint8_t> req;
  uint32_t seq = sock.nextSeq();
  nl::encodeDumpRequest(req, type, AF_UNSPEC, seq);
  HR_TRY_VOID(sock.send(req));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{sock.fd(), POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      return fail("timeout", "netlink dump of type {} timed out", type);
    }
    HR_TRY(auto msgs, sock.recv());
    for (const auto& m : msgs) {
      if (m.hdr.seq != seq || m.hdr.pid != sock.portId()) {
        continue;
      }
      if (m.hdr.type == NLMSG_DONE) {
        return ok();
      }
      if (m.hdr.type == NLMSG_ERROR) {
        HR_TRY(auto e, nl::decodeError(m));
        if (e.error != 0) {
          return fail("dump_error", "netlink dump of type {}: {}", type, strerror(-e.error));
        }
        continue;
      }
      fn(m);
    }
  }
}

}  // namespace

Result<KernelDumpStats> dumpKernelRoutes(
    NetlinkSocket& sock,
    NexthopIndex& nhs,
    const std::function<void(KernelRoute&&)>& fn,
    int timeoutMs) {
  KernelDumpStats st;
  nhs.clear();
  HR_TRY_VOID(streamDump(
      sock,
      RTM_GETNEXTHOP,
      [&](const nl::Message& m) {
        if (auto n = nl::decodeNexthop(m)) {
          uint32_t id = n->id;
          nhs.emplace(id, std::move(*n));
          ++st.nexthops;
        } else {
          ++st.undecodable;
        }
      },
      timeoutMs));
  HR_TRY_VOID(streamDump(
      sock,
      RTM_GETROUTE,
      [&](const nl::Message& m) {
        auto r = nl::decodeRoute(m);
        if (!r) {
          ++st.undecodable;  // AF_MPLS, multicast families, ...
          return;
        }
        if (auto kr = normalizeKernelRoute(*r, nhs)) {
          ++st.routes;
          fn(std::move(*kr));
        } else {
          ++st.skipped;
        }
      },
      timeoutMs));
  return st;
}

}  // namespace hr::fpm_client

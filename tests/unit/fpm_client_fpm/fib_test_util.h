// Builders of zebra-like FPM payloads for the fpm_client core tests.
#pragma once

#include <errno.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <map>
#include <string>
#include <vector>

#include "core/codec/netlink_route.h"
#include "fpm_client/fib_core.h"

namespace hr::fpm_client::test {

namespace nl = codec::nl;

inline IpAddress ip(const std::string& s) {
  return *IpAddress::parse(s);
}
inline Prefix pfx(const std::string& s) {
  return *Prefix::parse(s);
}
inline FibKey key(const std::string& p, uint32_t table = 254) {
  return FibKey{table, pfx(p).canonical()};
}

struct Inline {
  std::string gw;
  uint32_t ifindex;
};

// RTM_NEWROUTE as zebra sends it (NHG mode when nhId != 0, else inline paths).
inline nl::RouteMsg route(
    const std::string& prefix,
    uint32_t nhId,
    std::vector<Inline> paths = {},
    uint8_t proto = 186,
    uint32_t table = 254) {
  nl::RouteMsg r;
  auto p = pfx(prefix);
  r.isNew = true;
  r.nlFlags = 0x501;
  r.family = p.family();
  r.dstLen = p.length();
  r.dst = p.address();
  r.protocol = proto;
  r.type = RTN_UNICAST;
  r.priority = 20;
  if (table < 256) {
    r.rtmTable = static_cast<uint8_t>(table);
  } else {
    r.tableAttr = table;
  }
  if (nhId != 0) {
    r.nhId = nhId;
  } else if (paths.size() == 1) {
    if (!paths[0].gw.empty()) {
      r.gateway = ip(paths[0].gw);
    }
    r.oif = paths[0].ifindex;
  } else {
    for (const auto& x : paths) {
      nl::RouteNexthop nh;
      nh.ifindex = x.ifindex;
      if (!x.gw.empty()) {
        nh.gateway = ip(x.gw);
      }
      r.multipath.push_back(nh);
    }
  }
  return r;
}

inline nl::RouteMsg delRoute(const std::string& prefix, uint8_t proto = 186, uint32_t table = 254) {
  auto r = route(prefix, 0, {}, proto, table);
  r.isNew = false;
  r.nlFlags = 0x401;
  r.type = 0;
  return r;
}

inline nl::NexthopMsg nh(uint32_t id, const std::string& gw, uint32_t oif) {
  nl::NexthopMsg n;
  n.id = id;
  n.nlFlags = 0x501;
  n.protocol = 11;
  n.family = ip(gw).isV4() ? AF_INET : AF_INET6;
  n.gateway = ip(gw);
  n.oif = oif;
  return n;
}

inline nl::NexthopMsg group(uint32_t id, std::vector<uint32_t> members) {
  nl::NexthopMsg n;
  n.id = id;
  n.nlFlags = 0x501;
  n.protocol = 11;
  for (auto m : members) {
    n.group.push_back({m, 1});
  }
  return n;
}

inline nl::NexthopMsg delNh(uint32_t id) {
  nl::NexthopMsg n;
  n.isNew = false;
  n.id = id;
  return n;
}

// One frame's payload from messages.
template <class... M>
std::vector<uint8_t> payload(const M&... msgs) {
  std::vector<uint8_t> out;
  auto one = [&](const auto& m) {
    if constexpr (std::is_same_v<std::decay_t<decltype(m)>, nl::RouteMsg>) {
      nl::encodeRoute(out, m);
    } else {
      nl::encodeNexthop(out, m);
    }
  };
  (one(msgs), ...);
  return out;
}

// The fake data path: what it holds, every op it saw, and optional refusals.
struct FakeDataplane {
  std::map<FibKey, RouteSpec> fib;
  std::vector<DpOp> log;
  std::map<FibKey, int> refuse;  // key -> -errno

  std::vector<DpResult> apply(const std::vector<DpOp>& ops) {
    std::vector<DpResult> out;
    for (const auto& op : ops) {
      log.push_back(op);
      DpResult r{op.key, op.kind, 0, {}};
      if (auto it = refuse.find(op.key); it != refuse.end() && op.kind == DpOpKind::Upsert) {
        r.error = it->second;
        r.message = "refused by the test";
      } else if (op.kind == DpOpKind::Upsert) {
        fib[op.key] = op.spec;
      } else if (fib.erase(op.key) == 0) {
        r.error = -ESRCH;
      }
      out.push_back(r);
    }
    return out;
  }
  size_t deletes() const {
    size_t n = 0;
    for (const auto& op : log) {
      n += op.kind == DpOpKind::Delete;
    }
    return n;
  }
};

inline IfNames torLinks() {
  return {{1, "lo"}, {2, "swp1"}, {3, "swp2"}};
}

}  // namespace hr::fpm_client::test

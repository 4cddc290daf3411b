#include "fpm_client/fib_mirror.h"

#include <fmt/format.h>
#include <sys/socket.h>

namespace hr::fpm_client {

namespace nl = codec::nl;

Result<std::vector<FpmMessage>> decodeFpmPayload(
    std::span<const uint8_t> payload, uint64_t& ignored) {
  HR_TRY(auto msgs, nl::split(payload));
  std::vector<FpmMessage> out;
  out.reserve(msgs.size());
  for (const auto& m : msgs) {
    switch (m.hdr.type) {
      case nl::rt::kNewRoute:
      case nl::rt::kDelRoute: {
        auto r = nl::decodeRoute(m);
        if (!r) {
          if (r.error().code == "not_ip") {
            ++ignored;
            continue;
          }
          return Unexpected(std::move(r).error());
        }
        out.emplace_back(std::move(*r));
        break;
      }
      case nl::rt::kNewNexthop:
      case nl::rt::kDelNexthop: {
        auto n = nl::decodeNexthop(m);
        if (!n) {
          if (n.error().code == "not_ip") {
            ++ignored;
            continue;
          }
          return Unexpected(std::move(n).error());
        }
        out.emplace_back(std::move(*n));
        break;
      }
      default:
        // RMACs (RTM_NEWNEIGH), LSPs in other encodings: not ours.
        ++ignored;
        break;
    }
  }
  return out;
}

const char* holdName(Hold h) {
  switch (h) {
    case Hold::None:
      return "none";
    case Hold::NexthopMissing:
      return "nexthop-missing";
    case Hold::GroupIncomplete:
      return "group-incomplete";
    case Hold::UnknownInterface:
      return "unknown-interface";
    case Hold::Unsupported:
      return "unsupported";
  }
  return "?";
}

namespace {

std::optional<FibKey> keyOf(const nl::RouteMsg& m) {
  if (m.srcLen != 0 || m.tos != 0) {
    return std::nullopt;  // source-specific or TOS routes: zebra 8.4 sends none; not modelled
  }
  return FibKey{m.table(), m.prefix().canonical()};
}

std::optional<RouteKind> kindOf(uint8_t type) {
  switch (type) {
    case nl::rt::kUnicast:
      return RouteKind::Unicast;
    case nl::rt::kBlackhole:
      return RouteKind::Blackhole;
    case nl::rt::kUnreachable:
      return RouteKind::Unreachable;
    case nl::rt::kProhibit:
      return RouteKind::Prohibit;
    default:
      return std::nullopt;
  }
}

}  // namespace

void FibMirror::applyFrame(std::span<const FpmMessage> msgs) {
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (const auto* r = std::get_if<nl::RouteMsg>(&msgs[i])) {
      // zebra 8.4 sends an update as DEL + NEW in one frame: apply the NEW as a replace.
      if (!r->isNew && i + 1 < msgs.size()) {
        const auto* next = std::get_if<nl::RouteMsg>(&msgs[i + 1]);
        if (next != nullptr && next->isNew && keyOf(*r) && keyOf(*r) == keyOf(*next)) {
          ++stats_.replacePairs;
          continue;
        }
      }
      applyRoute(*r);
    } else {
      applyNexthop(std::get<nl::NexthopMsg>(msgs[i]));
    }
  }
}

void FibMirror::applyRoute(const nl::RouteMsg& m) {
  auto key = keyOf(m);
  if (!key) {
    ++stats_.ignored;
    return;
  }
  if (!m.isNew) {
    auto it = routes_.find(*key);
    if (it == routes_.end()) {
      ++stats_.deleteUnknown;
      return;
    }
    routes_.erase(it);
    held_.erase(*key);
    ++stats_.routeDeletes;
    dirty(*key);
    return;
  }
  auto kind = kindOf(m.type);
  if (!kind) {
    ++stats_.ignored;  // local, broadcast, multicast ...: zebra's FPM never sends these
    return;
  }
  ZRoute z;
  z.kind = *kind;
  z.protocol = m.protocol;
  z.prefsrc = m.prefsrc;
  z.unsupported = m.hasEncap;
  z.generation = generation_;
  if (*kind == RouteKind::Unicast) {
    if (m.nhId) {
      z.nhId = *m.nhId;
    } else if (!m.multipath.empty()) {
      for (const auto& nh : m.multipath) {
        z.paths.push_back(
            ZPath{nh.gateway, nh.ifindex, nh.weight(), (nh.flags & nl::rt::kOnlink) != 0});
      }
    } else if (m.gateway || m.oif) {
      z.paths.push_back(
          ZPath{m.gateway, m.oif.value_or(0), 1, (m.rtmFlags & nl::rt::kOnlink) != 0});
    } else {
      z.unsupported = true;  // a unicast route with no next hop at all
    }
  }
  auto [it, inserted] = routes_.try_emplace(*key, z);
  if (inserted) {
    ++stats_.routeAdds;
    dirty(*key);
    return;
  }
  if (it->second.sameContent(z)) {
    it->second.generation = generation_;
    it->second.fromKernel = false;
    ++stats_.routeRefreshes;
    return;
  }
  it->second = z;
  ++stats_.routeChanges;
  dirty(*key);
}

void FibMirror::applyNexthop(const nl::NexthopMsg& m) {
  if (!m.isNew) {
    auto it = nexthops_.find(m.id);
    if (it == nexthops_.end()) {
      ++stats_.nexthopDeleteUnknown;
      return;
    }
    nexthops_.erase(it);
    ++stats_.nexthopDeletes;
    markUsersDirty(m.id);
    return;
  }
  ZNexthop n;
  n.id = m.id;
  n.family = m.family;
  n.gateway = m.gateway;
  n.ifindex = m.oif.value_or(0);
  n.onlink = (m.nhFlags & nl::rt::kOnlink) != 0;
  n.blackhole = m.blackhole;
  n.group = m.group;
  n.unsupported = m.hasEncap || m.fdb;
  n.generation = generation_;
  auto [it, inserted] = nexthops_.try_emplace(m.id, n);
  if (inserted) {
    ++stats_.nexthopAdds;
    // A next hop that was missing (or a member a group waited for) may complete routes.
    markHeldDirty();
    return;
  }
  if (it->second.sameContent(n)) {
    it->second.generation = generation_;
    ++stats_.nexthopRefreshes;
    return;
  }
  it->second = n;
  ++stats_.nexthopChanges;
  markUsersDirty(m.id);
  markHeldDirty();
}

void FibMirror::markUsersDirty(uint32_t nhId) {
  // Groups that contain nhId, then every route using nhId or one of those groups. Next-hop
  // changes are rare (zebra re-sends unchanged ones in a replay), so a scan is cheaper than
  // keeping a reverse index for every route.
  std::unordered_set<uint32_t> ids{nhId};
  for (const auto& [id, n] : nexthops_) {
    for (const auto& e : n.group) {
      if (e.id == nhId) {
        ids.insert(id);
      }
    }
  }
  for (const auto& [k, r] : routes_) {
    if (r.nhId != 0 && ids.contains(r.nhId)) {
      dirty(k);
    }
  }
}

void FibMirror::markAllDirty() {
  for (const auto& [k, r] : routes_) {
    dirty(k);
  }
}

void FibMirror::markHeldDirty() {
  for (const auto& k : held_) {
    dirty(k);
  }
}

void FibMirror::setHeld(const FibKey& key, bool held) {
  if (held) {
    held_.insert(key);
  } else {
    held_.erase(key);
  }
}

std::vector<FibKey> FibMirror::takeDirty() {
  std::vector<FibKey> out(dirty_.begin(), dirty_.end());
  dirty_.clear();
  return out;
}

const ZRoute* FibMirror::find(const FibKey& key) const {
  auto it = routes_.find(key);
  return it == routes_.end() ? nullptr : &it->second;
}

const ZNexthop* FibMirror::nexthop(uint32_t id) const {
  auto it = nexthops_.find(id);
  return it == nexthops_.end() ? nullptr : &it->second;
}

size_t FibMirror::confirmedCount() const {
  size_t n = 0;
  for (const auto& [k, r] : routes_) {
    if (r.generation == generation_) {
      ++n;
    }
  }
  return n;
}

std::vector<FibKey> FibMirror::sweep(const std::function<bool(uint32_t)>& replayed) {
  std::vector<FibKey> removed;
  for (auto it = routes_.begin(); it != routes_.end();) {
    if (it->second.generation != generation_ && replayed(it->first.table)) {
      removed.push_back(it->first);
      held_.erase(it->first);
      dirty(it->first);
      it = routes_.erase(it);
    } else {
      ++it;
    }
  }
  stats_.swept += removed.size();
  // Next hops zebra did not re-send and nothing uses any more.
  std::unordered_set<uint32_t> used;
  for (const auto& [k, r] : routes_) {
    if (r.nhId != 0) {
      used.insert(r.nhId);
    }
  }
  for (const auto& [id, n] : nexthops_) {
    if (used.contains(id)) {
      for (const auto& e : n.group) {
        used.insert(e.id);
      }
    }
  }
  std::erase_if(nexthops_, [&](const auto& e) {
    return e.second.generation != generation_ && !used.contains(e.first);
  });
  return removed;
}

void FibMirror::reconcileTable(
    uint32_t table, const std::vector<std::pair<Prefix, ZRoute>>& routes) {
  std::unordered_set<FibKey> present;
  for (const auto& [prefix, kr] : routes) {
    FibKey key{table, prefix.canonical()};
    present.insert(key);
    auto it = routes_.find(key);
    if (it != routes_.end() && it->second.generation == generation_ && !it->second.fromKernel) {
      continue;  // zebra sent it in this session: newer than the kernel's copy
    }
    ZRoute z = kr;
    z.generation = generation_;
    z.fromKernel = true;
    if (it == routes_.end()) {
      routes_.emplace(key, z);
      dirty(key);
      ++stats_.kernelReconciled;
    } else if (!it->second.sameContent(z)) {
      it->second = z;
      dirty(key);
      ++stats_.kernelReconciled;
    } else {
      it->second.generation = generation_;
      it->second.fromKernel = true;
    }
  }
  for (auto it = routes_.begin(); it != routes_.end();) {
    if (it->first.table == table && it->second.generation != generation_ &&
        !present.contains(it->first)) {
      dirty(it->first);
      held_.erase(it->first);
      ++stats_.kernelReconciled;
      it = routes_.erase(it);
    } else {
      ++it;
    }
  }
}

Resolution FibMirror::resolve(
    const FibKey& key, const IfNames& names, PathInterner& interner) const {
  Resolution res;
  const ZRoute* r = find(key);
  if (r == nullptr) {
    return res;  // no route: nothing to program
  }
  if (r->unsupported) {
    res.hold = Hold::Unsupported;
    res.detail = "route with an encapsulation or without next hops";
    return res;
  }
  RouteSpec spec;
  spec.kind = r->kind;
  spec.protocol = r->protocol;
  spec.prefsrc = r->prefsrc;
  if (r->kind != RouteKind::Unicast) {
    res.spec = std::move(spec);
    return res;
  }
  PathSet paths;
  auto nameOf = [&](uint32_t ifindex, std::string& out) -> bool {
    if (ifindex == 0) {
      out.clear();
      return true;
    }
    auto it = names.find(ifindex);
    if (it == names.end()) {
      res.hold = Hold::UnknownInterface;
      res.detail = fmt::format("ifindex {} is not a link of zebra's namespace", ifindex);
      return false;
    }
    out = it->second;
    return true;
  };
  auto addSingle = [&](const ZNexthop& n, uint32_t weight) -> bool {
    if (n.unsupported || !n.group.empty()) {
      res.hold = Hold::Unsupported;
      res.detail = fmt::format("next hop {} has an encapsulation or is a nested group", n.id);
      return false;
    }
    if (n.blackhole) {
      res.hold = Hold::Unsupported;
      res.detail = fmt::format("blackhole next hop {} inside a group", n.id);
      return false;
    }
    Path p;
    p.gateway = n.gateway;
    p.weight = weight;
    p.onlink = n.onlink;
    if (!nameOf(n.ifindex, p.ifname)) {
      return false;
    }
    if (!p.gateway && p.ifname.empty()) {
      res.hold = Hold::Unsupported;
      res.detail = fmt::format("next hop {} has neither gateway nor device", n.id);
      return false;
    }
    paths.push_back(std::move(p));
    return true;
  };
  if (r->nhId != 0) {
    const ZNexthop* n = nexthop(r->nhId);
    if (n == nullptr) {
      res.hold = Hold::NexthopMissing;
      res.detail = fmt::format("next hop {} not received yet", r->nhId);
      return res;
    }
    if (n->blackhole) {
      spec.kind = RouteKind::Blackhole;
      res.spec = std::move(spec);
      return res;
    }
    if (n->group.empty()) {
      if (!addSingle(*n, 1)) {
        return res;
      }
    } else {
      for (const auto& e : n->group) {
        const ZNexthop* m = nexthop(e.id);
        if (m == nullptr) {
          res.hold = Hold::GroupIncomplete;
          res.detail = fmt::format("group {} waits for member {}", n->id, e.id);
          return res;
        }
        if (!addSingle(*m, e.weight)) {
          return res;
        }
      }
    }
  } else {
    for (const auto& zp : r->paths) {
      Path p;
      p.gateway = zp.gateway;
      p.weight = zp.weight;
      p.onlink = zp.onlink;
      if (!nameOf(zp.ifindex, p.ifname)) {
        return res;
      }
      paths.push_back(std::move(p));
    }
  }
  spec.paths = interner.intern(std::move(paths));
  res.spec = std::move(spec);
  return res;
}

}  // namespace hr::fpm_client

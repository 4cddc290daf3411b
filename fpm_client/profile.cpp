#include "fpm_client/profile.h"

#include <algorithm>

namespace hr::fpm_client {

const char* resourceName(Resource r) {
  switch (r) {
    case Resource::HostRoutes:
      return "host-routes";
    case Resource::LpmRoutes:
      return "lpm-routes";
    case Resource::EcmpGroups:
      return "ecmp-groups";
    case Resource::EcmpMembers:
      return "ecmp-members";
    case Resource::Neighbours:
      return "neighbours";
  }
  return "?";
}

const char* refusalName(Refusal r) {
  switch (r) {
    case Refusal::None:
      return "none";
    case Refusal::HostRoutes:
      return "host-routes-full";
    case Refusal::LpmRoutes:
      return "lpm-routes-full";
    case Refusal::EcmpGroups:
      return "ecmp-groups-full";
    case Refusal::EcmpMembers:
      return "ecmp-members-full";
    case Refusal::EcmpPaths:
      return "ecmp-too-many-paths";
  }
  return "?";
}

namespace {

uint8_t protocolClass(uint8_t proto) {
  switch (proto) {
    case 2:  // kernel / connected
    case 3:
      return 0;
    case 4:
    case 196:  // static
      return 1;
    case 42:
    case 187:
    case 188:
    case 189:
    case 190:
    case 192:
    case 197:  // IGPs
      return 2;
    case 186:  // bgp
      return 3;
    default:
      return 4;
  }
}

size_t idx(Resource r) {
  return static_cast<size_t>(r);
}

}  // namespace

Admission::Admission(SwitchProfile profile) : profile_(std::move(profile)) {
  host_.cap = profile_.cap(Resource::HostRoutes);
  lpm_.cap = profile_.cap(Resource::LpmRoutes);
}

Admission::Rank Admission::rankOf(const FibKey& k, const RouteSpec& s) {
  // Length relative to the family (an IPv4 /24 ranks with an IPv6 /96): on a tie IPv4 first.
  auto len = static_cast<uint8_t>(
      k.prefix.family() == Family::V4 ? k.prefix.length() * 4 : k.prefix.length());
  return {len, protocolClass(s.protocol), k.table, k.prefix.address()};
}

bool Admission::takeGroup(const PathSetRef& paths) {
  auto it = groups_.find(paths);
  if (it != groups_.end()) {
    ++it->second;
    return true;
  }
  auto gcap = profile_.cap(Resource::EcmpGroups);
  auto mcap = profile_.cap(Resource::EcmpMembers);
  if ((gcap && used_[idx(Resource::EcmpGroups)] + 1 > *gcap) ||
      (mcap && used_[idx(Resource::EcmpMembers)] + paths->size() > *mcap)) {
    return false;
  }
  groups_.emplace(paths, 1);
  used_[idx(Resource::EcmpGroups)] += 1;
  used_[idx(Resource::EcmpMembers)] += paths->size();
  return true;
}

void Admission::releaseGroup(const PathSetRef& paths) {
  auto it = groups_.find(paths);
  if (it == groups_.end()) {
    return;
  }
  if (--it->second == 0) {
    used_[idx(Resource::EcmpGroups)] -= 1;
    used_[idx(Resource::EcmpMembers)] -= paths->size();
    groups_.erase(it);
    groupFreed_ = true;
  }
}

void Admission::place(const FibKey& k, Entry& e, std::vector<FibKey>& changed) {
  if (!profile_.offloads(k.prefix.family())) {
    e.slot = Slot::Software;
    e.refusal = Refusal::None;
    ++softwareOnly_;
    return;
  }
  Pool& p = poolOf(k);
  Rank r = rankOf(k, e.spec);
  auto me = std::make_pair(r, k);
  if (profile_.ecmpMaxPaths && e.spec.pathCount() > *profile_.ecmpMaxPaths) {
    e.slot = Slot::EcmpWait;  // never placed until the profile or the route changes
    e.refusal = Refusal::EcmpPaths;
    ecmpWait_.insert(me);
    ++refusedCount_;
    ++refusedTotal_;
    return;
  }
  bool full = p.cap && p.admitted >= *p.cap;
  Refusal poolRefusal = k.isHost() ? Refusal::HostRoutes : Refusal::LpmRoutes;
  if (full && (p.admittedRanked.empty() || !(me < *p.admittedRanked.rbegin()))) {
    e.slot = Slot::Refused;
    e.refusal = poolRefusal;
    p.refused.insert(me);
    ++refusedCount_;
    ++refusedTotal_;
    return;
  }
  if (e.spec.ecmp() && !takeGroup(e.spec.paths)) {
    auto gcap = profile_.cap(Resource::EcmpGroups);
    e.slot = Slot::EcmpWait;
    e.refusal = gcap && used_[idx(Resource::EcmpGroups)] + 1 > *gcap ? Refusal::EcmpGroups
                                                                     : Refusal::EcmpMembers;
    ecmpWait_.insert(me);
    ++refusedCount_;
    ++refusedTotal_;
    return;
  }
  if (full) {
    // Evict the worst admitted route of this pool; it becomes refused.
    auto worst = *p.admittedRanked.rbegin();
    p.admittedRanked.erase(std::prev(p.admittedRanked.end()));
    --p.admitted;
    Entry& we = entries_.at(worst.second);
    if (we.spec.ecmp()) {
      releaseGroup(we.spec.paths);
    }
    we.slot = Slot::Refused;
    we.refusal = poolRefusal;
    p.refused.insert(worst);
    ++refusedCount_;
    ++refusedTotal_;
    changed.push_back(worst.second);
  }
  e.slot = Slot::Admitted;
  e.refusal = Refusal::None;
  ++p.admitted;
  if (p.cap) {
    p.admittedRanked.insert(me);
  }
  used_[idx(p.resource)] = p.admitted;
}

void Admission::unplace(const FibKey& k, Entry& e) {
  Pool& p = poolOf(k);
  auto me = std::make_pair(rankOf(k, e.spec), k);
  switch (e.slot) {
    case Slot::Admitted:
      --p.admitted;
      if (p.cap) {
        p.admittedRanked.erase(me);
      }
      if (e.spec.ecmp()) {
        releaseGroup(e.spec.paths);
      }
      used_[idx(p.resource)] = p.admitted;
      break;
    case Slot::Refused:
      p.refused.erase(me);
      --refusedCount_;
      break;
    case Slot::EcmpWait:
      ecmpWait_.erase(me);
      --refusedCount_;
      break;
    case Slot::Software:
      --softwareOnly_;
      break;
    case Slot::Absent:
      break;
  }
  e.slot = Slot::Absent;
  e.refusal = Refusal::None;
}

void Admission::refill(Pool& p, std::vector<FibKey>& changed) {
  while ((!p.cap || p.admitted < *p.cap) && !p.refused.empty()) {
    auto best = *p.refused.begin();
    p.refused.erase(p.refused.begin());
    --refusedCount_;
    Entry& e = entries_.at(best.second);
    e.slot = Slot::Absent;
    place(best.second, e, changed);
    if (e.slot == Slot::Admitted) {
      changed.push_back(best.second);
    }
  }
}

void Admission::retryEcmp(std::vector<FibKey>& changed) {
  if (!groupFreed_) {
    return;
  }
  groupFreed_ = false;
  auto waiting = ecmpWait_;
  for (const auto& w : waiting) {
    ecmpWait_.erase(w);
    --refusedCount_;
    Entry& e = entries_.at(w.second);
    e.slot = Slot::Absent;
    place(w.second, e, changed);
    if (e.slot == Slot::Admitted) {
      changed.push_back(w.second);
    }
  }
}

void Admission::update(
    const FibKey& key, const std::optional<RouteSpec>& cand, std::vector<FibKey>& changed) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (!cand) {
      return;
    }
    Entry& e = entries_[key];
    e.spec = *cand;
    place(key, e, changed);
    if (programmable(e.slot)) {
      changed.push_back(key);
    }
  } else {
    Entry& e = it->second;
    bool wasAdmitted = programmable(e.slot);
    if (cand && *cand == e.spec) {
      return;
    }
    unplace(key, e);
    if (!cand) {
      entries_.erase(it);
      if (wasAdmitted) {
        changed.push_back(key);
      }
    } else {
      e.spec = *cand;
      place(key, e, changed);
      if (wasAdmitted || programmable(e.slot)) {
        changed.push_back(key);
      }
    }
  }
  refill(host_, changed);
  refill(lpm_, changed);
  retryEcmp(changed);
  checkThresholds();
}

void Admission::setProfile(SwitchProfile profile, std::vector<FibKey>& changed) {
  profile_ = std::move(profile);
  std::unordered_map<FibKey, bool> before;
  std::vector<std::tuple<bool, Rank, FibKey>> order;
  for (auto& [k, e] : entries_) {
    before[k] = programmable(e.slot);
    order.emplace_back(!k.isHost(), rankOf(k, e.spec), k);
    e.slot = Slot::Absent;
    e.refusal = Refusal::None;
  }
  host_ = Pool{Resource::HostRoutes, profile_.cap(Resource::HostRoutes)};
  lpm_ = Pool{Resource::LpmRoutes, profile_.cap(Resource::LpmRoutes)};
  groups_.clear();
  ecmpWait_.clear();
  auto neigh = used_[idx(Resource::Neighbours)];
  used_ = {};
  used_[idx(Resource::Neighbours)] = neigh;
  warned_ = {};
  refusedCount_ = 0;
  softwareOnly_ = 0;
  std::sort(order.begin(), order.end());
  std::vector<FibKey> ignored;
  for (const auto& [pool, rank, k] : order) {
    place(k, entries_.at(k), ignored);
  }
  refill(host_, ignored);
  refill(lpm_, ignored);
  retryEcmp(ignored);
  for (const auto& [k, e] : entries_) {
    if (before[k] != programmable(e.slot)) {
      changed.push_back(k);
    }
  }
  checkThresholds();
}

const RouteSpec* Admission::admitted(const FibKey& key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && programmable(it->second.slot) ? &it->second.spec : nullptr;
}

bool Admission::softwareOnly(const FibKey& key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.slot == Slot::Software;
}

Refusal Admission::refusal(const FibKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? Refusal::None : it->second.refusal;
}

void Admission::setNeighbours(uint64_t n) {
  used_[idx(Resource::Neighbours)] = n;
  checkThresholds();
}

void Admission::checkThresholds() {
  for (size_t i = 0; i < kResourceCount; ++i) {
    auto cap = profile_.capacity[i];
    if (!cap || *cap == 0) {
      continue;
    }
    uint64_t used = used_[i];
    uint64_t warnAt = uint64_t{*cap} * profile_.warnPercent;
    uint64_t clearAt = uint64_t{*cap} * (profile_.warnPercent > 5 ? profile_.warnPercent - 5 : 0);
    if (!warned_[i] && used * 100 >= warnAt) {
      warned_[i] = true;
      events_.push_back({static_cast<Resource>(i), true, used, *cap});
    } else if (warned_[i] && used * 100 < clearAt) {
      warned_[i] = false;
      events_.push_back({static_cast<Resource>(i), false, used, *cap});
    }
  }
}

std::vector<UsageEvent> Admission::takeEvents() {
  return std::exchange(events_, {});
}

std::vector<FibKey> Admission::refusedKeys(size_t limit) const {
  std::vector<FibKey> out;
  for (const auto* s : {&lpm_.refused, &host_.refused, &ecmpWait_}) {
    for (const auto& [r, k] : *s) {
      if (out.size() >= limit) {
        return out;
      }
      out.push_back(k);
    }
  }
  return out;
}

}  // namespace hr::fpm_client

#include "fpm_client/route_sync.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/codec/zapi.h"

namespace hr::fpm_client {

namespace zapi = codec::zapi;

std::string_view stateName(RouteState s) {
  switch (s) {
    case RouteState::Pending:
      return "pending";
    case RouteState::Installed:
      return "installed";
    case RouteState::Failed:
      return "failed";
    case RouteState::Removed:
      return "removed";
    case RouteState::Shadowed:
      return "shadowed";
    case RouteState::Waiting:
      return "waiting";
  }
  return "unknown";
}

std::string_view modeName(Mode m) {
  switch (m) {
    case Mode::Plain:
      return "plain";
    case Mode::Claim:
      return "claim";
    case Mode::Hold:
      return "hold";
    case Mode::Shared:
      return "shared";
  }
  return "unknown";
}

std::string_view backendName(Backend b) {
  return b == Backend::Zapi ? "zapi" : "kernel-table";
}

std::string RouteKey::str() const {
  return vrf.empty() ? prefix().str() : fmt::format("{}:{}", vrf, prefix().str());
}

Policy policyFrom(const InjectionConfig& c) {
  Policy p;
  p.v4Backend = c.method == InjectionMethod::KernelTable ? Backend::KernelTable : Backend::Zapi;
  p.moveSignal = c.moveSignal && c.method == InjectionMethod::Zapi;
  p.distance = c.distance;
  p.claimDistance = c.claimDistance;
  p.claimTag = c.claimTag;
  p.holdDistance = c.holdDistance;
  p.holdTag = c.holdTag;
  p.claimWindow = c.claimWindow;
  p.metric = c.metric;
  return p;
}

RouteSync::RouteSync(Policy p) : policy_(p) {
  rebuildTexts();
}

void RouteSync::rebuildTexts() {
  for (Mode m : {Mode::Plain, Mode::Claim, Mode::Hold, Mode::Shared}) {
    auto [dist, tag] = distanceTag(m);
    auto i = static_cast<size_t>(m);
    pendingText_[i] =
        m == Mode::Plain
            ? fmt::format("sent to zebra (distance {})", dist)
            : fmt::format("sent to zebra as {} (distance {}, tag {})", modeName(m), dist, tag);
    installedText_[i] = m == Mode::Plain
                            ? fmt::format("installed (distance {})", dist)
                            : fmt::format("installed as {} (distance {})", modeName(m), dist);
  }
}

void RouteSync::setPolicy(const Policy& p) {
  bool same = p.v4Backend == policy_.v4Backend && p.moveSignal == policy_.moveSignal &&
              p.distance == policy_.distance && p.claimDistance == policy_.claimDistance &&
              p.claimTag == policy_.claimTag && p.holdDistance == policy_.holdDistance &&
              p.holdTag == policy_.holdTag && p.metric == policy_.metric;
  policy_ = p;
  rebuildTexts();
  if (same) {
    return;
  }
  for (auto& [k, e] : entries_) {
    if (!policy_.moveSignal) {
      e.mode = Mode::Plain;
    } else if (e.mode == Mode::Plain) {
      e.mode = settledMode(e.intent);
    }
    markDirty(k);
  }
}

// Where a route settles when it is not (or no longer) a claim.
Mode RouteSync::settledMode(const Intent& in) const {
  if (!policy_.moveSignal) {
    return Mode::Plain;
  }
  return in.shared ? Mode::Shared : Mode::Hold;
}

Backend RouteSync::backendFor(const RouteKey& k) const {
  // The kernel table is one table of the default VRF: a VRF's routes always go through ZAPI.
  return k.address.isV4() && k.vrf.empty() ? policy_.v4Backend : Backend::Zapi;
}

std::pair<uint8_t, uint32_t> RouteSync::distanceTag(Mode m) const {
  switch (m) {
    case Mode::Claim:
    case Mode::Shared:
      // Shared: the claim's distance (it beats the other router's copy, so it never yields)
      // and tag (exported as is: the same attributes on both routers of the pair).
      return {policy_.claimDistance, policy_.claimTag};
    case Mode::Hold:
      return {policy_.holdDistance, policy_.holdTag};
    case Mode::Plain:
      break;
  }
  return {policy_.distance, 0};
}

void RouteSync::setState(
    const RouteKey& k, Entry& e, RouteState s, std::string detail, TimePoint now) {
  if (e.reported && e.state == s && e.detail == detail) {
    return;
  }
  --counts_[static_cast<size_t>(e.state)];
  ++counts_[static_cast<size_t>(s)];
  e.state = s;
  e.detail = std::move(detail);
  e.lastChange = now;
  e.reported = true;
  statusOut_[k] = StatusEvent{k, s, e.detail, e.mode == Mode::Shared};
}

void RouteSync::scheduleRetry(const RouteKey& k, Entry& e, TimePoint now) {
  ++e.failures;
  Duration d = policy_.retryInitial;
  for (uint32_t i = 1; i < e.failures && d < policy_.retryMax; ++i) {
    d *= 2;
  }
  d = std::min(d, policy_.retryMax);
  e.retryAt = now + d;
  addDeadline(e.retryAt, k);
  ++stats_.retries;
}

std::optional<std::string> RouteSync::vrfName(uint32_t id) const {
  if (auto it = vrfNames_.find(id); it != vrfNames_.end()) {
    return it->second;
  }
  if (id == 0) {
    return std::string();
  }
  return std::nullopt;
}

std::optional<uint32_t> RouteSync::vrfId(const std::string& name) const {
  if (name.empty() || name == "default") {
    return 0u;
  }
  for (const auto& [id, n] : vrfNames_) {
    if (n == name) {
      return id;
    }
  }
  return std::nullopt;
}

const std::string* RouteSync::internProtocol(const std::string& name) {
  return &*protocols_.insert(name).first;
}

const RouteSync::Remote* RouteSync::remoteFor(const RouteKey& k) const {
  auto id = vrfId(k.vrf);
  if (!id) {
    return nullptr;
  }
  auto it = remote_.find({*id, k.address});
  return it == remote_.end() ? nullptr : &it->second;
}

void RouteSync::emitRemote(const RouteKey& k, const std::string& protocol, bool present) {
  remoteOut_.push_back(RemoteEvent{k, protocol, present});
  ++stats_.remoteSignals;
}

// ---- the learner ------------------------------------------------------------------------------

void RouteSync::withdraw(const RouteKey& k, const std::string& why, TimePoint now) {
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    return;
  }
  auto& e = it->second;
  if (e.programmed) {
    const auto& p = *e.programmed;
    deletes_[k] = RouteOp{
        RouteOp::Kind::Delete, p.backend, k, p.vrfId, p.ifindex, p.distance, p.tag, p.metric};
  }
  e.lastChange = now;
  statusOut_[k] = StatusEvent{k, RouteState::Removed, why};
  --counts_[static_cast<size_t>(e.state)];
  entries_.erase(it);
}

void RouteSync::apply(
    const std::vector<Intent>& add, const std::vector<RouteKey>& withdrawals, TimePoint now) {
  for (const auto& k : withdrawals) {
    if (entries_.count(k)) {
      ++stats_.intentsWithdrawn;
    }
    withdraw(k, "withdrawn by the learner", now);
  }
  for (const auto& in : add) {
    ++stats_.intentsAdded;
    auto it = entries_.find(in.key);
    if (it == entries_.end()) {
      Entry e;
      e.intent = in;
      e.lastChange = now;
      // Withdrawn and re-added before the delete went out: the route is still programmed.
      if (auto d = deletes_.find(in.key); d != deletes_.end()) {
        const auto& op = d->second;
        e.programmed = Programmed{op.backend, op.vrfId, op.ifindex, op.distance, op.tag, op.metric};
        deletes_.erase(d);
      }
      if (!policy_.moveSignal) {
        e.mode = Mode::Plain;
      } else if (in.shared) {
        e.mode = Mode::Shared;  // a shared host never claims (it would move the other's copy)
        ++stats_.shared;
      } else if (in.claim) {
        e.mode = Mode::Claim;
        e.claimUntil = now + policy_.claimWindow;
        addDeadline(e.claimUntil, in.key);
        ++stats_.claims;
      } else {
        e.mode = Mode::Hold;
      }
      ++counts_[static_cast<size_t>(e.state)];
      it = entries_.emplace(in.key, std::move(e)).first;
      if (auto r = remoteFor(in.key)) {
        emitRemote(in.key, *r->protocol, true);
      }
    } else {
      auto& e = it->second;
      bool moved = e.intent.ifname != in.ifname;
      e.stale = false;
      // A resynchronisation re-sends what the learner already had: it never re-claims a route
      // that did not change.
      bool resent = syncing_ && !moved;
      bool keepShared = false;
      auto startClaim = [&] {
        e.mode = Mode::Claim;
        e.claimUntil = now + policy_.claimWindow;
        addDeadline(e.claimUntil, in.key);
        ++stats_.claims;
      };
      if (!policy_.moveSignal) {
        // Plain: nothing to decide.
      } else if (in.shared) {
        if (e.mode != Mode::Shared) {
          e.mode = Mode::Shared;
          ++stats_.shared;
        }
      } else if (e.mode == Mode::Shared) {
        if (resent) {
          // A restarted learner re-sends what it found without the flag: dropping to hold now
          // would yield to the other router's copy and withdraw ours for a moment. Kept; the
          // status says "shared", and the learner adopts it.
          keepShared = true;
          ++stats_.sharedKeptOnSync;
        } else if (in.claim) {
          startClaim();
        } else {
          e.mode = Mode::Hold;  // the learner says it is no longer shared
        }
      } else if (in.claim && e.mode != Mode::Claim && !resent) {
        startClaim();
      }
      if (moved) {
        e.failures = 0;
      }
      e.intent = in;
      e.intent.shared = e.intent.shared || keepShared;
    }
    markDirty(in.key);
  }
}

void RouteSync::syncBegin(uint64_t generation) {
  syncing_ = true;
  generation_ = generation;
  for (auto& [k, e] : entries_) {
    e.stale = true;
  }
}

size_t RouteSync::syncEnd(uint64_t generation, TimePoint now) {
  if (!syncing_ || generation != generation_) {
    return 0;
  }
  std::vector<RouteKey> stale;
  for (const auto& [k, e] : entries_) {
    if (e.stale) {
      stale.push_back(k);
    }
  }
  for (const auto& k : stale) {
    withdraw(k, "not re-sent by the learner's resynchronisation", now);
  }
  syncing_ = false;
  haveFullTable_ = true;
  stats_.swept += stale.size();
  ++stats_.syncs;
  return stale.size();
}

// ---- zebra ----------------------------------------------------------------------------------

void RouteSync::sessionReset() {
  own_.clear();
  ifaces_.clear();
  vrfNames_.clear();
  remoteBefore_ = std::move(remote_);
  remote_.clear();
  dumping_ = true;
}

void RouteSync::zebraUp(TimePoint) {
  zebraUp_ = true;
  ++stats_.replays;
  for (auto& [k, e] : entries_) {
    // zebra either kept our routes (graceful restart) or lost them: re-send each one.
    if (e.programmed && e.programmed->backend == Backend::Zapi) {
      e.programmed.reset();
    }
    markDirty(k);
  }
  for (auto it = deletes_.begin(); it != deletes_.end();) {
    it = it->second.backend == Backend::Zapi ? deletes_.erase(it) : std::next(it);
  }
  // Redistribution was replayed during the dumps: report what changed meanwhile.
  if (dumping_) {
    dumping_ = false;
    for (const auto& [va, r] : remote_) {
      auto before = remoteBefore_.find(va);
      if (before != remoteBefore_.end() && before->second.protocol == r.protocol) {
        continue;
      }
      auto name = vrfName(va.first);
      if (name && entries_.count(RouteKey{*name, va.second})) {
        emitRemote(RouteKey{*name, va.second}, *r.protocol, true);
      }
    }
    for (const auto& [va, r] : remoteBefore_) {
      if (remote_.count(va)) {
        continue;
      }
      auto name = vrfName(va.first);
      if (name && entries_.count(RouteKey{*name, va.second})) {
        emitRemote(RouteKey{*name, va.second}, *r.protocol, false);
      }
    }
    remoteBefore_.clear();
  }
}

void RouteSync::zebraDown(TimePoint now, const std::string& why) {
  zebraUp_ = false;
  downReason_ = why;
  for (auto& [k, e] : entries_) {
    if (backendFor(k) != Backend::Zapi) {
      continue;
    }
    e.programmed.reset();
    setState(k, e, RouteState::Waiting, fmt::format("zebra not connected: {}", why), now);
  }
  for (auto it = deletes_.begin(); it != deletes_.end();) {
    // zebra drops them itself (no graceful restart) or flushes them on COMPLETE after the
    // replay, since they are not re-sent.
    it = it->second.backend == Backend::Zapi ? deletes_.erase(it) : std::next(it);
  }
}

void RouteSync::vrfAdded(const std::string& name, uint32_t id) {
  // VRF 0 is the default VRF whatever zebra calls it (-o renames it): the learner says "".
  std::string norm = (id == 0 || name == "default") ? std::string() : name;
  vrfNames_[id] = norm;
  for (const auto& [k, e] : entries_) {
    if (k.vrf == norm) {
      markDirty(k);
    }
  }
}

void RouteSync::vrfDeleted(uint32_t id, TimePoint now) {
  auto it = vrfNames_.find(id);
  if (it == vrfNames_.end()) {
    return;
  }
  std::string name = it->second;
  vrfNames_.erase(it);
  for (auto& [k, e] : entries_) {
    if (k.vrf != name) {
      continue;
    }
    if (e.programmed && e.programmed->backend == Backend::Zapi) {
      e.programmed.reset();  // gone with it
    }
    markDirty(k);
  }
  for (auto r = remote_.begin(); r != remote_.end();) {
    if (r->first.first != id) {
      ++r;
      continue;
    }
    RouteKey k{name, r->first.second};
    if (entries_.count(k) && !dumping_) {
      emitRemote(k, *r->second.protocol, false);
    }
    r = remote_.erase(r);
  }
  (void)now;
}

void RouteSync::markInterface(uint32_t vrf, const std::string& name) {
  for (auto& [k, e] : entries_) {
    if (e.intent.ifname != name) {
      continue;
    }
    auto id = vrfId(k.vrf);
    if (!id || *id != vrf) {
      continue;
    }
    e.failures = 0;  // an interface change is a fresh start, not a retry
    markDirty(k);
  }
}

void RouteSync::interfaceState(
    uint32_t vrf, const std::string& name, uint32_t ifindex, bool operative, TimePoint) {
  auto key = std::make_pair(vrf, name);
  auto it = ifaces_.find(key);
  if (it != ifaces_.end() && it->second.ifindex == ifindex && it->second.operative == operative) {
    return;
  }
  bool wentDown = it != ifaces_.end() && it->second.operative && !operative;
  ifaces_[key] = IfInfo{ifindex, operative};
  if (wentDown) {
    for (const auto& [k, e] : entries_) {
      if (e.intent.ifname == name && e.programmed) {
        ++stats_.interfaceWithdrawals;
      }
    }
  }
  markInterface(vrf, name);
}

void RouteSync::interfaceDeleted(uint32_t vrf, const std::string& name, TimePoint) {
  if (ifaces_.erase(std::make_pair(vrf, name)) > 0) {
    markInterface(vrf, name);
  }
}

void RouteSync::notify(uint32_t vrf, const Prefix& prefix, uint32_t note, TimePoint now) {
  auto name = vrfName(vrf);
  if (!prefix.isHost() || !name) {
    ++stats_.notifyUnknownRoute;
    return;
  }
  RouteKey k{*name, prefix.address()};
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    ++stats_.notifyUnknownRoute;  // e.g. REMOVED for a route the learner withdrew
    return;
  }
  auto& e = it->second;
  auto [dist, tag] = distanceTag(e.mode);
  (void)tag;
  switch (static_cast<zapi::Note>(note)) {
    case zapi::Note::Installed:
      ++stats_.notifyInstalled;
      if (!e.programmed) {
        return;  // an answer to an add we have since taken back
      }
      e.failures = 0;
      setState(k, e, RouteState::Installed, installedText_[static_cast<size_t>(e.mode)], now);
      return;
    case zapi::Note::BetterAdminWon: {
      ++stats_.notifyBetterAdminWon;
      if (!e.programmed) {
        return;
      }
      auto r = remoteFor(k);
      setState(
          k,
          e,
          RouteState::Shadowed,
          r ? fmt::format("{} route selected (distance {} < {})", *r->protocol, r->distance, dist)
            : std::string("another protocol's route is selected (BETTER_ADMIN_WON)"),
          now);
      return;
    }
    case zapi::Note::Removed:
      ++stats_.notifyRemoved;
      if (!e.programmed) {
        return;  // our own delete
      }
      e.programmed.reset();
      scheduleRetry(k, e, now);
      setState(k, e, RouteState::Removed, "removed by zebra; re-adding after back-off", now);
      return;
    case zapi::Note::FailInstall:
      ++stats_.notifyFailInstall;
      if (!e.programmed) {
        return;
      }
      e.programmed.reset();  // zebra discards a TABLE route it could not install
      scheduleRetry(k, e, now);
      setState(
          k,
          e,
          RouteState::Failed,
          fmt::format(
              "zebra could not install it (FAIL_INSTALL: invalid nexthop, e.g. interface {} down); "
              "retry {}",
              e.intent.ifname,
              e.failures),
          now);
      return;
    case zapi::Note::RemoveFail:
      ++stats_.notifyRemoveFail;
      setState(k, e, RouteState::Failed, "zebra could not remove it (REMOVE_FAIL)", now);
      return;
  }
  ++stats_.notifyUnknownRoute;
}

void RouteSync::redistributed(
    uint32_t vrf,
    const Prefix& prefix,
    const std::string& protocol,
    uint8_t distance,
    bool add,
    TimePoint now) {
  if (!prefix.isHost()) {
    return;
  }
  VrfAddr va{vrf, prefix.address()};
  auto name = vrfName(vrf);
  std::optional<RouteKey> owned;
  if (name && entries_.count(RouteKey{*name, prefix.address()})) {
    owned = RouteKey{*name, prefix.address()};
  }
  if (add) {
    auto it = remote_.find(va);
    bool changed = it == remote_.end() || *it->second.protocol != protocol;
    remote_[va] = Remote{internProtocol(protocol), distance};
    if (!owned || dumping_) {
      return;
    }
    if (changed) {
      emitRemote(*owned, protocol, true);
    }
    auto& e = entries_.at(*owned);
    auto [dist, tag] = distanceTag(e.mode);
    (void)tag;
    if (e.programmed && e.state == RouteState::Pending && distance < dist) {
      setState(
          *owned,
          e,
          RouteState::Shadowed,
          fmt::format("{} route selected (distance {} < {})", protocol, distance, dist),
          now);
    }
    return;
  }
  auto it = remote_.find(va);
  if (it == remote_.end() || *it->second.protocol != protocol) {
    return;  // not the current best
  }
  remote_.erase(it);
  if (owned && !dumping_) {
    emitRemote(*owned, protocol, false);
    // The copy that shadowed ours is gone: ours is selected again (zebra says nothing).
    auto& e = entries_.at(*owned);
    if (e.programmed && e.state == RouteState::Shadowed) {
      markDirty(*owned);
    }
  }
}

void RouteSync::ownRouteSeen(uint32_t vrf, const Prefix& prefix, bool add) {
  if (!prefix.isHost()) {
    return;
  }
  if (add) {
    own_.insert({vrf, prefix.address()});
  } else {
    own_.erase({vrf, prefix.address()});
  }
}

size_t RouteSync::sweepOrphans(TimePoint now) {
  size_t n = 0;
  for (const auto& [vrf, addr] : own_) {
    auto name = vrfName(vrf);
    if (!name) {
      continue;
    }
    RouteKey k{*name, addr};
    if (entries_.count(k) || deletes_.count(k)) {
      continue;
    }
    deletes_[k] = RouteOp{RouteOp::Kind::Delete, Backend::Zapi, k, vrf, 0, 0, 0, 0};
    statusOut_[k] = StatusEvent{
        k, RouteState::Removed, "left in zebra by a previous run and not re-sent by the learner"};
    ++n;
  }
  own_.clear();
  stats_.orphansDeleted += n;
  (void)now;
  return n;
}

// ---- kernel table -----------------------------------------------------------------------------

void RouteSync::kernelDone(const RouteKey& k, bool add, TimePoint now) {
  if (!add) {
    return;
  }
  auto it = entries_.find(k);
  if (it == entries_.end() || !it->second.programmed) {
    return;
  }
  it->second.failures = 0;
  setState(k, it->second, RouteState::Installed, "in the kernel table (zebra imports it)", now);
}

void RouteSync::kernelFailed(
    const RouteKey& k, bool add, const std::string& detail, TimePoint now) {
  if (!add) {
    return;  // a delete of a route the kernel already dropped (link down) is fine
  }
  auto it = entries_.find(k);
  if (it == entries_.end() || !it->second.programmed) {
    return;
  }
  auto& e = it->second;
  e.programmed.reset();
  scheduleRetry(k, e, now);
  setState(
      k,
      e,
      RouteState::Failed,
      fmt::format("kernel refused it: {}; retry {}", detail, e.failures),
      now);
}

// ---- time and outputs
// -----------------------------------------------------------------------------

void RouteSync::tick(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    RouteKey k = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = entries_.find(k);
    if (it == entries_.end()) {
      continue;
    }
    auto& e = it->second;
    if (e.mode == Mode::Claim && e.claimUntil <= now) {
      e.mode = Mode::Hold;
      ++stats_.relaxed;
      markDirty(k);
    }
    if (e.failures > 0 && e.retryAt <= now) {
      markDirty(k);
    }
  }
}

std::optional<TimePoint> RouteSync::nextDeadline() const {
  if (deadlines_.empty()) {
    return std::nullopt;
  }
  return deadlines_.begin()->first;
}

void RouteSync::evaluate(const RouteKey& k, Entry& e, TimePoint now, std::vector<RouteOp>& ops) {
  Backend b = backendFor(k);
  if (b == Backend::KernelTable && !zebraUp_ && e.programmed) {
    return;  // the kernel keeps it
  }
  auto [dist, tag] = distanceTag(e.mode);
  std::optional<Programmed> want;
  std::string why;
  if (b == Backend::Zapi && !zebraUp_) {
    why = fmt::format("zebra not connected: {}", downReason_);
  } else if (auto vid = vrfId(k.vrf); !vid) {
    why = fmt::format("VRF {} unknown to zebra", k.vrf);
  } else if (auto it = ifaces_.find({*vid, e.intent.ifname}); it == ifaces_.end()) {
    why = fmt::format("interface {} unknown to zebra", e.intent.ifname);
  } else if (!it->second.operative) {
    why = fmt::format("interface {} is down", e.intent.ifname);
  } else {
    want = Programmed{b, *vid, it->second.ifindex, dist, tag, policy_.metric};
  }
  auto del = [&](const Programmed& p) {
    ops.push_back(RouteOp{
        RouteOp::Kind::Delete, p.backend, k, p.vrfId, p.ifindex, p.distance, p.tag, p.metric});
    ++stats_.opsDelete;
  };
  if (!want) {
    if (e.programmed) {
      del(*e.programmed);
      e.programmed.reset();
    }
    setState(k, e, RouteState::Waiting, why, now);
    return;
  }
  if (e.failures > 0 && now < e.retryAt) {
    return;  // back-off: the state says why
  }
  if (e.programmed && *e.programmed == *want) {
    return;
  }
  if (e.programmed &&
      (e.programmed->backend != want->backend || e.programmed->vrfId != want->vrfId)) {
    del(*e.programmed);
  }
  ops.push_back(RouteOp{
      RouteOp::Kind::Add,
      want->backend,
      k,
      want->vrfId,
      want->ifindex,
      want->distance,
      want->tag,
      want->metric});
  ++stats_.opsAdd;
  e.programmed = want;
  if (auto r = remoteFor(k); r && r->distance < dist) {
    setState(
        k,
        e,
        RouteState::Shadowed,
        fmt::format("{} route selected (distance {} < {})", *r->protocol, r->distance, dist),
        now);
  } else if (b == Backend::Zapi) {
    setState(k, e, RouteState::Pending, pendingText_[static_cast<size_t>(e.mode)], now);
  } else {
    setState(k, e, RouteState::Pending, "written to the kernel table", now);
  }
}

std::vector<RouteOp> RouteSync::takeOps(TimePoint now) {
  std::vector<RouteOp> ops;
  ops.reserve(deletes_.size() + dirty_.size());
  for (auto& [k, op] : deletes_) {
    ops.push_back(op);
    ++stats_.opsDelete;
  }
  deletes_.clear();
  for (const auto& k : dirty_) {
    auto it = entries_.find(k);
    if (it != entries_.end() && it->second.dirty) {
      it->second.dirty = false;
      evaluate(k, it->second, now, ops);
    }
  }
  dirty_.clear();
  return ops;
}

std::vector<StatusEvent> RouteSync::takeStatus() {
  std::vector<StatusEvent> out;
  out.reserve(statusOut_.size());
  for (auto& [k, s] : statusOut_) {
    out.push_back(std::move(s));
  }
  statusOut_.clear();
  return out;
}

std::vector<RemoteEvent> RouteSync::takeRemote() {
  return std::exchange(remoteOut_, {});
}

// ---- views ------------------------------------------------------------------------------------

std::vector<RouteView> RouteSync::routes() const {
  std::vector<RouteView> out;
  out.reserve(entries_.size());
  for (const auto& [k, e] : entries_) {
    if (auto v = route(k)) {
      out.push_back(std::move(*v));
    }
  }
  std::sort(
      out.begin(), out.end(), [](const RouteView& a, const RouteView& b) { return a.key < b.key; });
  return out;
}

std::optional<RouteView> RouteSync::route(const RouteKey& k) const {
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  const auto& e = it->second;
  RouteView v;
  v.key = k;
  v.ifname = e.intent.ifname;
  if (auto id = vrfId(k.vrf)) {
    if (auto i = ifaces_.find({*id, e.intent.ifname}); i != ifaces_.end()) {
      v.ifindex = i->second.ifindex;
    }
  }
  v.mac = e.intent.mac;
  v.state = e.state;
  v.detail = e.detail;
  v.mode = e.mode;
  v.backend = backendFor(k);
  auto [dist, tag] = distanceTag(e.mode);
  v.distance = dist;
  v.tag = tag;
  v.programmed = e.programmed.has_value();
  v.stale = e.stale;
  v.failures = e.failures;
  v.lastChange = e.lastChange;
  if (e.mode == Mode::Claim) {
    v.claimUntil = e.claimUntil;
  }
  if (auto r = remoteFor(k)) {
    v.remoteProtocol = *r->protocol;
  }
  return v;
}

std::vector<StatusEvent> RouteSync::statusSnapshot() const {
  std::vector<StatusEvent> out;
  out.reserve(entries_.size());
  for (const auto& [k, e] : entries_) {
    out.push_back(StatusEvent{k, e.state, e.detail, e.mode == Mode::Shared});
  }
  return out;
}

std::vector<RemoteEvent> RouteSync::remoteSnapshot() const {
  std::vector<RemoteEvent> out;
  for (const auto& [va, r] : remote_) {
    auto name = vrfName(va.first);
    if (!name) {
      continue;
    }
    RouteKey k{*name, va.second};
    if (entries_.count(k)) {
      out.push_back(RemoteEvent{k, *r.protocol, true});
    }
  }
  return out;
}

size_t RouteSync::pendingAnswers() const {
  return counts_[static_cast<size_t>(RouteState::Pending)];
}

std::map<RouteState, size_t> RouteSync::stateCounts() const {
  std::map<RouteState, size_t> m;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] > 0) {
      m[static_cast<RouteState>(i)] = counts_[i];
    }
  }
  return m;
}

}  // namespace hr::fpm_client

#include "fpm_client/fib_core.h"

#include <errno.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace hr::fpm_client {

namespace nl = codec::nl;

namespace {

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

Duration backoff(uint32_t failures) {
  // 1 s, 2 s, 4 s ... 30 s: a rejected route is retried, but never in a tight loop.
  auto s = std::chrono::seconds(1) * (1u << std::min<uint32_t>(failures - 1, 5));
  return std::min<Duration>(s, std::chrono::seconds(30));
}

const char* sessionName(FibCore::Session s) {
  switch (s) {
    case FibCore::Session::Down:
      return "down";
    case FibCore::Session::Replaying:
      return "replaying";
    case FibCore::Session::Synced:
      return "synced";
  }
  return "?";
}

nlohmann::json specJson(const RouteSpec& s) {
  nlohmann::json paths = nlohmann::json::array();
  if (s.paths) {
    for (const auto& p : *s.paths) {
      nlohmann::json j = {
          {"interface", p.ifname.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.ifname)}};
      j["gateway"] = p.gateway ? nlohmann::json(p.gateway->str()) : nlohmann::json(nullptr);
      j["weight"] = p.weight;
      if (p.onlink) {
        j["onlink"] = true;
      }
      paths.push_back(j);
    }
  }
  nlohmann::json j = {
      {"kind", kindName(s.kind)}, {"protocol", protocolName(s.protocol)}, {"paths", paths}};
  if (s.prefsrc) {
    j["prefsrc"] = s.prefsrc->str();
  }
  return j;
}

}  // namespace

FibCore::FibCore(FibCoreConfig cfg) : cfg_(std::move(cfg)), admission_(cfg_.profile) {}

void FibCore::setConfig(FibCoreConfig cfg) {
  bool profileChanged = !(cfg.profile == cfg_.profile);
  cfg_ = std::move(cfg);
  if (profileChanged) {
    scratch_.clear();
    admission_.setProfile(cfg_.profile, scratch_);
    for (const auto& k : scratch_) {
      enqueue(k, true);
    }
    notice(
        Notice::Level::Info,
        fmt::format(
            "event=profile_applied profile={} driver={} changed_routes={}",
            cfg_.profile.name,
            cfg_.profile.driver,
            scratch_.size()));
  }
}

// --- FPM session ---------------------------------------------------------------------------

void FibCore::sessionUp(TimePoint now, const KernelSnapshot& tor) {
  ++stats_.sessions;
  ++stats_.replays;
  uint64_t gen = mirror_.beginSession();
  session_ = Session::Replaying;
  replayStart_ = now;
  lastInput_ = now;
  sessionSince_ = now;
  pausedDuringReplay_ = readPaused_;
  replayedTables_ = tor.replayedTables;
  expected_.clear();
  expectedKnown_ = tor.valid;
  if (tor.valid) {
    // Tables zebra never replays: take them from the ToR's kernel now.
    std::map<uint32_t, std::vector<std::pair<Prefix, ZRoute>>> others;
    for (const auto& [k, z] : mirror_.routes()) {
      if (!replayed(k.table)) {
        others[k.table];
      }
    }
    expected_.reserve(tor.replayedKeys.size());
    for (const auto& k : tor.replayedKeys) {
      if (replayed(k.table)) {
        expected_.insert(k);
      }
    }
    for (const auto& [k, z] : tor.otherTables) {
      if (!replayed(k.table)) {
        others[k.table].emplace_back(k.prefix, z);
      }
    }
    for (const auto& [table, routes] : others) {
      mirror_.reconcileTable(table, routes);
    }
    processDirty();
  }
  notice(
      Notice::Level::Info,
      fmt::format(
          "event=fpm_replay_start generation={} mirror_routes={} expected_from_kernel={}{}",
          gen,
          mirror_.routeCount(),
          expected_.size(),
          tor.valid ? "" : " kernel_fib=unreadable"));
}

void FibCore::sessionDown(TimePoint now) {
  if (session_ == Session::Replaying) {
    notice(
        Notice::Level::Warning,
        fmt::format(
            "event=fpm_replay_aborted after_seconds={:.3f} confirmed={} action=\"routes kept; the "
            "next session replays again\"",
            seconds(now - replayStart_),
            mirror_.confirmedCount()));
  }
  session_ = Session::Down;
  expected_.clear();
  expectedKnown_ = false;
}

Status FibCore::onFrame(std::span<const uint8_t> payload, TimePoint now) {
  lastInput_ = now;
  uint64_t ignored = 0;
  HR_TRY(auto msgs, decodeFpmPayload(payload, ignored));
  ++stats_.frames;
  stats_.messages += msgs.size();
  stats_.ignored += ignored;
  mirror_.applyFrame(msgs);
  if (session_ == Session::Replaying && !expected_.empty()) {
    for (const auto& m : msgs) {
      if (const auto* r = std::get_if<codec::nl::RouteMsg>(&m)) {
        expected_.erase(FibKey{r->table(), r->prefix().canonical()});
      }
    }
  }
  processDirty();
  return ok();
}

void FibCore::setReadPaused(bool paused, TimePoint now) {
  if (paused == readPaused_) {
    return;
  }
  readPaused_ = paused;
  if (paused) {
    if (session_ == Session::Replaying) {
      pausedDuringReplay_ = true;
    }
    notice(
        Notice::Level::Warning,
        fmt::format(
            "event=fpm_backpressure state=paused backlog={} max={}", backlog(), cfg_.maxBacklog));
  } else {
    lastInput_ = now;  // quiet time only counts while we read
    notice(
        Notice::Level::Info,
        fmt::format("event=fpm_backpressure state=resumed backlog={}", backlog()));
  }
}

void FibCore::setLinks(IfNames names) {
  bool changedExisting = false;
  bool added = false;
  for (const auto& [idx, name] : links_) {
    auto it = names.find(idx);
    if (it == names.end() || it->second != name) {
      changedExisting = true;
    }
  }
  for (const auto& [idx, name] : names) {
    if (!links_.contains(idx)) {
      added = true;
    }
  }
  links_ = std::move(names);
  if (changedExisting) {
    mirror_.markAllDirty();
  } else if (added) {
    mirror_.markHeldDirty();
  }
  processDirty();
}

void FibCore::processDirty() {
  auto keys = mirror_.takeDirty();
  if (keys.empty()) {
    return;
  }
  scratch_.clear();
  for (const auto& k : keys) {
    Resolution res = mirror_.resolve(k, links_, interner_);
    bool isHeld = res.hold != Hold::None;
    mirror_.setHeld(k, isHeld);
    if (isHeld) {
      held_[k] = HeldInfo{res.hold, std::move(res.detail)};
    } else {
      held_.erase(k);
    }
    admission_.update(k, res.spec, scratch_);
  }
  for (const auto& k : scratch_) {
    enqueue(k, true);
  }
  for (const auto& ev : admission_.takeEvents()) {
    notice(
        ev.up ? Notice::Level::Warning : Notice::Level::Info,
        fmt::format(
            "event={} resource={} used={} capacity={} profile={}",
            ev.up ? "capacity_threshold_reached" : "capacity_threshold_cleared",
            resourceName(ev.resource),
            ev.used,
            ev.capacity,
            cfg_.profile.name));
  }
}

// --- data path -----------------------------------------------------------------------------

void FibCore::enqueue(const FibKey& key, bool fresh) {
  auto& e = dp_[key];
  if (fresh) {
    clearFailure(key, e);  // something changed: try again now
    if (admission_.admitted(key) != nullptr) {
      e.orphan = false;
    }
  }
  if (e.busy) {
    e.requeue = true;
    return;
  }
  if (!e.queued) {
    e.queued = true;
    queue_.push_back(key);
  }
}

void FibCore::maybeErase(std::unordered_map<FibKey, DpEntry>::iterator it) {
  const auto& e = it->second;
  if (!e.programmed && !e.busy && !e.queued && !e.orphan && !e.failing &&
      admission_.admitted(it->first) == nullptr) {
    dp_.erase(it);
  }
}

std::vector<DpOp> FibCore::takeOps(size_t max, TimePoint now) {
  std::vector<DpOp> ops;
  while (ops.size() < max && !queue_.empty()) {
    FibKey key = queue_.front();
    queue_.pop_front();
    auto it = dp_.find(key);
    if (it == dp_.end()) {
      continue;
    }
    auto& e = it->second;
    e.queued = false;
    if (e.busy) {
      e.requeue = true;
      continue;
    }
    if (e.failing && now < failures_[key].retryAt) {
      continue;  // waits in retries_
    }
    const RouteSpec* want = admission_.admitted(key);
    if (want == nullptr && e.orphan && !orphansSwept_) {
      continue;  // found in the data path at start: kept until zebra's replay is complete
    }
    if (want != nullptr) {
      if (e.programmed && *e.programmed == *want) {
        clearFailure(key, e);
        continue;
      }
      inflight_[key] = *want;
      ops.push_back(DpOp{DpOpKind::Upsert, key, *want});
      ++stats_.opsUpsert;
    } else {
      if (!e.programmed) {
        clearFailure(key, e);
        maybeErase(it);
        continue;
      }
      inflight_[key] = std::nullopt;
      ops.push_back(DpOp{DpOpKind::Delete, key, {}});
      ++stats_.opsDelete;
    }
    e.busy = true;
    ++busy_;
  }
  return ops;
}

void FibCore::onResults(std::span<const DpResult> results, TimePoint now) {
  for (const auto& r : results) {
    auto it = dp_.find(r.key);
    if (it == dp_.end() || !it->second.busy) {
      continue;  // a result after a resync wiped the op
    }
    auto& e = it->second;
    e.busy = false;
    --busy_;
    bool okResult = r.error == 0 || (r.kind == DpOpKind::Delete && r.error == -ESRCH);
    auto sent = inflight_.extract(r.key);
    if (okResult) {
      e.programmed = r.kind == DpOpKind::Upsert && !sent.empty() ? sent.mapped() : std::nullopt;
      if (r.kind == DpOpKind::Delete && e.orphan) {
        e.orphan = false;
        ++stats_.orphansDeleted;
      }
      clearFailure(r.key, e);
      if (r.kind == DpOpKind::Delete) {
        e.rtmFlags = 0;
      }
      // An upsert keeps the flags: the kernel's notification of the write (which carries the
      // flags a driver set while inserting the route) may come before this result, and a
      // driver that set them at insert time never sends another.
    } else {
      // The kernel refused: a replace is atomic, so what was programmed stays.
      ++stats_.opsFailed;
      auto& f = failures_[r.key];
      e.failing = true;
      f.error = r.error;
      f.message = r.message;
      ++f.count;
      f.retryAt = now + backoff(f.count);
      retries_.emplace(f.retryAt, r.key);
      if (f.count == 1) {
        notice(
            Notice::Level::Warning,
            fmt::format(
                "event=dataplane_rejected route=\"{}\" op={} error={} reason=\"{}\" retry_in={}s",
                r.key.str(),
                r.kind == DpOpKind::Upsert ? "upsert" : "delete",
                -r.error,
                r.message,
                seconds(backoff(f.count))));
      }
    }
    if (e.requeue) {
      e.requeue = false;
      enqueue(r.key, false);
    }
    maybeErase(it);
  }
}

void FibCore::onHwFlags(const FibKey& key, uint32_t rtmFlags) {
  // Kept whatever the entry's state: a notification of our own write arrives while the op is
  // still in flight (before its result), and it is the last word on the route's flags.
  auto it = dp_.find(key);
  if (it == dp_.end()) {
    return;  // not a route of ours (any more)
  }
  uint32_t f = rtmFlags & (nl::rt::kOffload | nl::rt::kTrap | nl::rt::kOffloadFailed);
  if (f != it->second.rtmFlags) {
    ++stats_.hwChanges;
    it->second.rtmFlags = f;
  }
}

void FibCore::setNeighbours(uint64_t n) {
  admission_.setNeighbours(n);
  processDirty();  // flushes threshold events
  for (const auto& ev : admission_.takeEvents()) {
    notice(
        Notice::Level::Warning,
        fmt::format(
            "event=capacity_threshold resource={} used={} capacity={}",
            resourceName(ev.resource),
            ev.used,
            ev.capacity));
  }
}

void FibCore::onResynced(std::vector<ProgrammedRoute> routes, TimePoint now) {
  (void)now;
  ++stats_.resyncs;
  std::unordered_set<FibKey> seen;
  for (auto& pr : routes) {
    seen.insert(pr.key);
    auto& e = dp_[pr.key];
    e.programmed = std::move(pr.spec);
    e.rtmFlags = pr.rtmFlags & (nl::rt::kOffload | nl::rt::kTrap | nl::rt::kOffloadFailed);
    if (admission_.admitted(pr.key) == nullptr && !orphansSwept_) {
      e.orphan = true;
    }
  }
  size_t lost = 0;
  for (auto& [k, e] : dp_) {
    if (!seen.contains(k) && e.programmed) {
      e.programmed.reset();
      ++lost;
    }
  }
  // Reconcile everything whose programmed state now differs from what is wanted.
  std::vector<FibKey> keys;
  keys.reserve(dp_.size());
  for (const auto& [k, e] : dp_) {
    keys.push_back(k);
  }
  for (const auto& k : keys) {
    enqueue(k, false);
  }
  notice(
      Notice::Level::Info,
      fmt::format("event=dataplane_resynced programmed={} missing={}", routes.size(), lost));
}

// --- time ----------------------------------------------------------------------------------

std::optional<TimePoint> FibCore::nextDeadline() const {
  std::optional<TimePoint> d;
  if (!retries_.empty()) {
    d = retries_.begin()->first;
  }
  if (session_ == Session::Replaying && !readPaused_) {
    TimePoint t = lastInput_ + (fastSweepEligible() ? cfg_.quietTime : cfg_.fallbackQuiet);
    if (!d || t < *d) {
      d = t;
    }
  }
  return d;
}

void FibCore::tick(TimePoint now) {
  while (!retries_.empty() && retries_.begin()->first <= now) {
    FibKey k = retries_.begin()->second;
    retries_.erase(retries_.begin());
    auto it = dp_.find(k);
    if (it != dp_.end() && it->second.failing && failures_[k].retryAt <= now) {
      enqueue(k, false);
    }
  }
  if (session_ == Session::Replaying && !readPaused_) {
    Duration quiet = now - lastInput_;
    if (fastSweepEligible() && quiet >= cfg_.quietTime) {
      completeReplay(now, true);
    } else if (quiet >= cfg_.fallbackQuiet) {
      completeReplay(now, false);
    }
  }
}

void FibCore::completeReplay(TimePoint now, bool confirmed) {
  auto removed = mirror_.sweep([this](uint32_t t) { return replayed(t); });
  processDirty();
  size_t orphans = 0;
  if (!orphansSwept_) {
    orphansSwept_ = true;
    for (auto& [k, e] : dp_) {
      if (e.orphan && admission_.admitted(k) == nullptr) {
        ++orphans;
        if (!e.busy && !e.queued) {
          e.queued = true;
          queue_.push_back(k);
        }
      }
    }
  }
  interner_.collect();
  session_ = Session::Synced;
  ++(confirmed ? stats_.sweepsConfirmed : stats_.sweepsQuiet);
  lastReplaySeconds_ = seconds(lastInput_ - replayStart_);
  lastReplayEnd_ = confirmed ? "confirmed" : "quiet";
  notice(
      confirmed ? Notice::Level::Info : Notice::Level::Warning,
      fmt::format(
          "event=fpm_replay_complete end={} replay_seconds={:.3f} routes={} swept={} "
          "stale_dataplane_routes={}{}",
          lastReplayEnd_,
          *lastReplaySeconds_,
          mirror_.routeCount(),
          removed.size(),
          orphans,
          confirmed ? ""
                    : fmt::format(
                          " note=\"end inferred after {} ms of quiet (kernel FIB {}; expected "
                          "routes missing {})\"",
                          cfg_.fallbackQuiet.count(),
                          expectedKnown_ ? "read" : "unreadable",
                          expected_.size())));
  expected_.clear();
  (void)now;
}

// --- state -----------------------------------------------------------------------------------

std::optional<RouteSpec> FibCore::programmed(const FibKey& key) const {
  auto it = dp_.find(key);
  return it == dp_.end() ? std::nullopt : it->second.programmed;
}

std::string FibCore::stateOf(const FibKey& key, const DpEntry* e) const {
  if (held_.contains(key)) {
    return "held";
  }
  if (admission_.refusal(key) != Refusal::None) {
    return "refused";
  }
  const RouteSpec* want = admission_.admitted(key);
  if (want == nullptr) {
    return e != nullptr && e->programmed ? (e->orphan ? "stale" : "pending") : "absent";
  }
  if (e == nullptr) {
    return "pending";
  }
  bool inPlace = e->programmed && *e->programmed == *want;
  if (!inPlace) {
    return e->failing && !e->busy ? "rejected" : "pending";
  }
  if (e->rtmFlags & nl::rt::kOffloadFailed) {
    return "offload-failed";
  }
  if (e->rtmFlags & nl::rt::kOffload) {
    return "offloaded";
  }
  if (e->rtmFlags & nl::rt::kTrap) {
    return "trap";
  }
  return "software";
}

std::string FibCore::routeState(const FibKey& key) const {
  auto it = dp_.find(key);
  return stateOf(key, it == dp_.end() ? nullptr : &it->second);
}

nlohmann::json FibCore::summaryJson(TimePoint now) const {
  std::map<std::string, uint64_t> states = {
      {"offloaded", 0},
      {"trap", 0},
      {"software", 0},
      {"offload-failed", 0},
      {"rejected", 0},
      {"refused", 0},
      {"held", 0},
      {"pending", 0},
      {"stale", 0}};
  for (const auto& [k, z] : mirror_.routes()) {
    auto it = dp_.find(k);
    ++states[stateOf(k, it == dp_.end() ? nullptr : &it->second)];
  }
  for (const auto& [k, e] : dp_) {
    if (mirror_.find(k) == nullptr && e.programmed) {
      ++states[e.orphan ? "stale" : "pending"];
    }
  }
  states.erase("absent");
  nlohmann::json usage = nlohmann::json::array();
  const auto& prof = admission_.profile();
  for (size_t i = 0; i < kResourceCount; ++i) {
    auto r = static_cast<Resource>(i);
    auto cap = prof.cap(r);
    uint64_t used = admission_.used(r);
    nlohmann::json u = {{"resource", resourceName(r)}, {"used", used}};
    u["capacity"] = cap ? nlohmann::json(*cap) : nlohmann::json(nullptr);
    u["percent"] = cap && *cap > 0 ? nlohmann::json(std::round(1000.0 * used / *cap) / 10.0)
                                   : nlohmann::json(nullptr);
    u["warning"] = cap && *cap > 0 && used * 100 >= uint64_t{*cap} * prof.warnPercent;
    usage.push_back(u);
  }
  nlohmann::json replay = {
      {"generation", mirror_.generation()},
      {"confirmed", mirror_.confirmedCount()},
      {"expectedFromKernel", expected_.size()},
      {"kernelFibRead", expectedKnown_},
      {"pausedDuringReplay", pausedDuringReplay_},
  };
  if (session_ == Session::Replaying) {
    replay["quietMs"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - lastInput_).count();
    replay["runningSeconds"] = seconds(now - replayStart_);
  }
  replay["lastReplaySeconds"] =
      lastReplaySeconds_ ? nlohmann::json(*lastReplaySeconds_) : nlohmann::json(nullptr);
  replay["lastEnd"] =
      lastReplayEnd_.empty() ? nlohmann::json(nullptr) : nlohmann::json(lastReplayEnd_);
  std::vector<uint32_t> tables(replayedTables_.begin(), replayedTables_.end());
  replay["replayedTables"] = tables;

  nlohmann::json families = nlohmann::json::array();
  for (auto f : {Family::V4, Family::V6}) {
    if (prof.offloads(f)) {
      families.push_back(f == Family::V4 ? "ipv4" : "ipv6");
    }
  }
  const auto& ms = mirror_.stats();
  nlohmann::json j = {
      {"state", sessionName(session_)},
      {"replay", replay},
      {"mirror",
       {{"routes", mirror_.routeCount()},
        {"nexthops", mirror_.nexthopCount()},
        {"held", mirror_.heldCount()},
        {"pathSets", interner_.size()}}},
      {"routes", states},
      {"profile",
       {{"name", prof.name},
        {"driver", prof.driver},
        {"offload", prof.offload},
        {"addressFamilies", families},
        {"softwareOnly", admission_.softwareOnlyCount()},
        {"warningThreshold", prof.warnPercent},
        {"refused", admission_.refusedCount()},
        {"usage", usage}}},
      {"backlog",
       {{"queued", queue_.size()},
        {"inFlight", busy_},
        {"retrying", retries_.size()},
        {"max", cfg_.maxBacklog},
        {"readPaused", readPaused_}}},
      {"counters",
       {{"frames", stats_.frames},
        {"messages", stats_.messages},
        {"ignored", stats_.ignored + ms.ignored},
        {"routeAdds", ms.routeAdds},
        {"routeChanges", ms.routeChanges},
        {"routeRefreshes", ms.routeRefreshes},
        {"routeDeletes", ms.routeDeletes},
        {"deleteUnknown", ms.deleteUnknown},
        {"replacePairs", ms.replacePairs},
        {"nexthopAdds", ms.nexthopAdds},
        {"nexthopChanges", ms.nexthopChanges},
        {"nexthopDeletes", ms.nexthopDeletes},
        {"swept", ms.swept},
        {"kernelReconciled", ms.kernelReconciled},
        {"sessions", stats_.sessions},
        {"sweepsConfirmed", stats_.sweepsConfirmed},
        {"sweepsQuiet", stats_.sweepsQuiet},
        {"orphansDeleted", stats_.orphansDeleted},
        {"opsUpsert", stats_.opsUpsert},
        {"opsDelete", stats_.opsDelete},
        {"opsFailed", stats_.opsFailed},
        {"resyncs", stats_.resyncs},
        {"hwChanges", stats_.hwChanges},
        {"refusedTotal", admission_.refusedTotal()}}},
  };
  return j;
}

nlohmann::json FibCore::routesJson(
    const std::string& state, const std::optional<Prefix>& prefix, size_t limit) const {
  nlohmann::json out = nlohmann::json::array();
  std::vector<FibKey> keys;
  for (const auto& [k, z] : mirror_.routes()) {
    keys.push_back(k);
  }
  for (const auto& [k, e] : dp_) {
    if (mirror_.find(k) == nullptr && e.programmed) {
      keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  size_t total = 0;
  for (const auto& k : keys) {
    if (prefix && !(prefix->contains(k.prefix))) {
      continue;
    }
    auto it = dp_.find(k);
    const DpEntry* e = it == dp_.end() ? nullptr : &it->second;
    std::string st = stateOf(k, e);
    if (!state.empty() && st != state) {
      continue;
    }
    ++total;
    if (out.size() >= limit) {
      continue;
    }
    nlohmann::json j = {{"prefix", k.prefix.str()}, {"table", k.table}, {"state", st}};
    if (const ZRoute* z = mirror_.find(k)) {
      j["protocol"] = protocolName(z->protocol);
      if (z->nhId != 0) {
        j["zebraNexthopId"] = z->nhId;
      }
      if (z->fromKernel) {
        j["source"] = "kernel";
      }
    }
    if (auto h = held_.find(k); h != held_.end()) {
      j["reason"] = fmt::format("{}: {}", holdName(h->second.hold), h->second.detail);
    } else if (auto rf = admission_.refusal(k); rf != Refusal::None) {
      j["reason"] = refusalName(rf);
    } else if (auto f = failures_.find(k); f != failures_.end()) {
      j["reason"] = fmt::format("kernel error {}: {}", -f->second.error, f->second.message);
    } else if (admission_.softwareOnly(k)) {
      j["reason"] = fmt::format(
          "not offloaded: the {} driver offloads no {} routes (profile {}); forwarded in "
          "software",
          cfg_.profile.driver,
          k.prefix.family() == Family::V4 ? "IPv4" : "IPv6",
          cfg_.profile.name);
    }
    if (const RouteSpec* want = admission_.admitted(k)) {
      j["wanted"] = specJson(*want);
    }
    if (e != nullptr && e->programmed) {
      j["programmed"] = specJson(*e->programmed);
    }
    if (e != nullptr) {
      j["rtmFlags"] = e->rtmFlags;
    }
    out.push_back(j);
  }
  return {{"routes", out}, {"matched", total}, {"shown", out.size()}};
}

}  // namespace hr::fpm_client

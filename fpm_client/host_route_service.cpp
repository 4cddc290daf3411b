#include "fpm_client/host_route_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace hr::fpm_client {

namespace zapi = codec::zapi;

namespace {

ipc::RouteState toIpc(RouteState s) {
  switch (s) {
    case RouteState::Pending:
      return ipc::ROUTE_PENDING;
    case RouteState::Installed:
      return ipc::ROUTE_INSTALLED;
    case RouteState::Failed:
      return ipc::ROUTE_FAILED;
    case RouteState::Removed:
      return ipc::ROUTE_REMOVED;
    case RouteState::Shadowed:
      return ipc::ROUTE_SHADOWED;
    case RouteState::Waiting:
      return ipc::ROUTE_WAITING;
  }
  return ipc::ROUTE_STATE_UNKNOWN;
}

std::string bytesOf(const IpAddress& a) {
  auto b = a.bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

double secondsSince(TimePoint now, TimePoint t) {
  return std::chrono::duration<double>(now - t).count();
}

constexpr size_t kBatch = 20000;  // statuses per envelope

// Wall-clock time: the learner stamps a new host's first frame with it (seen_realtime_us).
uint64_t realtimeUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

HostRouteService::HostRouteService(Daemon& d) : d_(d) {}

HostRouteService::~HostRouteService() {
  *alive_ = false;
}

void HostRouteService::addOptions(CLI::App& app) {
  app.add_option(
      "--frr-version",
      forcedVersion_,
      "Take this as the running FRR version instead of asking the zebra binary (ZAPI command "
      "numbers depend on it)");
}

config::ConfigResult<Daemon::ApplyFn> HostRouteService::prepare(const config::DataTree& tree) {
  auto c = parseInjectionConfig(tree);
  if (!c) {
    return Unexpected<config::ConfigError>(std::move(c).error());
  }
  if (applied_ && kernel_ && c->method == InjectionMethod::KernelTable &&
      c->kernelTable != cfg_.kernelTable) {
    return config::configFail(
        "/frr-hostroute:hostroute/learning/injection/kernel-table",
        fmt::format(
            "changing the kernel table ({} -> {}) needs a restart of fpm_client",
            cfg_.kernelTable,
            c->kernelTable));
  }
  InjectionConfig next = *c;
  return Daemon::ApplyFn([this, next] {
    bool first = !applied_;
    cfg_ = next;
    applied_ = true;
    core_.setPolicy(policyFrom(cfg_));
    if (session_) {
      session_->setStaleTime(cfg_.staleTime);
    }
    if (!first) {
      if (cfg_.method == InjectionMethod::KernelTable && !kernel_) {
        if (auto st = openKernelTable(); !st) {
          spdlog::error("event=kernel_table_open_failed reason=\"{}\"", st.error().message);
        }
      }
      schedule();
      refreshFrrCheck();
    }
  });
}

Status HostRouteService::openKernelTable() {
  std::weak_ptr<bool> alive = alive_;
  HR_TRY(
      kernel_,
      KernelTable::open(
          d_.loop(),
          d_.counters(),
          cfg_.kernelTable,
          [this, alive](const RouteKey& k, bool add, int err) {
            auto a = alive.lock();
            if (!a || !*a)
              return;
            auto now = d_.loop().now();
            if (err == 0) {
              core_.kernelDone(k, add, now);
            } else {
              core_.kernelFailed(k, add, strerror(err), now);
            }
            schedule();
          }));
  return ok();
}

Status HostRouteService::start() {
  auto& loop = d_.loop();
  tick_ = std::make_unique<Timer>(loop, [this] { schedule(); });
  frrCheckTimer_ = std::make_unique<Timer>(loop, [this] { refreshFrrCheck(); });
  completeTimer_ = std::make_unique<Timer>(loop, [this] { schedule(); });
  probe_ =
      std::make_unique<FrrProbe>(loop, d_.paths().instance, d_.paths().zservPath, forcedVersion_);
  if (cfg_.method == InjectionMethod::KernelTable) {
    HR_TRY_VOID(openKernelTable());
  }

  ZapiSession::Options o;
  o.path = d_.paths().zservPath;
  o.staleTime = cfg_.staleTime;
  ZapiSession::Callbacks cb;
  cb.onReset = [this] {
    writeLatency_.reset();
    core_.sessionReset();
    replayed_ = false;
    eligibleAt_.reset();
  };
  cb.onReady = [this] {
    core_.zebraUp(d_.loop().now());
    replayed_ = false;
    eligibleAt_.reset();
    schedule();
    frrCheckTimer_->arm(std::chrono::seconds(1));
  };
  cb.onDown = [this](const std::string& why) {
    writeLatency_.reset();
    core_.zebraDown(d_.loop().now(), why);
    replayed_ = false;
    eligibleAt_.reset();
    schedule();
  };
  cb.onMessage = [this](const zapi::Message& m) { onZebraMessage(m); };
  cb.onWritten = [this](uint64_t total) {
    if (writeLatency_.written(total, realtimeUs())) {
      exportLatency();
    }
  };
  session_ =
      std::make_unique<ZapiSession>(loop, d_.counters(), *probe_, std::move(o), std::move(cb));
  session_->start();
  for (const char* n :
       {"routes.intents_added",
        "routes.intents_withdrawn",
        "routes.swept",
        "routes.syncs",
        "routes.ops_add",
        "routes.ops_delete",
        "routes.notify_installed",
        "routes.notify_fail_install",
        "routes.notify_better_admin_won",
        "routes.notify_removed",
        "routes.notify_unknown_route",
        "routes.retries",
        "routes.claims",
        "routes.relaxed",
        "routes.shared",
        "routes.shared_kept_on_sync",
        "routes.interface_withdrawals",
        "routes.remote_signals",
        "routes.replays",
        "routes.orphans_deleted"}) {
    d_.counters().counter(n);
  }
  d_.counters().counter(
      "ipc.bad_intents", "host routes in RouteIntents refused (bad address, no interface)");
  d_.counters().gauge("routes.total", "host routes the learner wants");
  d_.counters().gauge("routes.installed", "host routes zebra reports installed");
  d_.counters().counter(
      "latency.seen_to_zapi_write_samples",
      "new hosts whose time from the learner's first frame to our ROUTE_ADD written to zebra was "
      "measured");
  d_.counters().counter(
      "latency.seen_to_zapi_write_over_1ms", "of those, the ones that took over 1 ms (the target)");
  d_.counters().gauge(
      "latency.seen_to_zapi_write_p50_us",
      "a new host's first frame (kernel receive time, stamped by the learner) -> its ROUTE_ADD "
      "written to zebra, p50 of the last 4096 (µs)");
  d_.counters().gauge("latency.seen_to_zapi_write_p99_us", "same, p99 (µs)");
  d_.counters().gauge("latency.seen_to_zapi_write_max_us", "same, maximum (µs)");
  exportCounters();
  return ok();
}

void HostRouteService::exportCounters() {
  const auto& s = core_.stats();
  auto& c = d_.counters();
  auto put = [&](const char* name, uint64_t v) {
    auto& x = c.counter(name);
    if (v > x.value()) {
      x += v - x.value();
    }
  };
  put("routes.intents_added", s.intentsAdded);
  put("routes.intents_withdrawn", s.intentsWithdrawn);
  put("routes.swept", s.swept);
  put("routes.syncs", s.syncs);
  put("routes.ops_add", s.opsAdd);
  put("routes.ops_delete", s.opsDelete);
  put("routes.notify_installed", s.notifyInstalled);
  put("routes.notify_fail_install", s.notifyFailInstall);
  put("routes.notify_better_admin_won", s.notifyBetterAdminWon);
  put("routes.notify_removed", s.notifyRemoved);
  put("routes.notify_unknown_route", s.notifyUnknownRoute);
  put("routes.retries", s.retries);
  put("routes.claims", s.claims);
  put("routes.relaxed", s.relaxed);
  put("routes.shared", s.shared);
  put("routes.shared_kept_on_sync", s.sharedKeptOnSync);
  put("routes.interface_withdrawals", s.interfaceWithdrawals);
  put("routes.remote_signals", s.remoteSignals);
  put("routes.replays", s.replays);
  put("routes.orphans_deleted", s.orphansDeleted);
  c.gauge("routes.total").set(core_.size());
  auto counts = core_.stateCounts();
  c.gauge("routes.installed")
      .set(counts.count(RouteState::Installed) ? counts[RouteState::Installed] : 0);
}

void HostRouteService::exportLatency() {
  const auto& s = writeLatency_.stats();
  auto& c = d_.counters();
  auto put = [&](const char* name, uint64_t v) {
    auto& x = c.counter(name);
    if (v > x.value()) {
      x += v - x.value();
    }
  };
  put("latency.seen_to_zapi_write_samples", s.samples);
  put("latency.seen_to_zapi_write_over_1ms", s.overTarget);
  c.gauge("latency.seen_to_zapi_write_p50_us").set(s.p50Us);
  c.gauge("latency.seen_to_zapi_write_p99_us").set(s.p99Us);
  c.gauge("latency.seen_to_zapi_write_max_us").set(s.maxUs);
}

void HostRouteService::schedule() {
  if (scheduled_) {
    return;
  }
  scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  d_.loop().defer([this, alive] {
    auto a = alive.lock();
    if (a && *a) {
      run();
    }
  });
}

void HostRouteService::run() {
  scheduled_ = false;
  auto now = d_.loop().now();
  core_.tick(now);
  auto ops = core_.takeOps(now);
  if (!ops.empty()) {
    sendOps(ops);
  }
  if (session_ && session_->ready()) {
    replayed_ = true;
    maybeComplete();
  }
  auto st = core_.takeStatus();
  if (!st.empty()) {
    publishStatus(st, nullptr, false);
  }
  auto rr = core_.takeRemote();
  if (!rr.empty()) {
    publishRemote(rr, nullptr, false);
  }
  if (auto next = core_.nextDeadline()) {
    tick_->armAt(*next);
  } else {
    tick_->cancel();
  }
  writeLatency_.endOfRound();
  exportCounters();
}

void HostRouteService::maybeComplete() {
  if (!session_ || !session_->ready() || !replayed_) {
    return;
  }
  if (!core_.haveFullTable()) {
    return;  // the learner has not re-sent its table yet
  }
  if (!session_->completeSent()) {
    // zebra sweeps stale routes the moment COMPLETE arrives, comparing each route's age: a
    // re-sent route still queued in zebra would be withdrawn and re-added (a flap upstream).
    // So COMPLETE waits until zebra answered every re-sent route (routes that lose
    // selection get no answer at all: kCompleteWait bounds the wait).
    auto now = d_.loop().now();
    if (!eligibleAt_) {
      eligibleAt_ = now;
    }
    size_t pending = core_.pendingAnswers();
    if (pending > 0 && now < *eligibleAt_ + kCompleteWait) {
      completeTimer_->armAt(*eligibleAt_ + kCompleteWait);
      return;
    }
    completeTimer_->cancel();
    if (pending > 0) {
      spdlog::info(
          "event=zapi_gr_complete_without_answers routes={} (not selected in zebra: no "
          "notification)",
          pending);
    }
    session_->sendComplete();
  }
  if (session_->watchingOwnRoutes()) {
    size_t seen = core_.ownRoutesSeen();
    size_t n = core_.sweepOrphans(d_.loop().now());
    session_->stopWatchingOwnRoutes();
    spdlog::info(
        "event=own_routes_reconciled held_by_zebra={} orphans_deleted={} (left by a previous run, "
        "not "
        "re-sent by the learner)",
        seen,
        n);
    if (n > 0) {
      sendOps(core_.takeOps(d_.loop().now()));
    }
  }
}

void HostRouteService::sendOps(const std::vector<RouteOp>& ops) {
  size_t zapiOps = 0;
  bool kernelOps = false;
  for (const auto& op : ops) {
    if (op.backend == Backend::KernelTable) {
      kernelOps = true;
      continue;
    }
    zapi::Route r;
    r.type = zapi::route_type::kTable;
    r.prefix = op.key.prefix();
    zapi::Message m;
    m.vrfId = op.vrfId;
    if (op.kind == RouteOp::Kind::Add) {
      m.command = zapi::Command::RouteAdd;
      r.message = zapi::kMsgNexthop | zapi::kMsgDistance;
      zapi::Nexthop nh;
      nh.vrfId = op.vrfId;
      nh.type = zapi::NexthopType::Ifindex;
      nh.ifindex = op.ifindex;
      r.nexthops.push_back(nh);
      r.distance = op.distance;
      if (op.tag != 0) {
        r.message |= zapi::kMsgTag;
        r.tag = op.tag;
      }
      if (op.metric != 0) {
        r.message |= zapi::kMsgMetric;
        r.metric = op.metric;
      }
    } else {
      m.command = zapi::Command::RouteDelete;  // matched on type and instance (ZAPI.md §2.2)
    }
    m.body = std::move(r);
    if (!session_ || !session_->queue(m)) {
      // Not connected: RouteSync already treats ZAPI routes as waiting; a route that cannot
      // be encoded is a bug in what we built.
      continue;
    }
    if (op.kind == RouteOp::Kind::Add) {
      writeLatency_.queued(op.key, session_->queuedBytes());
    }
    ++zapiOps;
  }
  if (zapiOps > 0) {
    session_->flush();
    HR_DEBUG(
        Zapi, "event=zapi_batch messages={} pending_bytes={}", zapiOps, session_->pendingOutput());
  }
  if (kernelOps) {
    if (kernel_) {
      kernel_->apply(ops);
    } else {
      auto now = d_.loop().now();
      for (const auto& op : ops) {
        if (op.backend == Backend::KernelTable) {
          core_.kernelFailed(op.key, op.kind == RouteOp::Kind::Add, "kernel table not open", now);
        }
      }
    }
  }
}

void HostRouteService::publishStatus(
    const std::vector<StatusEvent>& st, ipc::Channel* only, bool snapshot) {
  for (size_t off = 0; off < st.size() || (snapshot && off == 0); off += kBatch) {
    ipc::Envelope e;
    auto* b = e.mutable_route_status();
    b->set_snapshot(snapshot && off == 0);
    for (size_t i = off; i < std::min(st.size(), off + kBatch); ++i) {
      auto* s = b->add_status();
      s->set_vrf(st[i].key.vrf);
      s->set_address(bytesOf(st[i].key.address));
      s->set_state(toIpc(st[i].state));
      s->set_detail(st[i].detail);
      s->set_shared(st[i].shared);
    }
    if (only) {
      only->send(e);
    } else {
      d_.control().publish("route-status", e);
    }
    if (st.empty()) {
      break;
    }
  }
}

void HostRouteService::publishRemote(
    const std::vector<RemoteEvent>& rr, ipc::Channel* only, bool snapshot) {
  ipc::Envelope e;
  auto* b = e.mutable_remote_routes();
  b->set_snapshot(snapshot);
  for (const auto& r : rr) {
    auto* x = b->add_routes();
    x->set_vrf(r.key.vrf);
    x->set_address(bytesOf(r.key.address));
    x->set_protocol(r.protocol);
    x->set_present(r.present);
    spdlog::info(
        "event=remote_host_route vrf={} address={} protocol={} present={}",
        r.key.vrf.empty() ? "default" : r.key.vrf,
        r.key.address.str(),
        r.protocol,
        r.present);
  }
  if (only) {
    only->send(e);
  } else {
    d_.control().publish("remote-routes", e);
  }
}

std::optional<RouteKey> HostRouteService::toKey(const ipc::HostRoute& h) {
  auto a = IpAddress::fromBytes(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(h.address().data()), h.address().size()));
  if (!a) {
    return std::nullopt;
  }
  std::string vrf = h.vrf() == "default" ? std::string() : h.vrf();
  return RouteKey{vrf, *a};
}

std::optional<Intent> HostRouteService::toIntent(const ipc::HostRoute& h, bool& bad) {
  bad = false;
  auto k = toKey(h);
  if (!k || h.ifname().empty() || h.ifname().size() > 15 || k->address.isUnspecified() ||
      k->address.isMulticast()) {
    bad = true;
    return std::nullopt;
  }
  Intent i;
  i.key = *k;
  i.ifname = h.ifname();
  i.ifindex = h.ifindex();
  if (h.mac().size() == 6) {
    if (auto m = MacAddress::fromBytes(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(h.mac().data()), 6))) {
      i.mac = *m;
    }
  }
  i.claim = (h.flags() & ipc::HOST_ROUTE_CLAIM) != 0;
  i.shared = (h.flags() & ipc::HOST_ROUTE_SHARED) != 0;
  return i;
}

void HostRouteService::onMessage(ipc::Channel& ch, const ipc::Envelope& e) {
  auto now = d_.loop().now();
  switch (e.body_case()) {
    case ipc::Envelope::kSubscribe:
      for (const auto& t : e.subscribe().topics()) {
        if (t == "route-status") {
          publishStatus(core_.statusSnapshot(), &ch, true);
        }
        if (t == "remote-routes") {
          publishRemote(core_.remoteSnapshot(), &ch, true);
        }
      }
      return;
    case ipc::Envelope::kIntents: {
      if (learnerChannels_.insert(ch.id()).second) {
        spdlog::info("event=learner_connected channel={} peer={}", ch.id(), ch.peerDaemon());
      }
      std::vector<Intent> adds;
      std::vector<RouteKey> withdrawals;
      adds.reserve(static_cast<size_t>(e.intents().add_size()));
      size_t refused = 0;
      for (const auto& h : e.intents().add()) {
        bool bad = false;
        if (auto i = toIntent(h, bad)) {
          writeLatency_.intent(i->key, h.seen_realtime_us());
          adds.push_back(std::move(*i));
        } else {
          ++refused;
        }
      }
      for (const auto& h : e.intents().withdraw()) {
        if (auto k = toKey(h)) {
          writeLatency_.withdrawn(*k);
          withdrawals.push_back(*k);
        } else {
          ++refused;
        }
      }
      if (refused > 0) {
        d_.counters().counter("ipc.bad_intents") += refused;
        if (auto sup = rl_.allow("bad_intent", now)) {
          spdlog::warn(
              "event=bad_intents count={} suppressed={} reason=\"address not 4/16 bytes, "
              "unspecified or multicast, or no interface name\"",
              refused,
              *sup);
        }
      }
      core_.apply(adds, withdrawals, now);
      schedule();
      return;
    }
    case ipc::Envelope::kSyncBegin:
      learnerChannels_.insert(ch.id());
      core_.syncBegin(e.sync_begin().generation());
      spdlog::info(
          "event=learner_sync_begin generation={} routes={}",
          e.sync_begin().generation(),
          core_.size());
      return;
    case ipc::Envelope::kSyncEnd: {
      size_t swept = core_.syncEnd(e.sync_end().generation(), now);
      spdlog::info(
          "event=learner_sync_end generation={} routes={} swept={}",
          e.sync_end().generation(),
          core_.size(),
          swept);
      if (kernel_ && !leftoversSwept_ && core_.haveFullTable()) {
        std::set<IpAddress> keep;
        for (const auto& v : core_.routes()) {
          if (v.key.vrf.empty() && v.key.address.isV4()) {
            keep.insert(v.key.address);
          }
        }
        kernel_->sweepLeftovers(keep);
        leftoversSwept_ = true;
      }
      schedule();
      return;
    }
    default:
      return;
  }
}

void HostRouteService::onDisconnect(ipc::Channel& ch) {
  if (learnerChannels_.erase(ch.id()) > 0) {
    spdlog::info(
        "event=learner_disconnected channel={} routes={} action=\"routes kept until the learner "
        "re-syncs\"",
        ch.id(),
        core_.size());
  }
}

void HostRouteService::onStop() {
  bool withdraw = cfg_.stopAction == StopAction::Withdraw;
  if (session_) {
    session_->stop(withdraw);
  }
  if (kernel_ && withdraw) {
    std::vector<RouteOp> dels;
    for (const auto& v : core_.routes()) {
      if (v.backend == Backend::KernelTable && v.programmed) {
        dels.push_back(RouteOp{RouteOp::Kind::Delete, Backend::KernelTable, v.key, 0, 0, 0, 0, 0});
      }
    }
    kernel_->apply(dels);  // sent now (window permitting); the kernel applies them as it reads
  }
}

void HostRouteService::onZebraMessage(const zapi::Message& m) {
  auto now = d_.loop().now();
  using zapi::Command;
  switch (m.command) {
    case Command::VrfAdd:
      if (auto* v = std::get_if<zapi::Vrf>(&m.body)) {
        core_.vrfAdded(v->name, m.vrfId);
      }
      break;
    case Command::VrfDelete:
      core_.vrfDeleted(m.vrfId, now);
      break;
    case Command::InterfaceAdd:
    case Command::InterfaceUp:
    case Command::InterfaceDown:
      if (auto* i = std::get_if<zapi::Interface>(&m.body)) {
        bool op = i->operative() && m.command != Command::InterfaceDown;
        core_.interfaceState(m.vrfId, i->name, i->ifindex, op, now);
        if (m.command != Command::InterfaceAdd) {
          spdlog::info(
              "event=interface_{} vrf={} ifname={} ifindex={}",
              m.command == Command::InterfaceUp ? "up" : "down",
              m.vrfId,
              i->name,
              i->ifindex);
        }
      }
      break;
    case Command::InterfaceDelete:
      if (auto* i = std::get_if<zapi::Interface>(&m.body)) {
        core_.interfaceDeleted(m.vrfId, i->name, now);
      }
      break;
    case Command::RouteNotifyOwner:
      if (auto* n = std::get_if<zapi::NotifyOwner>(&m.body)) {
        HR_DEBUG(
            Zapi,
            "event=route_notify vrf={} prefix={} note={}",
            m.vrfId,
            n->prefix.str(),
            zapi::noteName(n->note));
        core_.notify(m.vrfId, n->prefix, n->note, now);
      }
      break;
    case Command::RedistributeRouteAdd:
    case Command::RedistributeRouteDel:
      if (auto* r = std::get_if<zapi::Route>(&m.body)) {
        if (r->type == zapi::route_type::kTable) {
          if (r->instance == 0) {
            core_.ownRouteSeen(m.vrfId, r->prefix, m.command == Command::RedistributeRouteAdd);
          }
          break;
        }
        core_.redistributed(
            m.vrfId,
            r->prefix,
            zapi::routeTypeName(r->type),
            r->distance,
            m.command == Command::RedistributeRouteAdd,
            now);
      }
      break;
    default:
      return;
  }
  schedule();
}

void HostRouteService::refreshFrrCheck() {
  if (!probe_) {
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  probe_->runningConfig([this, alive](Result<std::string> out) {
    auto a = alive.lock();
    if (!a || !*a) {
      return;
    }
    frrCheckedAt_ = d_.loop().now();
    if (!out) {
      frrCheckError_ = out.error().message;
      frrReport_.reset();
      if (rl_.allow("frr_check", d_.loop().now())) {
        spdlog::warn("event=frr_config_check_failed reason=\"{}\"", frrCheckError_);
      }
    } else {
      frrCheckError_.clear();
      auto r = checkFrrConfig(*out, cfg_);
      bool changed =
          !frrReport_ || frrReport_->problems != r.problems || frrReport_->warnings != r.warnings;
      if (changed) {
        for (const auto& p : r.problems) {
          spdlog::warn("event=frr_config_problem detail=\"{}\"", p);
        }
        for (const auto& w : r.warnings) {
          spdlog::info("event=frr_config_warning detail=\"{}\"", w);
        }
        if (r.ok() && r.warnings.empty()) {
          spdlog::info("event=frr_config_ok");
        }
      }
      frrReport_ = std::move(r);
    }
    frrCheckTimer_->arm(std::chrono::seconds(60));
  });
}

Result<std::string> HostRouteService::checkFrr(const std::vector<std::string>&) {
  refreshFrrCheck();
  return std::string("FRR configuration check started: see 'hostroutectl show zebra' in a moment");
}

nlohmann::json HostRouteService::routeJson(const RouteView& v) const {
  auto now = d_.loop().now();
  nlohmann::json j = {
      {"vrf", v.key.vrf.empty() ? "default" : v.key.vrf},
      {"prefix", v.key.prefix().str()},
      {"address", v.key.address.str()},
      {"interface", v.ifname},
      {"ifindex", v.ifindex},
      {"state", stateName(v.state)},
      {"reason", v.detail},
      {"mode", modeName(v.mode)},
      {"distance", v.distance},
      {"tag", v.tag},
      {"method", backendName(v.backend)},
      {"programmed", v.programmed},
      {"stale", v.stale},
      {"failures", v.failures},
      {"lastChangeSecondsAgo", secondsSince(now, v.lastChange)},
  };
  j["mac"] = v.mac ? nlohmann::json(v.mac->str()) : nlohmann::json(nullptr);
  j["claimRemainingMs"] =
      v.claimUntil
          ? nlohmann::json(std::max<int64_t>(
                0,
                std::chrono::duration_cast<std::chrono::milliseconds>(*v.claimUntil - now).count()))
          : nlohmann::json(nullptr);
  j["remoteProtocol"] =
      v.remoteProtocol ? nlohmann::json(*v.remoteProtocol) : nlohmann::json(nullptr);
  return j;
}

Result<nlohmann::json> HostRouteService::showRoutes(const std::vector<std::string>& args) {
  std::string vrf;
  std::optional<IpAddress> addr;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "vrf" && i + 1 < args.size()) {
      vrf = args[++i] == "default" ? std::string() : args[i];
      continue;
    }
    auto p = Prefix::parse(args[i]);
    if (!p || !p->isHost()) {
      return fail(
          "show.usage",
          "usage: show routes [vrf NAME] [ADDRESS]; '{}' is not a host address",
          args[i]);
    }
    addr = p->address();
  }
  nlohmann::json routes = nlohmann::json::array();
  if (addr) {
    auto v = core_.route(RouteKey{vrf, *addr});
    if (!v) {
      return fail(
          "show.not_found",
          "no host route for {} in VRF {}",
          addr->str(),
          vrf.empty() ? "default" : vrf);
    }
    routes.push_back(routeJson(*v));
  } else {
    for (const auto& v : core_.routes()) {
      routes.push_back(routeJson(v));
    }
  }
  nlohmann::json states = nlohmann::json::object();
  for (auto s :
       {RouteState::Pending,
        RouteState::Installed,
        RouteState::Failed,
        RouteState::Removed,
        RouteState::Shadowed,
        RouteState::Waiting}) {
    states[std::string(stateName(s))] = 0;
  }
  for (const auto& [s, n] : core_.stateCounts()) {
    states[std::string(stateName(s))] = n;
  }
  return nlohmann::json{{"total", core_.size()}, {"states", states}, {"routes", routes}};
}

Result<nlohmann::json> HostRouteService::showZebra(const std::vector<std::string>&) {
  exportCounters();
  nlohmann::json j;
  j["session"] = session_ ? session_->toJson() : nlohmann::json(nullptr);
  nlohmann::json gr = session_ ? j["session"]["gracefulRestart"] : nlohmann::json::object();
  if (session_) {
    j["session"].erase("gracefulRestart");
  }
  std::string grState = "disabled";
  if (cfg_.staleTime.count() > 0) {
    if (!session_ || !session_->ready()) {
      grState = "not connected";
    } else if (session_->completeSent()) {
      grState = "complete";
    } else if (!core_.haveFullTable()) {
      grState = "pending: waiting for the learner's full sync";
    } else {
      grState = "pending";
    }
  }
  gr["state"] = grState;
  gr["stopAction"] = cfg_.stopAction == StopAction::Keep ? "keep" : "withdraw";
  j["gracefulRestart"] = gr;
  nlohmann::json inj = {
      {"method", cfg_.method == InjectionMethod::Zapi ? "zapi" : "kernel-table"},
      {"moveSignal",
       {{"enabled", core_.policy().moveSignal},
        {"claimDistance", cfg_.claimDistance},
        {"claimTag", cfg_.claimTag},
        {"holdDistance", cfg_.holdDistance},
        {"holdTag", cfg_.holdTag},
        {"claimWindowMs", cfg_.claimWindow.count()}}},
      {"distance", cfg_.distance},
      {"metric", cfg_.metric},
  };
  if (cfg_.method == InjectionMethod::KernelTable) {
    inj["kernelTable"] = {
        {"table", cfg_.kernelTable},
        {"open", kernel_ != nullptr},
        {"inFlight", kernel_ ? kernel_->inFlight() : 0},
        {"queued", kernel_ ? kernel_->queued() : 0}};
  }
  j["injection"] = inj;
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [s, n] : core_.stateCounts()) {
    states[std::string(stateName(s))] = n;
  }
  j["routes"] = {
      {"total", core_.size()}, {"states", states}, {"remoteHostRoutes", core_.remoteRoutes()}};
  nlohmann::json vrfs = nlohmann::json::array();
  for (const auto& [id, name] : core_.vrfs()) {
    vrfs.push_back({{"id", id}, {"name", name.empty() ? "default" : name}});
  }
  j["vrfs"] = vrfs;
  j["interfaces"] = core_.interfaces();
  j["learner"] = {
      {"connected", !learnerChannels_.empty()},
      {"syncing", core_.syncing()},
      {"fullSyncSeen", core_.haveFullTable()},
  };
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [name, e] : d_.counters().all()) {
    auto pos = name.find('.');
    std::string area = pos == std::string::npos ? name : name.substr(pos + 1);
    if (area.rfind("zapi.", 0) == 0 || area.rfind("routes.", 0) == 0 ||
        area.rfind("kernel_table.", 0) == 0) {
      counters[area] = e->counter.value();
    }
  }
  j["counters"] = counters;
  nlohmann::json frr;
  if (frrReport_) {
    nlohmann::json redist = nlohmann::json::array();
    for (const auto& c : frrReport_->redistribute) {
      redist.push_back(
          {{"where", c.where},
           {"configured", c.configured},
           {"routeMap", c.routeMap.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.routeMap)},
           {"routeMapDefined", c.routeMapDefined}});
    }
    frr = {
        {"ok", frrReport_->ok()},
        {"bgpAsn",
         frrReport_->bgpAsn ? nlohmann::json(*frrReport_->bgpAsn) : nlohmann::json(nullptr)},
        {"ospf", frrReport_->ospf},
        {"ospf6", frrReport_->ospf6},
        {"redistribute", redist},
        {"moveSignalBgp", frrReport_->moveSignalBgp},
        {"problems", frrReport_->problems},
        {"warnings", frrReport_->warnings},
    };
    if (cfg_.method == InjectionMethod::KernelTable) {
      frr["importTable"] = frrReport_->importTable;
    }
  } else {
    frr = {
        {"ok", nullptr},
        {"error",
         frrCheckError_.empty() ? nlohmann::json("not checked yet")
                                : nlohmann::json(frrCheckError_)}};
  }
  frr["checkedSecondsAgo"] = frrCheckedAt_
                                 ? nlohmann::json(secondsSince(d_.loop().now(), *frrCheckedAt_))
                                 : nlohmann::json(nullptr);
  j["frrConfig"] = frr;
  return j;
}

}  // namespace hr::fpm_client

#include "fpm_client/dataplane_service.h"

#include <linux/rtnetlink.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "fpm_client/dataplane_linux.h"
#include "fpm_client/fib_kernel.h"

namespace hr::fpm_client {

using namespace std::chrono_literals;

namespace {

// Backend "none": mirror only. Every op succeeds, answered on the next loop round.
class NullDataplane : public Dataplane {
 public:
  explicit NullDataplane(EventLoop& loop) : loop_(loop) {}
  const char* name() const override {
    return "none";
  }
  void setCallbacks(Callbacks cb) override {
    cb_ = std::move(cb);
  }
  Status start() override {
    if (cb_.resynced) {
      cb_.resynced({});
    }
    return ok();
  }
  void submit(std::vector<DpOp> ops) override {
    for (const auto& op : ops) {
      results_.push_back(DpResult{op.key, op.kind, 0, {}});
      if (op.kind == DpOpKind::Upsert) {
        ++installed_;
      } else if (installed_ > 0) {
        --installed_;
      }
    }
    if (!scheduled_) {
      scheduled_ = true;
      loop_.defer([this] {
        scheduled_ = false;
        auto out = std::exchange(results_, {});
        if (cb_.results) {
          cb_.results(std::move(out));
        }
      });
    }
  }
  size_t inFlight() const override {
    return results_.size();
  }
  nlohmann::json status() const override {
    return {{"backend", "none"}, {"note", "mirror only: nothing is programmed"}};
  }

 private:
  EventLoop& loop_;
  Callbacks cb_;
  std::vector<DpResult> results_;
  bool scheduled_ = false;
  uint64_t installed_ = 0;
};

}  // namespace

DataplaneService::DataplaneService(Daemon& daemon) : d_(daemon) {
  d_.addShow(
      "dataplane",
      "data path: FPM session, zebra's FIB mirror, backend, switch profile use",
      [this](const std::vector<std::string>& args) { return show(args); });
}

DataplaneService::~DataplaneService() {
  stop();
}

config::ConfigResult<Daemon::ApplyFn> DataplaneService::prepare(const config::DataTree& tree) {
  std::vector<SwitchProfile> catalogue;
  if (d_.yang()) {
    auto cat = loadProfileCatalogue(d_.yang());
    if (!cat) {
      return config::configFail("", cat.error().message);
    }
    catalogue = std::move(*cat);
  }
  auto cfg = parseDataplaneConfig(tree, catalogue);
  if (!cfg) {
    return Unexpected<config::ConfigError>(std::move(cfg).error());
  }
  return Daemon::ApplyFn([this, c = std::move(*cfg)]() { apply(c); });
}

void DataplaneService::apply(DataplaneConfig cfg) {
  loop_ = &d_.loop();
  if (!tick_) {
    tick_.emplace(*loop_, [this] { schedulePump(); });
    listenRetry_.emplace(*loop_, [this] { startListener(); });
    backendRetry_.emplace(*loop_, [this] { startBackend(); });
  }
  std::optional<DataplaneConfig> old = std::move(cfg_);
  cfg_ = std::move(cfg);
  if (!cfg_->enabled) {
    if (old && old->enabled) {
      spdlog::info("event=dataplane_disabled");
    }
    stop();
    return;
  }
  if (!core_) {
    core_ = std::make_unique<FibCore>(cfg_->coreConfig());
  } else {
    core_->setConfig(cfg_->coreConfig());
  }
  if (!torLinks_) {
    auto w = LinkWatcher::create(*loop_, "", [this] {
      if (core_ && torLinks_) {
        core_->setLinks(torLinks_->names());
      }
      schedulePump();
    });
    if (!w) {
      spdlog::error("event=dataplane_links_failed reason=\"{}\"", w.error().message);
    } else {
      torLinks_ = std::move(*w);
      core_->setLinks(torLinks_->names());
    }
  }
  auto backendKey = [](const DataplaneConfig& c) {
    return std::make_tuple(
        c.backend, c.netnsPath, c.table, c.tableMap, c.metric, c.batchSize, c.interfaceMap);
  };
  if (!backend_ || !old || !old->enabled || backendKey(*old) != backendKey(*cfg_)) {
    backendBackoff_.reset();
    startBackend();
  }
  if (!server_ || !old || !old->enabled || old->address != cfg_->address ||
      old->port != cfg_->port) {
    listenBackoff_.reset();
    startListener();
  }
  spdlog::info(
      "event=dataplane_configured listen={}:{} backend={} netns={} table={} profile={} driver={}",
      cfg_->address.str(),
      cfg_->port,
      cfg_->backend == BackendType::Linux ? "linux" : "none",
      cfg_->netnsPath.empty() ? "-" : cfg_->netnsPath,
      cfg_->table,
      cfg_->profile.name,
      cfg_->profile.driver);
  schedulePump();
}

void DataplaneService::stop() {
  server_.reset();
  backend_.reset();
  backendReady_ = false;
  core_.reset();
  torLinks_.reset();
  if (tick_) {
    tick_->cancel();
  }
  if (listenRetry_) {
    listenRetry_->cancel();
  }
  if (backendRetry_) {
    backendRetry_->cancel();
  }
}

void DataplaneService::startListener() {
  if (!cfg_ || !cfg_->enabled) {
    return;
  }
  server_.reset();
  FpmServer::Callbacks cb;
  cb.sessionUp = [this](const std::string& peer) { onSessionUp(peer); };
  cb.sessionDown = [this](const std::string& reason) {
    (void)reason;
    if (core_) {
      core_->sessionDown(loop_->now());
    }
    if (core_) {
      core_->setReadPaused(false, loop_->now());
    }
    schedulePump();
  };
  cb.frame = [this](std::span<const uint8_t> payload) -> Status {
    schedulePump();
    return core_ ? core_->onFrame(payload, loop_->now()) : ok();
  };
  auto s = FpmServer::listen(*loop_, cfg_->address, cfg_->port, std::move(cb));
  if (!s) {
    listenError_ = s.error().message;
    auto wait = listenBackoff_.next();
    spdlog::error(
        "event=fpm_listen_failed reason=\"{}\" retry_in_ms={}",
        listenError_,
        std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    listenRetry_->arm(wait);
    return;
  }
  listenError_.clear();
  server_ = std::move(*s);
  spdlog::info("event=fpm_listening address={}", server_->localAddress());
}

void DataplaneService::startBackend() {
  if (!cfg_ || !cfg_->enabled || !core_) {
    return;
  }
  backend_.reset();
  backendReady_ = false;
  std::unique_ptr<Dataplane> b;
  if (cfg_->backend == BackendType::None) {
    b = std::make_unique<NullDataplane>(*loop_);
  } else {
    auto l = LinuxDataplane::create(*loop_, *cfg_);
    if (!l) {
      backendError_ = l.error().message;
      return;
    }
    b = std::move(*l);
  }
  Dataplane::Callbacks cb;
  cb.results = [this](std::vector<DpResult> r) {
    if (core_) {
      core_->onResults(r, loop_->now());
    }
    schedulePump();
  };
  cb.hwFlags = [this](const FibKey& k, uint32_t flags) {
    if (core_) {
      core_->onHwFlags(k, flags);
    }
  };
  cb.resynced = [this](std::vector<ProgrammedRoute> routes) {
    if (core_) {
      core_->onResynced(std::move(routes), loop_->now());
    }
    schedulePump();
  };
  cb.neighbours = [this](uint64_t n) {
    if (core_) {
      core_->setNeighbours(n);
    }
    schedulePump();
  };
  b->setCallbacks(std::move(cb));
  backend_ = std::move(b);
  if (auto st = backend_->start(); !st) {
    backendError_ = st.error().message;
    backend_.reset();
    auto wait = backendBackoff_.next();
    spdlog::error(
        "event=dataplane_backend_failed reason=\"{}\" retry_in_ms={}",
        backendError_,
        std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    backendRetry_->arm(wait);
    return;
  }
  backendError_.clear();
  backendReady_ = true;
  spdlog::info("event=dataplane_backend_ready backend={}", backend_->name());
  schedulePump();
}

KernelSnapshot DataplaneService::readTorFib() {
  KernelSnapshot snap;
  auto t0 = loop_->now();
  snap.replayedTables = {RT_TABLE_MAIN};
  if (torLinks_) {
    for (uint32_t t : torLinks_->vrfTables()) {
      snap.replayedTables.insert(t);
    }
  }
  auto sock = NetlinkSocket::open({}, 16 << 20);
  if (!sock) {
    spdlog::warn("event=tor_fib_unreadable reason=\"{}\"", sock.error().message);
    return snap;
  }
  NexthopIndex nhs;
  auto st = dumpKernelRoutes(*sock, nhs, [&](KernelRoute&& kr) {
    bool replayedTable = snap.replayedTables.contains(kr.key.table);
    if (isZebraProtocol(kr.route.protocol)) {
      if (replayedTable) {
        snap.replayedKeys.push_back(kr.key);
      } else {
        snap.otherTables.emplace_back(kr.key, std::move(kr.route));
      }
    } else if (kr.route.protocol == RTPROT_KERNEL && replayedTable) {
      // The kernel's own connected routes: zebra sends one of each as a connected route, so
      // the replay must re-send them too (the sweep would otherwise remove a connected route
      // the walk had not reached yet).
      snap.replayedKeys.push_back(kr.key);
    }
  });
  if (!st) {
    spdlog::warn("event=tor_fib_unreadable reason=\"{}\"", st.error().message);
    snap.replayedKeys.clear();
    snap.otherTables.clear();
    return snap;
  }
  snap.valid = true;
  lastTorSnapshotSeconds_ = std::chrono::duration<double>(loop_->now() - t0).count();
  lastTorSnapshotRoutes_ = snap.replayedKeys.size() + snap.otherTables.size();
  return snap;
}

void DataplaneService::onSessionUp(const std::string& peer) {
  if (!core_) {
    return;
  }
  {
    auto snap = readTorFib();
    spdlog::info(
        "event=tor_fib_read peer={} zebra_routes={} seconds={:.3f}",
        peer,
        lastTorSnapshotRoutes_,
        lastTorSnapshotSeconds_);
    core_->sessionUp(loop_->now(), snap);
  }
  ::malloc_trim(0);  // the snapshot was transient: give its memory back
  schedulePump();
}

void DataplaneService::schedulePump() {
  if (pumpScheduled_ || loop_ == nullptr) {
    return;
  }
  pumpScheduled_ = true;
  loop_->defer([this] { pump(); });
}

void DataplaneService::pump() {
  pumpScheduled_ = false;
  if (!core_) {
    return;
  }
  auto now = loop_->now();
  core_->tick(now);
  bool more = false;
  if (backend_ && backendReady_) {
    size_t per = std::max<size_t>(cfg_->batchSize, 1);
    for (int i = 0; i < 8 && core_->queued() > 0; ++i) {
      auto ops = core_->takeOps(per, now);
      if (ops.empty()) {
        break;
      }
      backend_->submit(std::move(ops));
    }
    more = core_->queued() > 0;
  }
  if (server_) {
    if (!server_->paused() && core_->shouldPause()) {
      server_->pause(true);
      core_->setReadPaused(true, now);
    } else if (server_->paused() && core_->shouldResume()) {
      server_->pause(false);
      core_->setReadPaused(false, now);
    }
  }
  for (auto& n : core_->takeNotices()) {
    if (n.level == Notice::Level::Warning) {
      spdlog::warn("{}", n.text);
    } else {
      spdlog::info("{}", n.text);
    }
  }
  if (auto dl = core_->nextDeadline()) {
    tick_->armAt(*dl);
  } else {
    tick_->cancel();
  }
  if (now - lastCounterSync_ >= 1s) {
    syncCounters();
  }
  if (more) {
    schedulePump();
  }
}

void DataplaneService::syncCounters() {
  lastCounterSync_ = loop_->now();
  auto& c = d_.counters();
  if (server_) {
    const auto& s = server_->stats();
    c.counter("fpm.sessions", "FPM connections accepted from zebra").set(s.accepts);
    c.counter("fpm.session_resets", "FPM sessions closed because zebra sent malformed input")
        .set(s.resets);
    c.counter("fpm.bytes", "bytes read from zebra's FPM session").set(s.bytes);
    c.counter("fpm.frames", "FPM frames received").set(s.frames);
    c.counter("fpm.read_pauses", "times reading zebra was paused by back-pressure").set(s.pauses);
    c.gauge("fpm.connected", "1 while zebra's FPM session is up").set(server_->connected() ? 1 : 0);
    for (const auto& [reason, n] : s.errors) {
      c.counter("fpm.errors." + reason, "malformed FPM input, by reason").set(n);
    }
  }
  if (core_) {
    const auto& st = core_->stats();
    const auto& ms = core_->mirror().stats();
    c.gauge("dataplane.mirror_routes", "routes in the mirror of zebra's FIB")
        .set(core_->mirror().routeCount());
    c.gauge("dataplane.mirror_nexthops", "zebra's next-hop objects in the mirror")
        .set(core_->mirror().nexthopCount());
    c.gauge("dataplane.held", "routes held (next hop or interface not known yet)")
        .set(core_->mirror().heldCount());
    c.gauge("dataplane.backlog", "route changes waiting for the data path").set(core_->backlog());
    c.gauge("dataplane.refused", "routes refused by the switch profile")
        .set(core_->admission().refusedCount());
    c.counter("dataplane.replace_pairs", "zebra DEL+NEW pairs applied as one replace")
        .set(ms.replacePairs);
    c.counter("dataplane.swept", "stale routes removed after a replay").set(ms.swept);
    c.counter("dataplane.replays_confirmed", "replays ended by the ToR's kernel FIB confirming")
        .set(st.sweepsConfirmed);
    c.counter("dataplane.replays_quiet", "replays ended by the fallback quiet time")
        .set(st.sweepsQuiet);
    c.counter("dataplane.ops_upsert", "routes programmed").set(st.opsUpsert);
    c.counter("dataplane.ops_delete", "routes removed").set(st.opsDelete);
    c.counter("dataplane.ops_failed", "operations the data path refused").set(st.opsFailed);
    c.counter("dataplane.resyncs", "times the data path's content was re-read").set(st.resyncs);
    for (size_t i = 0; i < kResourceCount; ++i) {
      auto r = static_cast<Resource>(i);
      c.gauge(
           std::string("dataplane.usage.") + resourceName(r), "use of the switch profile's table")
          .set(core_->admission().used(r));
    }
  }
}

nlohmann::json DataplaneService::summary() {
  if (!cfg_ || !cfg_->enabled || !core_) {
    return {{"enabled", false}};
  }
  auto now = loop_->now();
  nlohmann::json j = core_->summaryJson(now);
  j["enabled"] = true;
  nlohmann::json fpm = server_ ? server_->statusJson(now) : nlohmann::json::object();
  fpm["listen"] = fmt::format("{}:{}", cfg_->address.str(), cfg_->port);
  fpm["listening"] = server_ != nullptr;
  fpm["listenError"] =
      listenError_.empty() ? nlohmann::json(nullptr) : nlohmann::json(listenError_);
  fpm["session"] = j["state"];
  fpm["replay"] = j["replay"];
  fpm["torFibReadSeconds"] = lastTorSnapshotSeconds_;
  fpm["torFibZebraRoutes"] = lastTorSnapshotRoutes_;
  j.erase("replay");
  j["fpm"] = fpm;
  nlohmann::json be = backend_ ? backend_->status() : nlohmann::json::object();
  be["ready"] = backendReady_;
  be["error"] = backendError_.empty() ? nlohmann::json(nullptr) : nlohmann::json(backendError_);
  j["backend"] = be;
  syncCounters();
  return j;
}

Result<nlohmann::json> DataplaneService::show(const std::vector<std::string>& args) {
  if (args.empty()) {
    return summary();
  }
  if (args[0] != "routes") {
    return fail("show.usage", "usage: show dataplane [routes [STATE] [PREFIX] [limit N]]");
  }
  if (!core_) {
    return fail("dataplane.disabled", "the data path is not enabled (dataplane/enabled)");
  }
  std::string state;
  std::optional<Prefix> prefix;
  size_t limit = 100;
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "limit" && i + 1 < args.size()) {
      try {
        limit = std::stoul(args[++i]);
      } catch (...) {
        return fail("show.usage", "limit takes a number");
      }
    } else if (auto p = Prefix::parse(a)) {
      prefix = p->canonical();
    } else {
      static const std::vector<std::string> kStates = {
          "offloaded",
          "trap",
          "software",
          "offload-failed",
          "rejected",
          "refused",
          "held",
          "pending",
          "stale"};
      if (std::find(kStates.begin(), kStates.end(), a) == kStates.end()) {
        return fail(
            "show.usage",
            "unknown route state '{}' (offloaded, trap, software, offload-failed, rejected, "
            "refused, held, pending, stale)",
            a);
      }
      state = a;
    }
  }
  auto j = core_->routesJson(state, prefix, limit);
  j["enabled"] = true;
  return j;
}

}  // namespace hr::fpm_client

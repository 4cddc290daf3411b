#include "hostroute_learner/learner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace hr::learner {
namespace {

uint64_t realtimeUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Learner::Learner(EventLoop& loop, Counters& c, const InstancePaths& paths)
    : loop_(loop),

      table_(c),
      watcher_(loop, table_.interfaces(), c, neighSink()),
      packets_(
          loop,
          table_.interfaces(),
          c,
          [this](int ifindex) { return isLearning(ifindex); },
          [this](const Observation& o, TimePoint rx) { observe(o, rx); }),
      vrfs_(
          loop,
          table_.interfaces(),
          c,
          VrfNamespaces::Hooks{
              neighSink(),
              [this](int ifindex) { return isLearning(ifindex); },
              [this](const Observation& o, TimePoint rx) { observe(o, rx); }}),
      publisher_(
          loop,
          paths.socketPath("fpm_client"),
          paths.instance,
          c,
          RoutePublisher::Sink{
              [this] { return table_.snapshot(); },
              [this](const std::string& vrf, const IpAddress& ip, RouteState st, bool shared) {
                table_.routeStatus(vrf, ip, st, loop_.now(), out_, shared);
                dispatch();
              },
              [this](
                  const std::string& vrf,
                  const IpAddress& ip,
                  bool present,
                  const std::string& proto) {
                table_.remoteRoute(vrf, ip, present, proto, loop_.now(), out_);
                dispatch();
              },
              [this] { return table_.remoteHosts(); },
              [this](const PublishAction&, uint64_t seen) { sample(seen); },
              [this](const std::vector<HeldRoute>& held) {
                table_.recover(held, loop_.now(), out_);
                dispatch();
              },
              [this] { return table_.recovering() > 0; },
              [this](bool up) { table_.setSouthbound(up, loop_.now()); },
              [this] { table_.syncSent(loop_.now()); },
              [this](const PublishAction& p) { table_.intentDropped(p.vrf, p.ip, loop_.now()); }}),
      timer_(loop, [this] {
        table_.tick(loop_.now(), out_);
        dispatch();
      }) {
  cLogsSuppressed_ =
      &c.counter("log.suppressed", "log lines dropped by the log rate limit (200 lines/s)");
  gLatP50_ = &c.gauge(
      "latency.learn_to_intent_p50_us",
      "first frame/event of a new host -> its route intent written to fpm_client, p50 of the last "
      "1024 (µs)");
  gLatP99_ = &c.gauge("latency.learn_to_intent_p99_us", "same, p99 (µs)");
  gLatMax_ = &c.gauge("latency.learn_to_intent_max_us", "same, maximum (µs)");
  cLatSamples_ =
      &c.counter("latency.samples", "new hosts whose learn-to-intent latency was measured");
  logRefill_ = loop.now();
  // Until the first sync, intents wait for it (the timeline says so).
  table_.setSouthbound(false, loop.now());
}

NeighWatcher::Sink Learner::neighSink() {
  return NeighWatcher::Sink{
      [this](const Observation& o) { observe(o, loop_.now()); },
      [this](int ifindex, const IpAddress& ip) {
        table_.neighborFailed(ifindex, ip, loop_.now(), out_);
        dispatch();
      },
      [this] {
        table_.interfacesChanged(loop_.now(), out_);
        dispatch();
      }};
}

bool Learner::isLearning(int ifindex) const {
  const auto& cfg = table_.config();
  if (!cfg.enabled) {
    return false;
  }
  const auto* i = table_.interfaces().get(ifindex);
  if (i == nullptr) {
    return false;
  }
  const auto* icfg = cfg.interfaceIn(i->name, i->netnsVrf);
  return icfg != nullptr && icfg->learning;
}

nlohmann::json Learner::netnsVrfsJson() const {
  return vrfs_.json(loop_.now());
}

Status Learner::start(const LearnerConfig& cfg) {
  table_.configure(cfg, loop_.now(), out_);
  dispatch();
  HR_TRY_VOID(watcher_.start());
  if (auto st = packets_.start(); !st) {
    return fail(
        "learner.packet_socket", "cannot open the ARP/ND snooping socket: {}", st.error().message);
  }
  // The netns VRFs' namespaces: what is there now is dumped before the first sync; a missing
  // one is retried and never stops the daemon.
  vrfs_.apply(cfg.netnsVrfs);
  publisher_.start();
  spdlog::info("event=learner_started hosts={}", table_.liveHosts());
  return ok();
}

void Learner::configure(const LearnerConfig& cfg) {
  table_.configure(cfg, loop_.now(), out_);
  dispatch();
  vrfs_.apply(cfg.netnsVrfs);
}

void Learner::observe(const Observation& o, TimePoint rx) {
  // The frame's receive time in wall-clock terms, for the latency figure fpm_client and the
  // benchmark can compare with their own clocks.
  rxRealtimeUs_ =
      realtimeUs() -
      static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(loop_.now() - rx).count());
  table_.observe(o, loop_.now(), out_);
  dispatch();
  rxRealtimeUs_ = 0;
}

void Learner::dispatch() {
  for (auto& a : out_) {
    if (auto* p = std::get_if<ProbeAction>(&a)) {
      (void)(netnsSlotOf(p->sendIfindex) == 0 ? packets_.send(*p) : vrfs_.send(*p));
    } else if (auto* r = std::get_if<PublishAction>(&a)) {
      publisher_.publish(*r, r->add && (r->flags & kFlagClaim) ? rxRealtimeUs_ : 0);
    } else if (auto* n = std::get_if<NeighborAction>(&a)) {
      (void)(netnsSlotOf(n->ifindex) == 0 ? watcher_.setNeighbor(n->ifindex, n->ip, n->mac) : vrfs_.setNeighbor(n->ifindex, n->ip, n->mac));
    } else {
      log(std::get<LogAction>(a));
    }
  }
  out_.clear();
  if (auto d = table_.nextDeadline()) {
    if (!timer_.armed() || timer_.deadline() != *d) {
      timer_.armAt(*d);
    }
  } else {
    timer_.cancel();
  }
}

void Learner::log(const LogAction& l) {
  auto now = loop_.now();
  logTokens_ = std::min(
      kLogsPerSecond,
      logTokens_ + std::chrono::duration<double>(now - logRefill_).count() * kLogsPerSecond);
  logRefill_ = now;
  if (logTokens_ < 1) {
    ++logsSuppressed_;
    ++*cLogsSuppressed_;
    return;
  }
  logTokens_ -= 1;
  if (logsSuppressed_ > 0) {
    spdlog::warn("event=logs_suppressed count={}", logsSuppressed_);
    logsSuppressed_ = 0;
  }
  if (l.warn) {
    spdlog::warn("{}", l.text);
  } else {
    spdlog::info("{}", l.text);
  }
}

void Learner::sample(uint64_t seenUs) {
  uint64_t now = realtimeUs();
  uint64_t lat = now > seenUs ? now - seenUs : 0;
  samples_[nSamples_ % samples_.size()] =
      static_cast<uint32_t>(std::min<uint64_t>(lat, UINT32_MAX));
  ++nSamples_;
  ++*cLatSamples_;
  size_t n = std::min(nSamples_, samples_.size());
  std::array<uint32_t, 1024> copy = samples_;
  auto* b = copy.data();
  std::nth_element(b, b + n / 2, b + n);
  gLatP50_->set(b[n / 2]);
  size_t i99 = std::min(n - 1, (n * 99) / 100);
  std::nth_element(b, b + i99, b + n);
  gLatP99_->set(b[i99]);
  gLatMax_->set(*std::max_element(b, b + n));
}

Result<nlohmann::json> Learner::showHosts(const std::vector<std::string>& args) {
  std::string vrf;
  std::optional<IpAddress> addr;
  bool all = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "vrf" && i + 1 < args.size()) {
      vrf = args[++i];
    } else if (args[i] == "all") {
      all = true;
    } else if (auto a = IpAddress::parse(args[i])) {
      addr = *a;
    } else {
      return fail("show.usage", "usage: show hosts [ADDRESS] [vrf NAME] [all]");
    }
  }
  if (addr) {
    return table_.hostJson(vrf, *addr, loop_.now());
  }
  auto j = table_.hostsJson(loop_.now(), all);
  if (!vrf.empty()) {
    nlohmann::json keep = nlohmann::json::array();
    for (auto& h : j["hosts"]) {
      if (h["vrf"] == vrf) {
        keep.push_back(h);
      }
    }
    j["hosts"] = keep;
  }
  j["fpmClient"] = {{"synced", publisher_.synced()}, {"generation", publisher_.generation()}};
  return j;
}

Result<std::string> Learner::command(const std::vector<std::string>& args) {
  // clear host ADDRESS [freeze|duplicate|shared] [vrf NAME]
  if (args.size() < 2 || args[0] != "host") {
    return fail("clear.usage", "usage: clear host ADDRESS [freeze|duplicate|shared] [vrf NAME]");
  }
  auto a = IpAddress::parse(args[1]);
  if (!a) {
    return fail("clear.usage", "'{}' is not an IP address", args[1]);
  }
  std::string what = "all";
  std::string vrf;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "vrf" && i + 1 < args.size()) {
      vrf = args[++i];
    } else {
      what = args[i];
    }
  }
  auto r = table_.clear(vrf, *a, what, loop_.now(), out_);
  dispatch();
  if (r) {
    spdlog::info("event=operator_clear addr={} what={} result=\"{}\"", a->str(), what, *r);
  }
  return r;
}

}  // namespace hr::learner

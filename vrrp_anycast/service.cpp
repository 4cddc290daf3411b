#include "vrrp_anycast/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/codec/vrrp.h"
#include "vrrp_anycast/advert_frame.h"
#include "vrrp_anycast/vmac_plan.h"

namespace hr::vrrp {

namespace wire = codec::vrrp;

namespace {

constexpr auto kPeriodic = std::chrono::seconds(5);

std::string familyName(Family f) {
  return f == Family::V4 ? "ipv4" : "ipv6";
}

// ietf-vrrp (RFC 8347) global statistics, plus our own receive drops.
constexpr const char* kGlobalNames[] = {
    "checksum-errors", "version-errors", "vrid-errors", "ip-ttl-errors"};
constexpr const char* kRxNames[] = {
    "packet-length-errors",
    "invalid-type-pkts-rcvd",
    "address-list-errors",
    "ip-header-errors",
    "interval-errors",
    "not-vrrp",
    "own"};

int64_t msUntil(std::optional<TimePoint> t, TimePoint now) {
  if (!t) {
    return -1;
  }
  return std::max<int64_t>(0, std::chrono::duration_cast<Millis>(*t - now).count());
}

}  // namespace

Service::Service(EventLoop& loop, Counters& counters, std::string stateFile)
    : loop_(loop), counters_(counters), sysctls_(std::move(stateFile)), periodic_(loop, [this] {
        scheduleReconcile();
        periodic_.arm(kPeriodic);
      }) {
  for (const char* n : kGlobalNames) {
    counters_.counter(
        std::string("global.") + n,
        "ietf-vrrp global statistic: VRRP packets dropped for this reason");
  }
  for (const char* n : kRxNames) {
    counters_.counter(std::string("rx.") + n, "VRRP packets dropped (or ignored) for this reason");
  }
  counters_.counter("rx.accepted", "advertisements handed to a virtual router");
  counters_.counter("vrrp.master-transitions", "transitions to Master, all virtual routers");
  counters_.counter("vrrp.advertisement-sent", "advertisements sent, all virtual routers");
  counters_.counter(
      "vrrp.priority-zero-pkts-sent", "priority-0 advertisements sent (shutdown, release)");
  counters_.counter("vrrp.gratuitous-arp-sent", "gratuitous ARP announcements sent");
  counters_.counter(
      "vrrp.neighbor-advertisement-sent", "unsolicited neighbour advertisements sent");
  counters_.gauge("vrrp.instances", "virtual router instances (one per group and family)");
  counters_.counter(
      "sysctl.restore-errors",
      "writes of an original sysctl value that failed (the original is kept and retried)");
  counters_.gauge("vrrp.masters", "instances in Master state");
}

Service::~Service() = default;

void Service::apply(VrrpConfig c) {
  config_ = std::move(c);
  if (started_) {
    applyNow();
  }
}

Status Service::start() {
  if (auto st = sysctls_.load(); !st) {
    spdlog::warn("event=state_file_ignored reason=\"{}\"", st.error().str());
  }
  HR_TRY(watcher_, TrackWatcher::create(loop_, counters_, [this](uint32_t ch) {
           onKernelChange(ch);
         }));
  HR_TRY(vmacs_, VmacManager::create(counters_));
  io_ = std::make_unique<PacketIo>(
      loop_, counters_, [this](int idx, std::span<const uint8_t> f) { onFrame(idx, f); });
  started_ = true;
  applyNow();
  periodic_.arm(kPeriodic);
  return ok();
}

FsmParams Service::params(const Instance& inst) const {
  FsmParams p;
  p.vrid = inst.cfg.vrid;
  p.family = inst.family;
  p.version = inst.cfg.version;
  p.priority = inst.track.effective;
  p.adverIntCs = inst.cfg.adverIntCs;
  p.preempt = inst.cfg.preempt;
  p.primary = inst.primary.value_or(IpAddress{});
  p.refreshSeconds = inst.cfg.refreshSeconds;
  return p;
}

void Service::applyNow() {
  TimePoint now = loop_.now();
  std::map<Key, const GroupConfig*> wanted;
  for (const auto& g : config_.groups) {
    for (Family f : {Family::V4, Family::V6}) {
      if (!g.addresses(f).empty()) {
        wanted[{g.interface, g.vrid, f}] = &g;
      }
    }
  }
  // Removed instances: leave politely, then delete their interface.
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    Instance& inst = *it->second;
    handle(inst, inst.fsm->shutdown(now), false);
    vmacs_->remove(
        inst.vmacName,
        inst.cfg.interface,
        wire::virtualMac(inst.family, inst.cfg.vrid),
        watcher_->view());
    spdlog::info(
        "event=vrrp_instance_removed interface={} vrid={} family={}",
        inst.cfg.interface,
        inst.cfg.vrid,
        familyName(inst.family));
    it = instances_.erase(it);
  }
  for (const auto& [key, g] : wanted) {
    auto it = instances_.find(key);
    if (it == instances_.end()) {
      auto inst = std::make_unique<Instance>();
      inst->cfg = *g;
      inst->family = std::get<2>(key);
      inst->vmacName = vmacInterfaceName(g->interface, inst->family, g->vrid);
      inst->track = computeTracking(g->priority, {}, g->withdraw);
      inst->fsm = std::make_unique<Fsm>(params(*inst));
      Instance* raw = inst.get();
      inst->timer = std::make_unique<Timer>(loop_, [this, raw] {
        bool mk = raw->fsm->masterKnown();
        handle(*raw, raw->fsm->timers(loop_.now()), mk);
      });
      inst->restoreTimer = std::make_unique<Timer>(loop_, [this] { scheduleReconcile(); });
      spdlog::info(
          "event=vrrp_instance_added interface={} vrid={} family={} vmac_interface={}",
          g->interface,
          g->vrid,
          familyName(inst->family),
          inst->vmacName);
      instances_.emplace(key, std::move(inst));
    } else if (!(it->second->cfg == *g)) {
      it->second->cfg = *g;  // parameters reach the Fsm in reconcile()
    }
  }
  std::set<RouteKey> routes;
  for (const auto& g : config_.groups) {
    for (const auto& r : g.trackRoutes) {
      routes.insert(RouteKey{r.prefix, r.table});
    }
  }
  if (auto st = watcher_->setRouteInterest(std::move(routes)); !st) {
    spdlog::error("event=route_tracking_failed reason=\"{}\"", st.error().str());
  }
  counters_.gauge("vrrp.instances").set(instances_.size());
  reconcile();
}

void Service::scheduleReconcile() {
  if (reconcilePending_) {
    return;
  }
  reconcilePending_ = true;
  loop_.defer([this] {
    reconcilePending_ = false;
    reconcile();
  });
}

void Service::onKernelChange(uint32_t) {
  scheduleReconcile();
}

void Service::cleanupOrphans() {
  // Interfaces a previous run created for groups that are no longer configured.
  std::set<std::string> wanted;
  for (const auto& [k, inst] : instances_) {
    wanted.insert(inst->vmacName);
  }
  for (const LinkState* l : VmacManager::owned(watcher_->view())) {
    if (wanted.count(l->name) != 0) {
      continue;
    }
    const LinkState* parent = watcher_->view().link(static_cast<int32_t>(l->link));
    spdlog::info("event=vmac_orphan name={} action=remove", l->name);
    vmacs_->remove(
        l->name,
        parent != nullptr ? parent->name : "",
        l->mac.value_or(MacAddress{}),
        watcher_->view());
  }
}

void Service::parentSysctls() {
  // arp_ignore 1 on the parent so it never answers ARP for the virtual addresses with its own
  // MAC, arp_announce 2 so its own ARP requests never name a virtual address (shared/VRRP.md
  // §1.4, P2). Only where an IPv4 group lives; restored when the last one goes.
  std::set<std::string> v4Parents;
  for (const auto& [k, inst] : instances_) {
    if (inst->family == Family::V4 && watcher_->view().link(inst->cfg.interface) != nullptr) {
      v4Parents.insert(inst->cfg.interface);
    }
  }
  for (const auto& p : v4Parents) {
    for (auto [key, value] : {std::pair<const char*, int>{"arp_ignore", 1}, {"arp_announce", 2}}) {
      auto r = sysctls_.ensureAtLeast(sysctlPath("ipv4", p, key), value);
      if (!r) {
        warnings_.push_back(r.error().message);
      } else if (*r) {
        spdlog::info("event=sysctl_set interface={} key={} value={}", p, key, value);
      }
    }
    sysctlParents_.insert(p);
  }
  for (auto it = sysctlParents_.begin(); it != sysctlParents_.end();) {
    if (v4Parents.count(*it) != 0) {
      ++it;
      continue;
    }
    std::string marker = "/conf/" + *it + "/";
    restoreSysctls([&](const std::string& path) { return path.find(marker) != std::string::npos; });
    it = sysctlParents_.erase(it);
  }
  // Orphaned records: a parent configured in a previous run only, or a restore that failed
  // before (retried here, on every reconcile, until it succeeds or the interface is gone).
  std::set<std::string> orphaned;
  for (const auto& [path, v] : sysctls_.originals()) {
    bool used = false;
    for (const auto& p : v4Parents) {
      used = used || path.find("/conf/" + p + "/") != std::string::npos;
    }
    if (!used) {
      orphaned.insert(path);
    }
  }
  if (!orphaned.empty()) {
    restoreSysctls([&](const std::string& path) { return orphaned.count(path) != 0; });
  }
}

void Service::restoreSysctls(const std::function<bool(const std::string&)>& match) {
  auto r = sysctls_.restore(match);
  for (const auto& done : r.restored) {
    spdlog::info("event=sysctl_restored {}", done);
  }
  for (const auto& path : r.gone) {
    spdlog::info("event=sysctl_restore_skipped path={} reason=\"the interface is gone\"", path);
  }
  for (const auto& msg : r.failed) {
    ++counters_.counter("sysctl.restore-errors");
    warnings_.push_back("could not restore " + msg + " (kept, retried)");
    if (auto n = logLimit_.allow("sysctl-restore", loop_.now())) {
      spdlog::warn(
          "event=sysctl_restore_failed reason=\"{}\" action=kept_for_retry suppressed={}", msg, *n);
    }
  }
}

void Service::reconcileInstance(Instance& inst, TimePoint now) {
  const KernelView& view = watcher_->view();
  inst.problems.clear();
  const LinkState* parent = view.link(inst.cfg.interface);
  inst.parentIfindex = parent != nullptr ? parent->ifindex : 0;
  bool parentUp = parent != nullptr && parent->operUp();

  auto objects = trackedObjects(
      inst.cfg,
      inst.family,
      [&](const std::string& name) {
        const LinkState* l = view.link(name);
        return l != nullptr && l->operUp();
      },
      [&](const TrackRoute& r) {
        return view.routePresent(RouteKey{r.prefix, r.table});
      });
  inst.track = computeTracking(inst.cfg.priority, std::move(objects), inst.cfg.withdraw);

  inst.primary.reset();
  if (parent != nullptr) {
    inst.primary =
        view.primaryAddress(parent->ifindex, inst.family, inst.cfg.addresses(inst.family));
  }
  if (parent == nullptr) {
    inst.problems.push_back(fmt::format("interface {} does not exist", inst.cfg.interface));
  } else if (!parentUp) {
    inst.problems.push_back(fmt::format("interface {} is down", inst.cfg.interface));
  }
  if (parent != nullptr && !inst.primary) {
    inst.problems.push_back(
        inst.family == Family::V4
            ? fmt::format("no IPv4 address on {} to source advertisements from", inst.cfg.interface)
            : fmt::format(
                  "no usable IPv6 link-local address on {} to source advertisements from",
                  inst.cfg.interface));
  }
  bool canRun = parentUp && inst.primary.has_value() && io_->has(inst.parentIfindex);
  Fsm& fsm = *inst.fsm;
  bool mk = fsm.masterKnown();
  if (!canRun && fsm.state() != State::Initialize) {
    handle(inst, fsm.shutdown(now), mk);
  }
  // Withdrawal first, restoration last: a master that withdraws hands over with priority 0
  // before anything else, and a last-resort master that is restored advertises its new
  // priority once (Fsm::setWithdrawn).
  bool wasPending = inst.hold.restoreAt.has_value();
  bool withdrawChanged = stepWithdrawal(
      inst.hold, inst.track.withdraw, now, std::chrono::seconds(inst.cfg.restoreDelaySeconds));
  if (withdrawChanged) {
    spdlog::warn(
        "event=anycast_{} interface={} vrid={} family={} priority={}",
        inst.hold.withdrawn ? "withdrawn" : "restored",
        inst.cfg.interface,
        inst.cfg.vrid,
        familyName(inst.family),
        inst.track.effective);
  } else if (inst.hold.restoreAt && !wasPending) {
    spdlog::info(
        "event=anycast_restore_pending interface={} vrid={} family={} restore_delay_s={}",
        inst.cfg.interface,
        inst.cfg.vrid,
        familyName(inst.family),
        inst.cfg.restoreDelaySeconds);
  } else if (!inst.hold.restoreAt && wasPending) {
    spdlog::info(
        "event=anycast_restore_cancelled interface={} vrid={} family={}",
        inst.cfg.interface,
        inst.cfg.vrid,
        familyName(inst.family));
  }
  if (inst.hold.restoreAt) {
    inst.restoreTimer->armAt(*inst.hold.restoreAt);
  } else {
    inst.restoreTimer->cancel();
  }
  if (withdrawChanged && inst.hold.withdrawn) {
    mk = fsm.masterKnown();
    handle(inst, fsm.setWithdrawn(true, now), mk);
  }
  FsmParams p = params(inst);
  const FsmParams& cur = fsm.params();
  if (p.priority != cur.priority || p.adverIntCs != cur.adverIntCs || p.preempt != cur.preempt ||
      p.primary != cur.primary || p.refreshSeconds != cur.refreshSeconds ||
      p.version != cur.version) {
    if (p.priority != cur.priority) {
      spdlog::info(
          "event=vrrp_priority interface={} vrid={} family={} priority={} configured={}",
          inst.cfg.interface,
          inst.cfg.vrid,
          familyName(inst.family),
          p.priority,
          inst.cfg.priority);
    }
    mk = fsm.masterKnown();
    handle(inst, fsm.setParams(p, now), mk);
  }
  if (withdrawChanged && !inst.hold.withdrawn) {
    mk = fsm.masterKnown();
    handle(inst, fsm.setWithdrawn(false, now), mk);
  }
  if (canRun && fsm.state() == State::Initialize) {
    mk = fsm.masterKnown();
    handle(inst, fsm.startup(now), mk);
  }
  if (parent != nullptr) {
    VmacPlan plan = planVmac(
        inst.cfg,
        inst.family,
        fsm.state(),
        fsm.masterKnown(),
        inst.hold.withdrawn,
        parent->isBridge());
    vmacs_->reconcile(plan, view);
  }
  armTimer(inst);
}

void Service::reconcile() {
  if (!started_) {
    return;
  }
  TimePoint now = loop_.now();
  warnings_.clear();
  std::vector<int> parents;
  for (const auto& [k, inst] : instances_) {
    if (const LinkState* l = watcher_->view().link(inst->cfg.interface)) {
      parents.push_back(l->ifindex);
    }
  }
  io_->setInterfaces(parents);
  if (!orphansChecked_) {
    cleanupOrphans();
    orphansChecked_ = true;
  }
  parentSysctls();
  for (auto& [k, inst] : instances_) {
    reconcileInstance(*inst, now);
  }
  // Settings the daemon does not own but needs: reported, not changed.
  if (!instances_.empty()) {
    if (auto v = readSysctl("/proc/sys/net/ipv6/conf/all/forwarding"); v && *v == "0") {
      warnings_.push_back(
          "net.ipv6.conf.all.forwarding is 0: IPv6 packets sent to the virtual MAC are not routed");
    }
    if (auto v = readSysctl("/proc/sys/net/ipv4/conf/all/rp_filter"); v && *v == "1") {
      warnings_.push_back(
          "net.ipv4.conf.all.rp_filter is 1 (strict): it overrides rp_filter 0 on the virtual MAC "
          "interfaces");
    }
  }
  uint64_t masters = 0;
  for (const auto& [k, inst] : instances_) {
    masters += inst->fsm->state() == State::Master ? 1 : 0;
  }
  counters_.gauge("vrrp.masters").set(masters);
}

void Service::armTimer(Instance& inst) {
  if (auto d = inst.fsm->nextDeadline()) {
    if (!inst.timer->armed() || inst.timer->deadline() != *d) {
      inst.timer->armAt(*d);
    }
  } else {
    inst.timer->cancel();
  }
}

void Service::handle(Instance& inst, const Output& out, bool masterKnownBefore) {
  if (out.advertise) {
    sendAdvert(inst, *out.advertise);
  }
  if (out.announce) {
    announce(inst);
  }
  if (out.stateChanged) {
    const Transition& t = inst.fsm->lastTransition();
    spdlog::info(
        "event=vrrp_transition interface={} vrid={} family={} from={} to={} reason={} priority={} "
        "withdrawn={}",
        inst.cfg.interface,
        inst.cfg.vrid,
        familyName(inst.family),
        stateName(t.from),
        stateName(t.to),
        reasonName(t.reason),
        inst.fsm->electionPriority(),
        inst.fsm->withdrawn());
    if (t.to == State::Master) {
      ++counters_.counter("vrrp.master-transitions");
    }
  }
  if (out.stateChanged || inst.fsm->masterKnown() != masterKnownBefore) {
    scheduleReconcile();  // the data plane follows the role
  }
  armTimer(inst);
}

void Service::sendAdvert(Instance& inst, uint8_t priority) {
  if (!inst.primary || inst.parentIfindex == 0) {
    ++inst.sendErrors;
    return;
  }
  auto frame = advertFrame(inst.cfg, inst.family, *inst.primary, priority, ++inst.ipId);
  if (auto st = io_->send(inst.parentIfindex, frame); !st) {
    ++inst.sendErrors;
    if (auto n = logLimit_.allow("tx:" + inst.vmacName, loop_.now())) {
      spdlog::warn(
          "event=vrrp_send_failed interface={} vrid={} reason=\"{}\" suppressed={}",
          inst.cfg.interface,
          inst.cfg.vrid,
          st.error().str(),
          *n);
    }
    return;
  }
  ++counters_.counter("vrrp.advertisement-sent");
  if (priority == 0) {
    ++counters_.counter("vrrp.priority-zero-pkts-sent");
  }
  HR_DEBUG(
      Packets,
      "event=vrrp_advert_sent interface={} vrid={} family={} priority={}",
      inst.cfg.interface,
      inst.cfg.vrid,
      familyName(inst.family),
      priority);
}

void Service::announce(Instance& inst) {
  if (!inst.primary || inst.parentIfindex == 0) {
    return;
  }
  MacAddress vmac = wire::virtualMac(inst.family, inst.cfg.vrid);
  for (const auto& vip : inst.cfg.addresses(inst.family)) {
    std::vector<uint8_t> frame = inst.family == Family::V4
                                     ? wire::encodeGratuitousArp(vmac, vip)
                                     : wire::encodeUnsolicitedNa(vmac, *inst.primary, vip, true);
    if (!io_->send(inst.parentIfindex, frame)) {
      ++inst.sendErrors;
      continue;
    }
    if (inst.family == Family::V4) {
      ++inst.garpSent;
      ++counters_.counter("vrrp.gratuitous-arp-sent");
    } else {
      ++inst.naSent;
      ++counters_.counter("vrrp.neighbor-advertisement-sent");
    }
  }
}

void Service::drop(const std::string& code, const std::string& detail) {
  bool global =
      std::find(std::begin(kGlobalNames), std::end(kGlobalNames), code) != std::end(kGlobalNames);
  ++counters_.counter((global ? "global." : "rx.") + code);
  if (code == "not-vrrp" || code == "own") {
    return;
  }
  if (auto n = logLimit_.allow("rx:" + code, loop_.now())) {
    spdlog::warn(
        "event=vrrp_packet_dropped reason={} detail=\"{}\" suppressed={}", code, detail, *n);
  }
}

void Service::onFrame(int ifindex, std::span<const uint8_t> frame) {
  auto f = wire::decodeFrame(frame);
  if (!f) {
    drop(f.error().code, f.error().message);
    return;
  }
  const wire::Packet& p = f->packet;
  Family fam = p.ip.src.family();
  Instance* inst = nullptr;
  for (auto& [k, i] : instances_) {
    if (i->parentIfindex == ifindex && i->cfg.vrid == p.advert.vrid && i->family == fam) {
      inst = i.get();
      break;
    }
  }
  if (inst == nullptr) {
    drop(
        "vrid-errors",
        fmt::format(
            "VRID {} ({}) from {} is not configured on ifindex {}",
            p.advert.vrid,
            familyName(fam),
            p.ip.src.str(),
            ifindex));
    return;
  }
  if (inst->primary && p.ip.src == *inst->primary) {
    drop("own", "");
    return;
  }
  if (p.advert.version != inst->cfg.version) {
    drop(
        "version-errors",
        fmt::format(
            "version {} from {} for VRID {} configured with version {}",
            p.advert.version,
            p.ip.src.str(),
            p.advert.vrid,
            inst->cfg.version));
    return;
  }
  // RFC 5798 §7.1: a non-owner's advertisement whose address list differs is dropped.
  std::vector<IpAddress> got = p.advert.addresses;
  std::vector<IpAddress> want = inst->cfg.addresses(fam);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want && p.advert.priority != 255) {
    ++inst->addressListErrors;
    drop(
        "address-list-errors",
        fmt::format(
            "{} advertises {} addresses for VRID {}, {} configured here",
            p.ip.src.str(),
            got.size(),
            p.advert.vrid,
            want.size()));
    return;
  }
  if (inst->cfg.version == 2 && p.advert.maxAdverIntCs != inst->cfg.adverIntCs) {
    ++inst->intervalErrors;
    drop(
        "interval-errors",
        fmt::format(
            "VRRPv2 interval {} cs from {}, {} configured",
            p.advert.maxAdverIntCs,
            p.ip.src.str(),
            inst->cfg.adverIntCs));
    return;
  }
  ++counters_.counter("rx.accepted");
  HR_DEBUG(
      Packets,
      "event=vrrp_advert_rcvd interface={} vrid={} family={} src={} priority={} interval_cs={}",
      inst->cfg.interface,
      p.advert.vrid,
      familyName(fam),
      p.ip.src.str(),
      p.advert.priority,
      p.advert.maxAdverIntCs);
  bool mk = inst->fsm->masterKnown();
  handle(
      *inst,
      inst->fsm->advert(
          ReceivedAdvert{p.ip.src, p.advert.priority, p.advert.maxAdverIntCs}, loop_.now()),
      mk);
}

void Service::stop() {
  if (!started_) {
    return;
  }
  TimePoint now = loop_.now();
  for (auto& [k, inst] : instances_) {
    handle(*inst, inst->fsm->shutdown(now), false);
  }
  if (config_.onStop == OnStop::Remove) {
    for (auto& [k, inst] : instances_) {
      vmacs_->remove(
          inst->vmacName,
          inst->cfg.interface,
          wire::virtualMac(inst->family, inst->cfg.vrid),
          watcher_->view());
    }
    restoreSysctls([](const std::string&) { return true; });
    spdlog::info("event=vrrp_stopped on_stop=remove");
  } else {
    spdlog::info(
        "event=vrrp_stopped on_stop=keep note=\"virtual MAC interfaces, addresses and fdb entries "
        "left in place\"");
  }
  started_ = false;
}

nlohmann::json Service::instanceJson(const Instance& inst, TimePoint now) const {
  const Fsm& fsm = *inst.fsm;
  const FsmStats& s = fsm.stats();
  const VmacStatus* vs = vmacs_ ? vmacs_->status(inst.vmacName) : nullptr;
  nlohmann::json addrs = nlohmann::json::array();
  for (const auto& a : inst.cfg.addresses(inst.family)) {
    addrs.push_back(a.str());
  }
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& o : inst.track.objects) {
    reasons.push_back({
        {"type", o.kind == TrackedObject::Kind::Interface ? "interface" : "route"},
        {"name", o.name},
        {"up", o.up},
        {"decrement", o.decrement},
        {"applied", !o.up},
    });
  }
  nlohmann::json master = nullptr;
  if (fsm.master()) {
    master = {
        {"address", fsm.master()->address.str()},
        {"priority", fsm.master()->priority},
        {"advertisementIntervalCs", fsm.master()->adverIntCs},
        {"local", fsm.master()->local}};
  }
  nlohmann::json problems = inst.problems;
  if (vs != nullptr) {
    for (const auto& p : vs->problems) {
      problems.push_back(p);
    }
  }
  const Transition& t = fsm.lastTransition();
  nlohmann::json last = nullptr;
  if (t.reason != Reason::None) {
    last = {
        {"from", stateName(t.from)},
        {"to", stateName(t.to)},
        {"reason", reasonName(t.reason)},
        {"secondsAgo", std::chrono::duration<double>(now - t.at).count()}};
  }
  bool answering = vs != nullptr && vs->up &&
                   (inst.family == Family::V6 ||
                    !(fsm.state() == State::Backup && fsm.masterKnown()) || !inst.cfg.anycast);
  return {
      {"interface", inst.cfg.interface},
      {"vrid", inst.cfg.vrid},
      {"family", familyName(inst.family)},
      {"version", inst.cfg.version},
      {"state", stateName(fsm.state())},
      {"role", roleName(inst.cfg, fsm.state(), inst.hold.withdrawn)},
      {"virtualAddresses", addrs},
      {"vmac", wire::virtualMac(inst.family, inst.cfg.vrid).str()},
      {"vmacInterface",
       {{"name", inst.vmacName},
        {"ifindex",
         vs != nullptr && vs->ifindex ? nlohmann::json(*vs->ifindex) : nlohmann::json(nullptr)},
        {"up", vs != nullptr && vs->up},
        {"adopted", vs != nullptr && vs->adopted},
        {"bridgeFdbLocal", vs != nullptr && vs->fdbLocal},
        {"answersArpNd", answering}}},
      {"anycast",
       {{"enabled", inst.cfg.anycast},
        {"forwarding", vs != nullptr && vs->up && inst.cfg.anycast},
        {"withdrawn", inst.hold.withdrawn},
        {"restoreInMs",
         inst.hold.restoreAt ? nlohmann::json(msUntil(inst.hold.restoreAt, now))
                             : nlohmann::json(nullptr)}}},
      {"priority",
       {{"configured", inst.cfg.priority},
        {"effective", inst.track.effective},
        {"election", fsm.electionPriority()},
        {"tracked", reasons},
        {"withdrawPolicy",
         inst.cfg.withdraw == WithdrawPolicy::WhenAllDown   ? "when-all-down"
         : inst.cfg.withdraw == WithdrawPolicy::WhenAnyDown ? "when-any-down"
                                                            : "never"},
        {"restoreDelaySeconds", inst.cfg.restoreDelaySeconds}}},
      {"preempt", inst.cfg.preempt},
      {"acceptMode", inst.cfg.acceptMode},
      {"checksum",
       inst.family == Family::V6 || inst.cfg.checksum == wire::ChecksumForm::PseudoHeader
           ? "with-pseudo-header"
           : "without-pseudo-header"},
      {"primaryAddress",
       inst.primary ? nlohmann::json(inst.primary->str()) : nlohmann::json(nullptr)},
      {"master", master},
      {"timers",
       {{"advertisementIntervalMs", int64_t{inst.cfg.adverIntCs} * 10},
        {"masterAdverIntervalMs",
         int64_t{fsm.masterAdverIntCs() != 0 ? fsm.masterAdverIntCs() : inst.cfg.adverIntCs} * 10},
        {"skewTimeMs", fsm.skewTime().count()},
        {"masterDownIntervalMs", fsm.masterDownInterval().count()},
        {"masterDownTimerMs", msUntil(fsm.masterDownDeadline(), now)},
        {"advertisementTimerMs", msUntil(fsm.adverDeadline(), now)},
        {"gratuitousRefreshSeconds", inst.cfg.refreshSeconds}}},
      {"statistics",
       {{"master-transitions", s.masterTransitions},
        {"advertisement-rcvd", s.advertisementRcvd},
        {"advertisement-sent", s.advertisementSent},
        {"priority-zero-pkts-rcvd", s.priorityZeroRcvd},
        {"priority-zero-pkts-sent", s.priorityZeroSent},
        {"address-list-errors", inst.addressListErrors},
        {"interval-errors", inst.intervalErrors},
        {"gratuitous-arp-sent", inst.garpSent},
        {"neighbor-advertisement-sent", inst.naSent},
        {"send-errors", inst.sendErrors}}},
      {"lastTransition", last},
      {"problems", problems},
  };
}

nlohmann::json Service::show(const std::vector<std::string>& args) const {
  TimePoint now = loop_.now();
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [k, inst] : instances_) {
    if (!args.empty() && args[0] != inst->cfg.interface) {
      continue;
    }
    if (args.size() > 1 && args[1] != std::to_string(inst->cfg.vrid)) {
      continue;
    }
    groups.push_back(instanceJson(*inst, now));
  }
  nlohmann::json global = nlohmann::json::object();
  for (const char* n : kGlobalNames) {
    global[n] = counters_.value(counters_.daemon() + ".global." + n);
  }
  nlohmann::json rx = nlohmann::json::object();
  for (const char* n : kRxNames) {
    rx[n] = counters_.value(counters_.daemon() + ".rx." + n);
  }
  nlohmann::json sysctl = nlohmann::json::object();
  for (const auto& [path, v] : sysctls_.originals()) {
    sysctl[path] = v;
  }
  return {
      {"groups", groups},
      {"globalStatistics", global},
      {"receiveDrops", rx},
      {"onStop", config_.onStop == OnStop::Remove ? "remove" : "keep"},
      {"changedSysctls", sysctl},
      {"warnings", warnings_},
  };
}

}  // namespace hr::vrrp

#include "hostroute_learner/host_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hr::learner {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// Timeline event kinds.
enum Ev : uint8_t {
  ENone,
  ELearned,
  ESeen,
  EPublished,
  EWithdrawn,
  ERoute,
  EProbe,
  EAnswered,
  EVerifyMove,
  EMoved,
  EMovedMac,
  EConflict,
  EFrozen,
  EUnfrozen,
  ERemote,
  EShared,
  EDadProbe,
  EFrozenIgnored,
  EDupCleared,
  ENeighFailed,
  ERefreshed,
  ERemoteConflict,  // arg: 1 = this router had it first (defended), 2 = newcomer (yielded)
  ENeighRestored,   // the kernel's neighbour entry set back to the verified MAC
  EResynced,        // a held intent went to fpm_client with a sync
  EIntentDropped,   // an intent the publisher could not send (connection lost)
  EArrivalSettled,  // the arrival grace ended without another router's copy
};

constexpr size_t kMaxRefused = 4096;
constexpr size_t kMaxTombs = 65536;

int64_t us(TimePoint t) {
  return duration_cast<microseconds>(t.time_since_epoch()).count();
}
int64_t agoMs(TimePoint now, TimePoint t) {
  return duration_cast<milliseconds>(now - t).count();
}
uint32_t macLo(const MacAddress& m) {
  const auto& b = m.bytes();
  return (uint32_t{b[2]} << 24) | (uint32_t{b[3]} << 16) | (uint32_t{b[4]} << 8) | b[5];
}
uint16_t macHi(const MacAddress& m) {
  const auto& b = m.bytes();
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
MacAddress macOf(uint16_t hi, uint32_t lo) {
  return MacAddress(
      {static_cast<uint8_t>(hi >> 8),
       static_cast<uint8_t>(hi),
       static_cast<uint8_t>(lo >> 24),
       static_cast<uint8_t>(lo >> 16),
       static_cast<uint8_t>(lo >> 8),
       static_cast<uint8_t>(lo)});
}
bool isNote(Source s) {
  return s == Source::ArpProbe || s == Source::DadNs;
}

// ELearned's arg: the source in the low bits, and how it was learned.
constexpr uint8_t kLearnedDump = 0x80;     // the kernel's neighbour table at start-up
constexpr uint8_t kLearnedRecover = 0x40;  // a route fpm_client held across a restart
constexpr uint8_t kSourceMask = 0x3f;
// EPublished's arg: HostRoute flags, and this bit when the intent waits for the next sync.
constexpr uint8_t kPublishedHeld = 0x80;
constexpr uint8_t kPublishedContested = 0x40;  // a contested re-arrival: held, not claimed
// RARP hints looked at per second (each one scans the table for the MAC).
constexpr double kRarpPerSecond = 50;

}  // namespace

const char* sourceName(Source s) {
  switch (s) {
    case Source::Neighbor:
      return "neighbor-table";
    case Source::ArpRequest:
      return "arp-request";
    case Source::ArpReply:
      return "arp-reply";
    case Source::Garp:
      return "gratuitous-arp";
    case Source::ArpProbe:
      return "arp-probe";
    case Source::Ns:
      return "nd-ns";
    case Source::Na:
      return "nd-na";
    case Source::UnsolicitedNa:
      return "nd-unsolicited-na";
    case Source::DadNs:
      return "nd-dad";
    case Source::Rarp:
      return "rarp";
    case Source::Count:
      break;
  }
  return "unknown";
}

const char* reasonName(Reason r) {
  switch (r) {
    case Reason::None:
      return "none";
    case Reason::LearningDisabled:
      return "learning-disabled";
    case Reason::UnknownInterface:
      return "unknown-interface";
    case Reason::NotLearningInterface:
      return "interface-not-learning";
    case Reason::SourceDisabled:
      return "source-disabled";
    case Reason::ExternallyLearned:
      return "externally-learned";
    case Reason::Unspecified:
      return "unspecified-address";
    case Reason::Multicast:
      return "multicast";
    case Reason::Broadcast:
      return "broadcast";
    case Reason::Loopback:
      return "loopback";
    case Reason::LinkLocal:
      return "link-local";
    case Reason::BadMac:
      return "bad-mac";
    case Reason::OwnMac:
      return "own-mac";
    case Reason::OwnAddress:
      return "own-address";
    case Reason::GatewayAddress:
      return "gateway-address";
    case Reason::Excluded:
      return "excluded";
    case Reason::OutsideSubnet:
      return "outside-subnet";
    case Reason::InterfaceCap:
      return "interface-cap";
    case Reason::GlobalCap:
      return "global-cap";
    case Reason::Learned:
      return "learned";
    case Reason::Alive:
      return "alive";
    case Reason::Quiet:
      return "quiet";
    case Reason::Moved:
      return "moved";
    case Reason::Aged:
      return "aged";
    case Reason::MovedAway:
      return "moved-away";
    case Reason::Config:
      return "config";
    case Reason::InterfaceGone:
      return "interface-gone";
    case Reason::Cleared:
      return "cleared";
    case Reason::Count:
      break;
  }
  return "unknown";
}

const char* stateName(HostState s) {
  switch (s) {
    case HostState::Free:
      return "free";
    case HostState::Active:
      return "active";
    case HostState::Probing:
      return "probing";
    case HostState::Withdrawn:
      return "withdrawn";
  }
  return "unknown";
}

const char* routeStateName(RouteState s) {
  switch (s) {
    case RouteState::Unknown:
      return "unknown";
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

namespace {
const char* probeReasonName(ProbeReason r) {
  switch (r) {
    case ProbeReason::Aging:
      return "aging";
    case ProbeReason::VerifyMove:
      return "verify-move";
    case ProbeReason::VerifyRemote:
      return "verify-remote";
    case ProbeReason::RecheckShared:
      return "recheck-shared";
    case ProbeReason::Recover:
      return "recover";
    case ProbeReason::RarpHint:
      return "rarp-hint";
  }
  return "?";
}
}  // namespace

std::string toString(const Action& a) {
  if (const auto* p = std::get_if<ProbeAction>(&a)) {
    return fmt::format(
        "probe {} {} dst={} src={} srcmac={} on=if{} l3=if{} reason={}",
        p->target.isV4() ? "arp" : "ns",
        p->target.str(),
        p->broadcast ? std::string("broadcast") : p->dstMac.str(),
        p->src.str(),
        p->srcMac.str(),
        p->sendIfindex,
        p->ifindex,
        probeReasonName(p->reason));
  }
  if (const auto* p = std::get_if<PublishAction>(&a)) {
    if (!p->add) {
      return fmt::format("withdraw vrf={} {}", p->vrf.empty() ? "default" : p->vrf, p->ip.str());
    }
    return fmt::format(
        "add vrf={} {} dev={} mac={} flags={}",
        p->vrf.empty() ? "default" : p->vrf,
        p->ip.str(),
        p->ifname,
        p->mac.str(),
        p->flags == 0 ? std::string("-")
                      : fmt::format(
                            "{}{}",
                            (p->flags & kFlagClaim) ? "claim" : "",
                            (p->flags & kFlagShared) ? "shared" : ""));
  }
  if (const auto* n = std::get_if<NeighborAction>(&a)) {
    return fmt::format("neigh replace if{} {} lladdr {}", n->ifindex, n->ip.str(), n->mac.str());
  }
  const auto& l = std::get<LogAction>(a);
  return fmt::format("log {} {}", l.warn ? "warn" : "info", l.text);
}

HostTable::HostTable(Counters& c) : counters_(c) {
  cObservations_ = &c.counter(
      "hosts.observations",
      "observations of hosts (neighbour events and snooped frames) given to the host table");
  cAdmitted_ = &c.counter("hosts.learned", "hosts learned (admitted and published)");
  cRefusedHosts_ = &c.counter(
      "admission.refused_hosts", "distinct addresses refused (counted and logged once each)");
  cRefusedEvents_ =
      &c.counter("admission.refused_events", "observations refused (every packet or event)");
  cWithdrawn_ = &c.counter(
      "hosts.withdrawn", "hosts withdrawn (aged out, moved away, config, interface gone, cleared)");
  cProbes_ = &c.counter("probes.sent", "ARP/NS probes sent");
  cProbeAnswers_ = &c.counter("probes.answered", "probed hosts that answered");
  cProbeDeferred_ = &c.counter(
      "probes.deferred", "times the probe budget (learning/probing/rate-limit) delayed probes");
  cMoves_ = &c.counter(
      "mobility.moves",
      "host moves (another port or MAC here, arrival from or departure to another router)");
  cConflicts_ = &c.counter(
      "mobility.conflicts", "duplicates: a newcomer claimed an address whose host still answers");
  cFrozen_ = &c.counter(
      "mobility.freezes", "hosts frozen for moving more than max-moves times within the window");
  cFrozenIgnored_ = &c.counter(
      "mobility.frozen_ignored", "announcements of a frozen host from another binding, ignored");
  cRemoteSignals_ = &c.counter(
      "mobility.remote_signals",
      "another router started advertising a local host (the move signal)");
  cShared_ = &c.counter(
      "mobility.shared",
      "hosts still answering while another router advertises them (dual-attached)");
  cSharedRechecks_ = &c.counter(
      "mobility.shared_rechecks", "quiet shared hosts re-checked by a probe out of their port");
  cSharedLost_ = &c.counter(
      "mobility.shared_lost", "shared hosts withdrawn: no answer out of their port here any more");
  cRemoteConflicts_ = &c.counter(
      "mobility.remote_conflicts",
      "conflicts across the fabric: a live host here that another router advertises too, on an "
      "interface that is not dual-attached (also counted in mobility.conflicts)");
  cDefended_ = &c.counter(
      "mobility.conflicts_defended",
      "remote conflicts where this router had the host first: kept and re-claimed");
  cYielded_ = &c.counter(
      "mobility.conflicts_yielded",
      "remote conflicts where this router is the newcomer (or both kept defending): yielded, "
      "its held route not advertised");
  cNeighRestores_ = &c.counter(
      "mobility.neighbor_restores",
      "kernel neighbour entries set back to a verified binding after a conflicting "
      "announcement");
  cRecoverProbed_ = &c.counter(
      "recover.probed",
      "routes fpm_client held across a learner restart that the learner did not know: probed");
  cRecovered_ =
      &c.counter("recover.recovered", "of those, hosts that answered: learned again, kept");
  cRecoverSwept_ = &c.counter(
      "recover.unanswered", "of those, hosts that did not answer: left to fpm_client's sweep");
  cNotRevived_ = &c.counter(
      "hosts.not_revived",
      "kernel neighbour entries without a sign of life (STALE/DELAY/PROBE) for a withdrawn host: "
      "not learned again from them");
  cRarp_ = &c.counter("hosts.rarp_seen", "RARP frames (hypervisor announcements) seen");
  cRarpHints_ = &c.counter(
      "mobility.rarp_hints",
      "hosts a RARP pointed at: refreshed, verified on a new port, or probed if withdrawn");
  cRarpThrottled_ =
      &c.counter("mobility.rarp_throttled", "RARP frames not looked at (more than 50 a second)");
  cArpProbes_ = &c.counter(
      "admission.arp_probes_seen",
      "RFC 5227 ARP probes (sender 0.0.0.0) seen: noted, never learned");
  cDadProbes_ =
      &c.counter("admission.dad_probes_seen", "IPv6 DAD solicitations seen: noted, never learned");
  gHosts_ = &c.gauge("hosts.current", "hosts learned now (route published)");
  gDuplicates_ = &c.gauge("hosts.duplicate", "hosts flagged duplicate now");
  gFrozen_ = &c.gauge("hosts.frozen", "hosts frozen now");
  for (int r = static_cast<int>(Reason::LearningDisabled); r <= static_cast<int>(Reason::GlobalCap);
       ++r) {
    c.counter(
        fmt::format("admission.refused.{}", reasonName(static_cast<Reason>(r))),
        "distinct addresses refused for this reason");
  }
  for (int r = static_cast<int>(Reason::Aged); r <= static_cast<int>(Reason::Cleared); ++r) {
    c.counter(
        fmt::format("hosts.withdrawn.{}", reasonName(static_cast<Reason>(r))),
        "hosts withdrawn for this reason");
  }
}

// ---- configuration -------------------------------------------------------------------------

void HostTable::configure(const LearnerConfig& cfg, TimePoint now, Actions& out) {
  bool tlChanged = !configured_ || cfg.timelineLength != tlLen_;
  cfg_ = cfg;
  ++cfgGen_;
  if (!configured_) {
    tokens_ = std::max(1.0, cfg_.probeRateLimit / 10.0);
    lastRefill_ = now;
  }
  configured_ = true;
  if (tlChanged) {
    tlLen_ = cfg.timelineLength;
    timeline_.clear();
    growTimeline();
    for (uint32_t i = 0; i < hosts_.size(); ++i) {
      hosts_[i].tlHead = 0;
      hosts_[i].tlSize = 0;
    }
  }
  recheckAll(now, out);
  // Addresses refused before may be admitted now (a foreign-subnet range was added): admit
  // those seen within the hold time as if they spoke again.
  std::vector<Observation> retry;
  for (const auto& [k, r] : refused_) {
    if (now - r.last < cfg_.holdTime) {
      Observation o;
      o.ifindex = r.ifindex;
      o.ip = k.ip;
      o.mac = r.mac;
      o.source = r.source;
      bool foreign = false;
      if (admit(o.ifindex, o.ip, o.mac, false, &foreign) == Reason::None) {
        retry.push_back(o);
      }
    }
  }
  for (const auto& o : retry) {
    refused_.erase(Key{vrfIndex(ifs_.vrfOf(o.ifindex)), o.ip});
    observe(o, now, out);
  }
}

void HostTable::interfacesChanged(TimePoint now, Actions& out) {
  recheckAll(now, out);
}

void HostTable::recheckAll(TimePoint now, Actions& out) {
  for (uint32_t i = 0; i < hosts_.size(); ++i) {
    auto& h = hosts_[i];
    if (h.state != HostState::Active && h.state != HostState::Probing) {
      continue;
    }
    if (ifs_.get(h.ifindex) == nullptr) {
      withdraw(i, Reason::InterfaceGone, now, out);
      continue;
    }
    bool foreign = false;
    Reason r = admit(h.ifindex, h.ip, h.mac, false, &foreign);
    if (r != Reason::None) {
      out.push_back(LogAction{
          false,
          fmt::format("event=host_refused_by_config {} reason={}", logKey(i), reasonName(r))});
      withdraw(i, Reason::Config, now, out);
      continue;
    }
    h.flags = static_cast<uint8_t>(foreign ? (h.flags | FForeign) : (h.flags & ~FForeign));
    if ((h.flags & FShared) != 0 && !mayShare(i)) {
      // No longer on a dual-attached interface (or member port): held again, so that another
      // router's copy is a move signal (or a conflict) once more.
      h.flags &= static_cast<uint8_t>(~FShared);
      dropSharedCheck(i);
      note(i, now, EShared, 4);
      out.push_back(LogAction{
          false,
          fmt::format(
              "event=host_shared_dropped {} reason=\"not dual-attached here\"", logKey(i))});
      publish(i, 0, now, out);
    }
  }
}

const DualAttached* HostTable::dualAttachedOf(int ifindex) const {
  const auto* a = ifAdmit(ifindex);
  if (a == nullptr || a->icfg == nullptr || !a->icfg->dualAttached) {
    return nullptr;
  }
  return &*a->icfg->dualAttached;
}

bool HostTable::mayShare(uint32_t idx) const {
  const auto& h = hosts_[idx];
  const auto* d = dualAttachedOf(h.ifindex);
  if (d == nullptr) {
    return false;
  }
  if (d->ports.empty()) {
    return true;
  }
  // Only behind one of the member ports (a host on a single-attached port is never shared).
  return h.port != 0 &&
         std::find(d->ports.begin(), d->ports.end(), ifs_.name(h.port)) != d->ports.end();
}

// ---- admission -----------------------------------------------------------------------------

const HostTable::IfAdmit* HostTable::ifAdmit(int ifindex) const {
  uint64_t gen = ifs_.generation() * 1000003u + cfgGen_;
  if (gen != admitGen_) {
    admitGen_ = gen;
    admitCache_.clear();
    ownAddrs_.clear();
    ownMacs_.clear();
    for (const auto& [idx, i] : ifs_.all()) {
      for (const auto& p : i.addresses) {
        ownAddrs_.insert(p.address());
      }
      if (i.mac) {
        ownMacs_.insert(*i.mac);
      }
      IfAdmit a;
      a.icfg = i.name.empty() ? nullptr : cfg_.interfaceIn(i.name, i.netnsVrf);
      if (a.icfg != nullptr) {
        a.subnets = a.icfg->subnets.empty() ? ifs_.connectedSubnets(idx) : a.icfg->subnets;
      }
      auto v = ifs_.vrfOf(idx);
      a.vrf = findVrf(v).value_or(UINT16_MAX);
      admitCache_.emplace(idx, std::move(a));
    }
  }
  auto it = admitCache_.find(ifindex);
  return it == admitCache_.end() ? nullptr : &it->second;
}

Reason HostTable::admit(
    int ifindex, const IpAddress& ip, const MacAddress& mac, bool extLearned, bool* foreign) const {
  *foreign = false;
  if (!cfg_.enabled) {
    return Reason::LearningDisabled;
  }
  const auto* a = ifAdmit(ifindex);
  if (a == nullptr || ifs_.get(ifindex)->name.empty()) {
    return Reason::UnknownInterface;
  }
  const auto* icfg = a->icfg;
  if (icfg == nullptr || !icfg->learning) {
    return Reason::NotLearningInterface;
  }
  if (extLearned) {
    return Reason::ExternallyLearned;
  }
  if (ip.isUnspecified()) {
    return Reason::Unspecified;
  }
  if (ip.isMulticast()) {
    return Reason::Multicast;
  }
  if (ip.isLimitedBroadcast()) {
    return Reason::Broadcast;
  }
  if (ip.isLoopback()) {
    return Reason::Loopback;
  }
  if (ip.isLinkLocal()) {
    return Reason::LinkLocal;
  }
  if (mac.isZero() || mac.isMulticast()) {
    return Reason::BadMac;
  }
  if (ownMacs_.count(mac) != 0) {
    return Reason::OwnMac;
  }
  if (ownAddrs_.count(ip) != 0) {
    return Reason::OwnAddress;
  }
  if (std::find(cfg_.gatewayAddresses.begin(), cfg_.gatewayAddresses.end(), ip) !=
      cfg_.gatewayAddresses.end()) {
    return Reason::GatewayAddress;
  }
  if (std::find(cfg_.excluded.begin(), cfg_.excluded.end(), ip) != cfg_.excluded.end()) {
    return Reason::Excluded;
  }
  for (const auto& sn : a->subnets) {
    if (sn.family() != ip.family() || !sn.contains(ip)) {
      continue;
    }
    if (ip.isV4() && sn.length() < 31 && (ip == sn.broadcast() || ip == sn.canonical().address())) {
      return Reason::Broadcast;
    }
    return Reason::None;
  }
  for (const auto& f : cfg_.foreignSubnets) {
    if (f.prefix.family() != ip.family() || !f.prefix.contains(ip)) {
      continue;
    }
    if (f.interfaces.empty() ||
        std::find(f.interfaces.begin(), f.interfaces.end(), icfg->name) != f.interfaces.end()) {
      *foreign = true;
      return Reason::None;
    }
  }
  return Reason::OutsideSubnet;
}

void HostTable::refuse(const Observation& o, Reason r, TimePoint now, Actions& out) {
  ++*cRefusedEvents_;
  Key k{vrfIndex(ifs_.vrfOf(o.ifindex)), o.ip};
  auto it = refused_.find(k);
  if (it != refused_.end() && it->second.reason == r) {
    it->second.last = now;
    it->second.mac = o.mac;
    ++it->second.count;
    return;
  }
  if (it == refused_.end() && refused_.size() >= kMaxRefused) {
    refused_.erase(refused_.begin());
  }
  refused_[k] = Refused{r, o.ifindex, o.mac, o.source, now, now, 1};
  ++*cRefusedHosts_;
  ++counters_.counter(fmt::format("admission.refused.{}", reasonName(r)));
  // Logged once per address and reason. Interfaces we do not learn on are only counted.
  if (r != Reason::NotLearningInterface && r != Reason::UnknownInterface) {
    out.push_back(LogAction{
        false,
        fmt::format(
            "event=host_refused vrf={} addr={} mac={} ifname={} source={} reason={}",
            ifs_.vrfOf(o.ifindex).empty() ? "default" : ifs_.vrfOf(o.ifindex),
            o.ip.str(),
            o.mac.str(),
            ifs_.name(o.ifindex),
            sourceName(o.source),
            reasonName(r))});
  }
}

// ---- lists, slots, keys ----------------------------------------------------------------------

void HostTable::listPush(uint8_t list, uint32_t idx) {
  auto& h = hosts_[idx];
  auto& l = lists_[list];
  h.list = list;
  h.prev = l.tail;
  h.next = kNil;
  if (l.tail != kNil) {
    hosts_[l.tail].next = idx;
  } else {
    l.head = idx;
  }
  l.tail = idx;
  ++l.size;
}

void HostTable::listRemove(uint32_t idx) {
  auto& h = hosts_[idx];
  if (h.list == LNone) {
    return;
  }
  auto& l = lists_[h.list];
  if (h.prev != kNil) {
    hosts_[h.prev].next = h.next;
  } else {
    l.head = h.next;
  }
  if (h.next != kNil) {
    hosts_[h.next].prev = h.prev;
  } else {
    l.tail = h.prev;
  }
  --l.size;
  h.prev = h.next = kNil;
  h.list = LNone;
}

uint16_t HostTable::vrfIndex(const std::string& name) {
  for (size_t i = 0; i < vrfs_.size(); ++i) {
    if (vrfs_[i] == name) {
      return static_cast<uint16_t>(i);
    }
  }
  vrfs_.push_back(name);
  admitGen_ = UINT64_MAX;  // the admission cache holds VRF indexes
  return static_cast<uint16_t>(vrfs_.size() - 1);
}

std::optional<uint16_t> HostTable::findVrf(const std::string& name) const {
  for (size_t i = 0; i < vrfs_.size(); ++i) {
    if (vrfs_[i] == name) {
      return static_cast<uint16_t>(i);
    }
  }
  return std::nullopt;
}

std::optional<uint32_t> HostTable::find(uint16_t vrf, const IpAddress& ip) const {
  auto it = index_.find(Key{vrf, ip});
  if (it == index_.end()) {
    return std::nullopt;
  }
  return it->second;
}

uint32_t HostTable::allocate(const Key& k) {
  uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
    hosts_[idx] = Host{};
  } else {
    idx = static_cast<uint32_t>(hosts_.size());
    hosts_.push();
    growTimeline();
  }
  hosts_[idx].ip = k.ip;
  hosts_[idx].vrf = k.vrf;
  index_[k] = idx;
  return idx;
}

void HostTable::releaseSlot(uint32_t idx) {
  auto& h = hosts_[idx];
  listRemove(idx);
  index_.erase(Key{h.vrf, h.ip});
  if (auto it = frozenUntil_.find(idx); it != frozenUntil_.end()) {
    delTimer(it->second, idx, TFreeze);
    frozenUntil_.erase(it);
  }
  if (auto g = claimGrace_.find(idx); g != claimGrace_.end()) {
    delTimer(g->second, idx, TGrace);
    claimGrace_.erase(g);
  }
  dropSharedCheck(idx);
  held_.erase(idx);
  remoteProto_.erase(idx);
  h = Host{};
  free_.push_back(idx);
}

std::string HostTable::logKey(uint32_t idx) const {
  const auto& h = hosts_[idx];
  return fmt::format(
      "vrf={} addr={} mac={} ifname={}",
      h.vrf == 0 ? std::string("default") : vrfName(h.vrf),
      h.ip.str(),
      h.mac.str(),
      ifs_.name(h.ifindex));
}

// ---- timers and budget -----------------------------------------------------------------------

void HostTable::addTimer(TimePoint at, uint32_t idx, TimerKind k) {
  timers_.emplace(at, idx, static_cast<uint8_t>(k));
}
void HostTable::delTimer(TimePoint at, uint32_t idx, TimerKind k) {
  timers_.erase(TimerKey{at, idx, static_cast<uint8_t>(k)});
}

void HostTable::refill(TimePoint now) {
  double rate = cfg_.probeRateLimit;
  double burst = std::max(1.0, rate / 10.0);
  double dt = std::chrono::duration<double>(now - lastRefill_).count();
  if (dt > 0) {
    tokens_ = std::min(burst, tokens_ + dt * rate);
    lastRefill_ = now;
  }
}

// ---- timeline --------------------------------------------------------------------------------

void HostTable::note(
    uint32_t idx, TimePoint now, uint8_t kind, uint8_t arg, uint32_t aux, uint16_t count) {
  if (tlLen_ == 0) {
    return;
  }
  auto& h = hosts_[idx];
  Event* base = timelineOf(idx);
  if (h.tlSize > 0 &&
      (kind == ESeen || kind == EFrozenIgnored || kind == EDadProbe || kind == EProbe ||
       kind == ERoute || kind == ENeighRestored || kind == ERemoteConflict)) {
    Event& last = base[(h.tlHead + tlLen_ - 1) % tlLen_];
    if (last.kind == kind && last.arg == arg && (kind != EProbe ? last.aux == aux : true) &&
        last.count < UINT16_MAX) {
      ++last.count;
      last.atUs = us(now);
      if (kind == EProbe) {
        last.aux = aux;
      }
      return;
    }
  }
  base[h.tlHead] = Event{us(now), kind, arg, count, aux};
  h.tlHead = static_cast<uint8_t>((h.tlHead + 1) % tlLen_);
  if (h.tlSize < tlLen_) {
    ++h.tlSize;
  }
}

void HostTable::noteMac(
    uint32_t idx, TimePoint now, uint8_t kind, uint8_t arg, const MacAddress& mac) {
  if (tlLen_ == 0) {
    return;
  }
  auto& h = hosts_[idx];
  Event* base = timelineOf(idx);
  base[h.tlHead] = Event{us(now), kind, arg, macHi(mac), macLo(mac)};
  h.tlHead = static_cast<uint8_t>((h.tlHead + 1) % tlLen_);
  if (h.tlSize < tlLen_) {
    ++h.tlSize;
  }
}

// ---- events ----------------------------------------------------------------------------------

void HostTable::observe(const Observation& o, TimePoint now, Actions& out) {
  ++*cObservations_;
  bool isArp = o.source == Source::ArpRequest || o.source == Source::ArpReply ||
               o.source == Source::Garp || o.source == Source::ArpProbe || o.source == Source::Rarp;
  bool isNd = o.source == Source::Ns || o.source == Source::Na ||
              o.source == Source::UnsolicitedNa || o.source == Source::DadNs;
  if ((o.source == Source::Neighbor && !cfg_.sourceNeighborTable) || (isArp && !cfg_.sourceArp) ||
      (isNd && !cfg_.sourceNd)) {
    ++*cRefusedEvents_;
    return;
  }
  if (o.source == Source::Rarp) {
    rarp(o, now, out);
    return;
  }
  const auto* ia = ifAdmit(o.ifindex);
  uint16_t vrf = ia != nullptr && ia->vrf != UINT16_MAX ? ia->vrf : vrfIndex(ifs_.vrfOf(o.ifindex));
  auto found = find(vrf, o.ip);
  if (isNote(o.source)) {
    // Someone checks whether the address is free (RFC 5227 probe, RFC 4862 DAD): note it on
    // the host it concerns; it says nothing about where that host is.
    ++*(o.source == Source::ArpProbe ? cArpProbes_ : cDadProbes_);
    if (found && hosts_[*found].state != HostState::Withdrawn && hosts_[*found].mac != o.mac) {
      noteMac(*found, now, EDadProbe, static_cast<uint8_t>(o.source), o.mac);
    }
    return;
  }
  bool foreign = false;
  Reason r = admit(o.ifindex, o.ip, o.mac, o.extLearned, &foreign);
  if (r != Reason::None) {
    refuse(o, r, now, out);
    return;
  }
  if (found && hosts_[*found].state == HostState::Withdrawn && !o.confirms && !o.fromDump) {
    // The kernel's entry for a host withdrawn here going STALE/DELAY/PROBE (the kernel still
    // tries an address that moved away, for instance) is no sign of life: it must not bring
    // the host back as a "move back" (a claim that would pull the fabric's traffic). A dump
    // (a netns VRF opened again, a resync) still learns what the kernel knows, unclaimed.
    ++*cNotRevived_;
    return;
  }
  if (!found || hosts_[*found].state == HostState::Withdrawn) {
    const auto* iadm = ifAdmit(o.ifindex);
    const auto* icfg = iadm != nullptr ? iadm->icfg : nullptr;
    uint32_t onIf = perIf_[o.ifindex];
    if (icfg != nullptr && icfg->maxHosts && onIf >= *icfg->maxHosts) {
      refuse(o, Reason::InterfaceCap, now, out);
      return;
    }
    if (live_ >= cfg_.maxHosts) {
      refuse(o, Reason::GlobalCap, now, out);
      return;
    }
    uint32_t idx = found ? *found : allocate(Key{vrf, o.ip});
    refused_.erase(Key{vrf, o.ip});
    learn(idx, o, foreign, now, out);
    return;
  }
  uint32_t idx = *found;
  auto& h = hosts_[idx];
  bool sameMac = h.mac == o.mac;
  bool samePort = h.port == 0 || o.port == 0 || h.port == o.port;
  if (sameMac && samePort && h.ifindex == o.ifindex) {
    if (h.port == 0 && o.port != 0) {
      h.port = o.port;
      if ((h.flags & FShared) != 0 && !mayShare(idx)) {
        // Shared on trust while its port was unknown (adopted after a restart): it is not
        // behind a member port after all.
        h.flags &= static_cast<uint8_t>(~FShared);
        dropSharedCheck(idx);
        note(idx, now, EShared, 4);
        publish(idx, 0, now, out);
      }
    }
    alive(idx, o, now, out);
    return;
  }
  otherBinding(idx, o, now, out);
}

void HostTable::learn(
    uint32_t idx, const Observation& o, bool foreign, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  bool returning = h.state == HostState::Withdrawn;
  bool movedBack = returning && h.reason == Reason::MovedAway;
  bool wasShared = returning && (h.flags & FWasShared) != 0;
  // It left here as the newcomer of a conflict (another router had it first and kept it)
  // and is back within the hold time: announced held, not claimed, so that a spoofer's
  // repeated announcements cannot pull the fabric's traffic each time. It takes over only
  // once the first router no longer advertises it.
  bool contestedReturn =
      movedBack && (h.flags & FContested) != 0 && now - h.lastSeen < cfg_.holdTime;
  if (returning && (h.flags & FFrozen) != 0 && (h.mac != o.mac || h.ifindex != o.ifindex)) {
    ++*cFrozenIgnored_;
    noteMac(idx, now, EFrozenIgnored, static_cast<uint8_t>(o.source), o.mac);
    return;
  }
  // A route fpm_client held across a learner restart, and the host answered: it was here.
  bool recovered = false;
  bool recoveredShared = false;
  bool recoveredRemote = false;
  if (auto r = recovering_.find(Key{h.vrf, h.ip}); r != recovering_.end()) {
    recovered = true;
    recoveredShared = r->second.shared;
    recoveredRemote = r->second.remote;
    recoverQ_.erase({r->second.next, r->first});
    recovering_.erase(r);
    ++*cRecovered_;
  }
  listRemove(idx);
  if (!returning) {
    h.firstSeen = now;
  }
  h.mac = o.mac;
  h.ifindex = o.ifindex;
  h.port = o.port;
  h.state = HostState::Active;
  h.reason = Reason::Learned;
  h.route = RouteState::Unknown;
  h.installedHere = 0;
  h.probes = 0;
  h.lastSeen = now;
  h.flags = static_cast<uint8_t>(
      (h.flags & FFrozen) | (foreign ? FForeign : 0) | (contestedReturn ? FContested : 0));
  listPush(LActive, idx);
  ++perIf_[h.ifindex];
  ++live_;
  ++*cAdmitted_;
  gHosts_->set(live_);
  note(
      idx,
      now,
      ELearned,
      static_cast<uint8_t>(
          static_cast<uint8_t>(o.source) | (o.fromDump ? kLearnedDump : 0) |
          (recovered ? kLearnedRecover : 0)),
      static_cast<uint32_t>(o.port != 0 ? o.port : o.ifindex));
  out.push_back(LogAction{
      false,
      fmt::format(
          "event=host_learned {} source={}{}{}{}{}{}",
          logKey(idx),
          sourceName(o.source),
          foreign ? " foreign=yes" : "",
          movedBack ? " moved_back=yes" : "",
          wasShared ? " shared=yes" : "",
          recovered ? " recovered=yes" : "",
          contestedReturn ? " contested=yes" : "")});
  if (movedBack) {
    recordMove(idx, true, now, out);
  }
  if ((wasShared || recoveredShared) && mayShare(idx)) {
    // It left while shared (its link here failed) and is back: shared again at once. A claim
    // that relaxes to hold would yield to the other router's copy and withdraw ours until
    // the remote signal is verified: a flap of the route the fabric sees. (Recovered: the
    // route fpm_client held was shared.)
    markShared(idx, now);
    note(idx, now, EShared, wasShared ? 2 : 1);
  }
  if (recoveredRemote) {
    // fpm_client's snapshot said another router's copy is selected here: ours was held and
    // losing before the restart, so this router is the newcomer.
    h.flags |= FRemote | FContested;
  }
  // A host that just appeared (new, or back from another router) is announced as a claim:
  // fpm_client turns that into the move signal (docs/host-routing.md). Hosts found in the
  // kernel table at start-up, or recovered from fpm_client's routes, were here already.
  bool claim = !o.fromDump && !recovered && !contestedReturn;
  publish(idx, claim ? kFlagClaim : 0, now, out, contestedReturn ? kPublishedContested : 0);
  // The arrival grace: another router's route reported meanwhile was there before (the old
  // location being replaced, or a conflict where this router is the newcomer); it is checked
  // when the grace ends.
  TimePoint until = now + kClaimGrace;
  if (auto g = claimGrace_.find(idx); g != claimGrace_.end()) {
    delTimer(g->second, idx, TGrace);
  }
  claimGrace_[idx] = until;
  addTimer(until, idx, TGrace);
}

void HostTable::alive(uint32_t idx, const Observation& o, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  if (auto v = verify_.find(idx); v != verify_.end() && o.confirms) {
    // The current binding answered while a newcomer or another router claims the host. For
    // a newcomer here only a frame from the binding's own port counts (a kernel neighbour
    // event does not say which port, and the newcomer may share the MAC).
    bool counts = v->second.kind != VerifyKind::Move ||
                  (o.source != Source::Neighbor && (h.port == 0 || o.port == h.port));
    if (counts) {
      finishVerify(idx, true, now, out);
    }
  }
  if (!o.confirms) {
    return;  // a kernel entry going STALE/DELAY is no sign of life
  }
  bool wasProbing = h.state == HostState::Probing;
  h.lastSeen = now;
  h.probes = 0;
  h.state = HostState::Active;
  h.reason = Reason::Alive;
  listRemove(idx);
  listPush(LActive, idx);
  if (wasProbing) {
    ++*cProbeAnswers_;
    note(idx, now, EAnswered, static_cast<uint8_t>(o.source));
  } else {
    note(idx, now, ESeen, static_cast<uint8_t>(o.source), static_cast<uint32_t>(o.port));
  }
}

void HostTable::otherBinding(uint32_t idx, const Observation& o, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  if ((h.flags & FFrozen) != 0) {
    if (h.mac == o.mac && h.ifindex == o.ifindex) {
      // Frozen hosts are pinned by MAC and interface; the port may wander.
      alive(idx, o, now, out);
      return;
    }
    ++*cFrozenIgnored_;
    noteMac(idx, now, EFrozenIgnored, static_cast<uint8_t>(o.source), o.mac);
    return;
  }
  if (auto v = verify_.find(idx); v != verify_.end()) {
    if (v->second.kind != VerifyKind::Move) {
      // Another router claims it (or a shared recheck runs) and now a second binding here:
      // check the old one first.
      v->second.kind = VerifyKind::Move;
      v->second.ifindex = o.ifindex;
      v->second.port = o.port;
      v->second.mac = o.mac;
      v->second.source = o.source;
    }
    return;  // a verification is under way; its outcome decides
  }
  if (auto d = dups_.find(idx);
      d != dups_.end() && d->second.mac == o.mac && now < d->second.recheckAt) {
    d->second.lastSeen = now;
    ++d->second.count;
    if (o.source == Source::Neighbor) {
      // Its announcement pointed the kernel's neighbour entry at it again: set it back to
      // the binding verified moments ago (the route's next hop is the bridge, so the
      // kernel's entry decides where the host's traffic goes).
      restoreNeighbor(idx, now, out);
    }
    return;  // a known duplicate keeps announcing: re-checked now and then, not per packet
  }
  startVerify(idx, VerifyKind::Move, &o, now, out);
}

void HostTable::startVerify(
    uint32_t idx, VerifyKind kind, const Observation* cand, TimePoint now, Actions& out) {
  Verify v;
  v.kind = kind;
  v.started = now;
  v.next = now;
  if (cand != nullptr) {
    v.ifindex = cand->ifindex;
    v.port = cand->port;
    v.mac = cand->mac;
    v.source = cand->source;
    noteMac(idx, now, EVerifyMove, static_cast<uint8_t>(cand->source), cand->mac);
  }
  verify_[idx] = v;
  verifyStep(idx, now, out);
}

// A verification sends two probes (at the start and half-way) and decides at verify-time.
void HostTable::verifyStep(uint32_t idx, TimePoint now, Actions& out) {
  auto it = verify_.find(idx);
  if (it == verify_.end()) {
    return;
  }
  auto& v = it->second;
  auto& h = hosts_[idx];
  if (now >= v.started + cfg_.verifyTime) {
    finishVerify(idx, false, now, out);
    return;
  }
  if (v.probes < 2) {
    // Probe the current binding: out of its own port when known, so that a newcomer with
    // the same MAC behind another port cannot answer for it.
    // A shared host's recheck goes out of its own port too: on an MLAG pair the bridge would
    // otherwise reach it over the peer link when the member link here is down.
    int sendIf = v.kind != VerifyKind::Remote && h.port != 0 && ifs_.get(h.port) != nullptr
                     ? h.port
                     : h.ifindex;
    sendProbe(
        idx,
        v.kind == VerifyKind::Move     ? ProbeReason::VerifyMove
        : v.kind == VerifyKind::Remote ? ProbeReason::VerifyRemote
                                       : ProbeReason::RecheckShared,
        sendIf,
        now,
        out);
    ++v.probes;
  }
  v.next = v.probes < 2 ? v.started + cfg_.verifyTime / 2 : v.started + cfg_.verifyTime;
  addTimer(v.next, idx, TVerify);
}

void HostTable::finishVerify(uint32_t idx, bool answered, TimePoint now, Actions& out) {
  auto it = verify_.find(idx);
  if (it == verify_.end()) {
    return;
  }
  Verify v = it->second;
  delTimer(v.next, idx, TVerify);
  verify_.erase(it);
  auto& h = hosts_[idx];
  if (v.kind == VerifyKind::Shared) {
    if (answered) {
      armSharedCheck(idx, now + sharedRecheck());
      return;
    }
    // The host no longer answers out of its port here (the member link to this router
    // failed, or the host left the pair): withdrawn; the other router keeps its own route.
    ++*cSharedLost_;
    out.push_back(LogAction{
        false,
        fmt::format(
            "event=host_shared_lost {} action=withdrawn reason=\"no answer out of its port\"",
            logKey(idx))});
    withdraw(idx, Reason::Aged, now, out);
    return;
  }
  if (v.kind == VerifyKind::Remote) {
    if (answered && mayShare(idx)) {
      // Still here while another router advertises it, on a dual-attached interface: the
      // MLAG/VLT peer has it too. Keep it, never re-claim; announce it as shared so both
      // routers keep a steady route (docs/host-routing.md) instead of oscillating.
      if ((h.flags & FShared) == 0) {
        ++*cShared_;
        note(idx, now, EShared);
        const auto* d = dualAttachedOf(h.ifindex);
        out.push_back(LogAction{
            true,
            fmt::format(
                "event=host_shared {} peer={} action=\"kept: still answers while another router "
                "advertises it\"",
                logKey(idx),
                d != nullptr ? d->peer : std::string("-"))});
        markShared(idx, now);
        publish(idx, kFlagShared, now, out);
      }
    } else if (answered) {
      // Still here while another router advertises it, and not dual-attached: a conflict.
      remoteConflict(idx, now, out);
    } else {
      out.push_back(
          LogAction{false, fmt::format("event=host_moved_away {} action=withdrawn", logKey(idx))});
      recordMove(idx, false, now, out);
      withdraw(idx, Reason::MovedAway, now, out);
    }
    return;
  }
  // Move verification.
  if (answered) {
    ++*cConflicts_;
    auto& d = dups_[idx];
    bool fresh = d.count == 0;
    d.ifindex = v.ifindex;
    d.port = v.port;
    d.mac = v.mac;
    if (fresh) {
      d.since = now;
    }
    d.lastSeen = now;
    d.recheckAt =
        now + std::max<Duration>(cfg_.verifyTime * 10, cfg_.probeInterval * cfg_.probeRetries);
    ++d.count;
    if ((h.flags & FDuplicate) == 0) {
      h.flags |= FDuplicate;
      addTimer(d.lastSeen + cfg_.holdTime, idx, TDuplicate);
    }
    gDuplicates_->set(dups_.size());
    d.remote = false;
    noteMac(idx, now, EConflict, static_cast<uint8_t>(v.source), v.mac);
    if (v.mac != h.mac) {
      restoreNeighbor(idx, now, out);
    }
    out.push_back(LogAction{
        true,
        fmt::format(
            "event=host_duplicate {} newcomer_mac={} newcomer_ifname={} newcomer_port={} "
            "action=\"kept the first; newcomer ignored\"",
            logKey(idx),
            v.mac.str(),
            ifs_.name(v.ifindex),
            v.port == 0 ? std::string("-") : ifs_.name(v.port))});
    return;
  }
  // The old binding is gone: the host moved (another port or MAC on this switch).
  int oldIf = h.ifindex;
  int oldPort = h.port;
  MacAddress oldMac = h.mac;
  bool routeChanges = h.ifindex != v.ifindex || h.mac != v.mac;
  if (oldIf != v.ifindex) {
    if (perIf_[oldIf] > 0) {
      --perIf_[oldIf];
    }
    ++perIf_[v.ifindex];
  }
  h.ifindex = v.ifindex;
  h.port = v.port;
  h.mac = v.mac;
  h.lastSeen = now;
  h.probes = 0;
  h.state = HostState::Active;
  h.reason = Reason::Moved;
  listRemove(idx);
  listPush(LActive, idx);
  if (auto d = dups_.find(idx); d != dups_.end()) {
    delTimer(d->second.lastSeen + cfg_.holdTime, idx, TDuplicate);
    dups_.erase(d);
    h.flags &= static_cast<uint8_t>(~FDuplicate);
    gDuplicates_->set(dups_.size());
  }
  note(
      idx,
      now,
      EMoved,
      static_cast<uint8_t>(v.source),
      static_cast<uint32_t>(oldPort != 0 ? oldPort : oldIf));
  if (oldMac != h.mac) {
    noteMac(idx, now, EMovedMac, 0, oldMac);
  }
  out.push_back(LogAction{
      false,
      fmt::format(
          "event=host_moved {} from_ifname={} from_port={} from_mac={} to_port={}",
          logKey(idx),
          ifs_.name(oldIf),
          oldPort == 0 ? std::string("-") : ifs_.name(oldPort),
          oldMac.str(),
          h.port == 0 ? std::string("-") : ifs_.name(h.port))});
  recordMove(idx, true, now, out);
  if (routeChanges) {
    publish(idx, (h.flags & FShared) ? kFlagShared : 0, now, out);
  }
}

HostTable::Duplicate& HostTable::flagDuplicate(uint32_t idx, TimePoint now) {
  auto& h = hosts_[idx];
  auto& d = dups_[idx];
  if (d.count == 0) {
    d.since = now;
  }
  d.lastSeen = now;
  ++d.count;
  if ((h.flags & FDuplicate) == 0) {
    h.flags |= FDuplicate;
    addTimer(d.lastSeen + cfg_.holdTime, idx, TDuplicate);
  }
  gDuplicates_->set(dups_.size());
  return d;
}

void HostTable::clearDuplicate(uint32_t idx) {
  if (auto d = dups_.find(idx); d != dups_.end()) {
    delTimer(d->second.lastSeen + cfg_.holdTime, idx, TDuplicate);
    dups_.erase(d);
    gDuplicates_->set(dups_.size());
  }
  hosts_[idx].flags &= static_cast<uint8_t>(~FDuplicate);
}

// A live host here that another router advertises too, on an interface that is not
// dual-attached: two hosts claim one address across the fabric (a spoofer behind another
// ToR, or a misconfigured duplicate). The router that had the host first keeps it: it
// re-claims the route (the claim distance beats the newcomer's copy here and the claim goes
// out again), and the newcomer's router, once its own claim relaxed to hold, finds the first
// router's copy selected over its held route and yields: its route is then not advertised.
// Who came first: the newcomer is the router where another router's route was already there
// when the host arrived (FContested, docs/host-routing.md "Duplicates across the fabric").
void HostTable::remoteConflict(uint32_t idx, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  ++*cConflicts_;
  ++*cRemoteConflicts_;
  bool existed = dups_.count(idx) != 0 && dups_[idx].remote;
  auto& d = flagDuplicate(idx, now);
  if (!existed) {
    d.defenses = 0;
    d.ifindex = 0;
    d.port = 0;
    d.mac = MacAddress{};
  }
  d.remote = true;
  d.recheckAt = now;
  if (auto p = remoteProto_.find(idx); p != remoteProto_.end()) {
    d.protocol = p->second;
  }
  bool newcomer = (h.flags & FContested) != 0;
  if (!newcomer) {
    d.defenses = d.lastDefense != TimePoint{} && now - d.lastDefense < kDefendRepeat
                     ? static_cast<uint16_t>(d.defenses + 1)
                     : uint16_t{1};
    if (d.defenses > kMaxDefenses) {
      // Both routers keep answering and defending: neither knew of the other when it
      // learned the host. One of them has to stop, and this one got here first.
      newcomer = true;
      h.flags |= FContested;
      out.push_back(LogAction{
          true,
          fmt::format(
              "event=host_duplicate_tiebreak {} defenses={} action=\"yielding: the other router "
              "keeps defending too\"",
              logKey(idx),
              d.defenses - 1)});
    }
  }
  d.newcomer = newcomer;
  note(idx, now, ERemoteConflict, newcomer ? 2 : 1);
  if (newcomer) {
    ++*cYielded_;
    out.push_back(LogAction{
        true,
        fmt::format(
            "event=host_duplicate {} newcomer=this-router other_router_protocol={} "
            "action=\"yielded: another router had it first and keeps it; ours stays held, not "
            "advertised\"",
            logKey(idx),
            d.protocol.empty() ? std::string("-") : d.protocol)});
    return;
  }
  ++*cDefended_;
  d.lastDefense = now;
  out.push_back(LogAction{
      true,
      fmt::format(
          "event=host_duplicate {} newcomer=other-router other_router_protocol={} "
          "action=\"kept the first: re-claimed\"",
          logKey(idx),
          d.protocol.empty() ? std::string("-") : d.protocol)});
  publish(idx, kFlagClaim, now, out);
}

void HostTable::restoreNeighbor(uint32_t idx, TimePoint now, Actions& out) {
  const auto& h = hosts_[idx];
  ++*cNeighRestores_;
  note(idx, now, ENeighRestored);
  out.push_back(NeighborAction{h.ifindex, h.ip, h.mac});
}

// RARP (RFC 903) carries no IP address: hypervisors broadcast one from a VM's MAC right
// after a live migration. Every host with that MAC: where it already is, a sign of life; on
// another port or interface here, a move to verify (its current binding is probed);
// withdrawn here (it left, for instance to another router, and may be back), probed on the
// port the RARP came in on, if its address is admitted there. An answer does the rest.
void HostTable::rarp(const Observation& o, TimePoint now, Actions& out) {
  ++*cRarp_;
  double dt = std::chrono::duration<double>(now - rarpRefill_).count();
  if (dt > 0) {
    rarpTokens_ = std::min(kRarpPerSecond, rarpTokens_ + dt * kRarpPerSecond);
    rarpRefill_ = now;
  }
  if (rarpTokens_ < 1) {
    ++*cRarpThrottled_;
    return;
  }
  rarpTokens_ -= 1;
  if (o.mac.isZero() || o.mac.isMulticast()) {
    return;
  }
  std::vector<uint32_t> hits;
  for (uint32_t i = 0; i < hosts_.size(); ++i) {
    if (hosts_[i].state != HostState::Free && hosts_[i].mac == o.mac) {
      hits.push_back(i);
    }
  }
  for (uint32_t i : hits) {
    auto& h = hosts_[i];
    ++*cRarpHints_;
    Observation x = o;
    x.ip = h.ip;
    if (h.state == HostState::Withdrawn) {
      bool foreign = false;
      const auto* ia = ifAdmit(o.ifindex);
      if ((h.flags & FFrozen) == 0 && ia != nullptr && ia->vrf == h.vrf &&
          admit(o.ifindex, h.ip, o.mac, false, &foreign) == Reason::None &&
          emitProbe(
              h.ip,
              &h.mac,
              o.ifindex,
              o.port != 0 ? o.port : o.ifindex,
              ProbeReason::RarpHint,
              out)) {
        note(
            i,
            now,
            EProbe,
            static_cast<uint8_t>(ProbeReason::RarpHint),
            static_cast<uint32_t>(o.port != 0 ? o.port : o.ifindex));
      }
      continue;
    }
    bool samePort = h.port == 0 || o.port == 0 || h.port == o.port;
    if (h.ifindex == o.ifindex && samePort) {
      alive(i, x, now, out);
    } else {
      otherBinding(i, x, now, out);
    }
  }
}

void HostTable::recover(const std::vector<HeldRoute>& routes, TimePoint now, Actions& out) {
  for (const auto& r : routes) {
    uint16_t v = vrfIndex(r.vrf);
    Key k{v, r.ip};
    if (index_.count(k) != 0 || recovering_.count(k) != 0) {
      continue;  // known (live, or withdrawn on purpose), or being checked
    }
    Recover rc;
    rc.shared = r.shared;
    for (const auto& [ifindex, info] : ifs_.all()) {
      const auto* a = ifAdmit(ifindex);
      if (a == nullptr || a->vrf != v || a->icfg == nullptr || !a->icfg->learning) {
        continue;
      }
      bool foreign = false;
      // Any unicast MAC will do for the admission of the address alone.
      if (admit(ifindex, r.ip, MacAddress({0x02, 0, 0, 0, 0, 1}), false, &foreign) ==
          Reason::None) {
        rc.ifindexes.push_back(ifindex);
      }
    }
    if (rc.ifindexes.empty()) {
      continue;  // not admitted anywhere now: the sweep removes it
    }
    rc.first = now;
    rc.next = now;
    recoverQ_.insert({rc.next, k});
    recovering_.emplace(k, std::move(rc));
  }
  recoverStep(now, out);
}

// Each held route's host is asked twice within verify-time (broadcast ARP / multicast NS on
// every interface that admits it, within the probe budget); no answer by then: given up.
void HostTable::recoverStep(TimePoint now, Actions& out) {
  while (!recoverQ_.empty() && recoverQ_.begin()->first <= now) {
    auto [at, k] = *recoverQ_.begin();
    auto it = recovering_.find(k);
    if (it == recovering_.end() || it->second.next != at) {
      recoverQ_.erase(recoverQ_.begin());
      continue;
    }
    auto& rc = it->second;
    if (rc.probes >= 2) {
      if (now >= rc.first + cfg_.verifyTime) {
        recoverQ_.erase(recoverQ_.begin());
        ++*cRecoverSwept_;
        out.push_back(LogAction{
            false,
            fmt::format(
                "event=host_not_recovered vrf={} addr={} action=\"left to fpm_client's sweep: "
                "no answer\"",
                vrfName(k.vrf).empty() ? "default" : vrfName(k.vrf),
                k.ip.str())});
        recovering_.erase(it);
        continue;
      }
    } else {
      if (tokens_ < 1) {
        ++*cProbeDeferred_;
        break;  // the budget: tick() comes back when a token is there
      }
      if (rc.probes == 0) {
        rc.first = now;
        ++*cRecoverProbed_;
      }
      for (int ifindex : rc.ifindexes) {
        emitProbe(k.ip, nullptr, ifindex, ifindex, ProbeReason::Recover, out);
      }
      ++rc.probes;
    }
    recoverQ_.erase(recoverQ_.begin());
    rc.next = rc.probes < 2 ? rc.first + cfg_.verifyTime / 2 : rc.first + cfg_.verifyTime;
    recoverQ_.insert({rc.next, k});
  }
}

void HostTable::setSouthbound(bool connected, TimePoint) {
  southbound_ = connected;
}

void HostTable::syncSent(TimePoint now) {
  for (uint32_t idx : held_) {
    const auto& h = hosts_[idx];
    if (h.state == HostState::Active || h.state == HostState::Probing) {
      note(idx, now, EResynced);
    }
  }
  held_.clear();
}

void HostTable::intentDropped(const std::string& vrf, const IpAddress& ip, TimePoint now) {
  auto v = findVrf(vrf);
  auto idx = v ? find(*v, ip) : std::nullopt;
  if (!idx) {
    return;
  }
  note(*idx, now, EIntentDropped);
  held_.insert(*idx);
}

void HostTable::recordMove(uint32_t idx, bool mayFreeze, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  ++h.moves;
  ++*cMoves_;
  if (h.windowMoves == 0 || now - h.windowStart > cfg_.moveWindow) {
    h.windowStart = now;
    h.windowMoves = 1;
  } else if (h.windowMoves < UINT16_MAX) {
    ++h.windowMoves;
  }
  // Freeze only a host that is here (its route ours): a departure counts, the next arrival
  // freezes it.
  if (mayFreeze && h.windowMoves > cfg_.maxMoves && (h.flags & FFrozen) == 0) {
    freeze(idx, now, out);
  }
}

// A shared host sends no move signal and hears none (docs/host-routing.md): its own liveness
// is what removes it when it leaves, so it is re-checked sooner than the hold time, whenever
// it has been quiet for this long (the same pace as a known duplicate's re-check).
Duration HostTable::sharedRecheck() const {
  return std::max<Duration>(cfg_.verifyTime * 10, cfg_.probeInterval * cfg_.probeRetries);
}

void HostTable::markShared(uint32_t idx, TimePoint now) {
  hosts_[idx].flags |= FShared;
  armSharedCheck(idx, now + sharedRecheck());
}

void HostTable::armSharedCheck(uint32_t idx, TimePoint at) {
  dropSharedCheck(idx);
  sharedCheck_[idx] = at;
  addTimer(at, idx, TShared);
}

void HostTable::dropSharedCheck(uint32_t idx) {
  if (auto it = sharedCheck_.find(idx); it != sharedCheck_.end()) {
    delTimer(it->second, idx, TShared);
    sharedCheck_.erase(it);
  }
}

void HostTable::freeze(uint32_t idx, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  h.flags |= FFrozen;
  ++*cFrozen_;
  if (cfg_.freezeTime.count() > 0) {
    TimePoint until = now + cfg_.freezeTime;
    frozenUntil_[idx] = until;
    addTimer(until, idx, TFreeze);
  } else {
    frozenUntil_[idx] = TimePoint::max();
  }
  gFrozen_->set(frozenUntil_.size());
  note(idx, now, EFrozen, 0, h.windowMoves);
  out.push_back(LogAction{
      true,
      fmt::format(
          "event=host_frozen {} moves={} window_s={} freeze_s={} action=\"pinned where it is; "
          "release: hostroutectl clear host {} freeze\"",
          logKey(idx),
          h.windowMoves,
          cfg_.moveWindow.count(),
          cfg_.freezeTime.count(),
          h.ip.str())});
}

void HostTable::unfreeze(uint32_t idx, const char* why, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  if (auto it = frozenUntil_.find(idx); it != frozenUntil_.end()) {
    if (it->second != TimePoint::max()) {
      delTimer(it->second, idx, TFreeze);
    }
    frozenUntil_.erase(it);
  }
  gFrozen_->set(frozenUntil_.size());
  h.flags &= static_cast<uint8_t>(~FFrozen);
  h.windowMoves = 0;
  note(idx, now, EUnfrozen, why[0] == 'c' ? 1 : 0);
  out.push_back(LogAction{false, fmt::format("event=host_unfrozen {} by={}", logKey(idx), why)});
}

void HostTable::withdraw(uint32_t idx, Reason why, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  if (h.state == HostState::Withdrawn || h.state == HostState::Free) {
    return;
  }
  if (h.flags & FPublished) {
    PublishAction p;
    p.add = false;
    p.vrf = vrfName(h.vrf);
    p.ip = h.ip;
    p.ifindex = h.ifindex;
    p.ifname = ifs_.name(h.ifindex);
    p.mac = h.mac;
    out.push_back(std::move(p));
  }
  if (auto v = verify_.find(idx); v != verify_.end()) {
    delTimer(v->second.next, idx, TVerify);
    verify_.erase(v);
  }
  if (auto d = dups_.find(idx); d != dups_.end()) {
    delTimer(d->second.lastSeen + cfg_.holdTime, idx, TDuplicate);
    dups_.erase(d);
    gDuplicates_->set(dups_.size());
  }
  if (perIf_[h.ifindex] > 0) {
    --perIf_[h.ifindex];
  }
  --live_;
  gHosts_->set(live_);
  ++*cWithdrawn_;
  ++counters_.counter(fmt::format("hosts.withdrawn.{}", reasonName(why)));
  // A shared host that stopped answering here (its link to this router failed) comes back
  // shared when it is learned again.
  bool rememberShared =
      (h.flags & FShared) != 0 && (why == Reason::Aged || why == Reason::InterfaceGone);
  // A newcomer of a conflict that left (its binding stopped answering once the first router
  // defended): a quick return is announced held, not claimed (learn()).
  bool rememberContested = (h.flags & FContested) != 0 && why == Reason::MovedAway;
  dropSharedCheck(idx);
  held_.erase(idx);
  h.flags &= static_cast<uint8_t>(FFrozen | FForeign);
  if (rememberShared) {
    h.flags |= FWasShared;
  }
  if (rememberContested) {
    h.flags |= FContested;
  }
  h.state = HostState::Withdrawn;
  h.reason = why;
  h.route = RouteState::Unknown;
  listRemove(idx);
  h.nextAt = now + std::max<Duration>(cfg_.holdTime, cfg_.moveWindow);
  listPush(LTomb, idx);
  note(idx, now, EWithdrawn, static_cast<uint8_t>(why));
  out.push_back(LogAction{
      false, fmt::format("event=host_withdrawn {} reason={}", logKey(idx), reasonName(why))});
  if (why == Reason::Cleared) {
    releaseSlot(idx);  // the operator asked to forget it
  }
  while (lists_[LTomb].size > kMaxTombs) {
    releaseSlot(lists_[LTomb].head);
  }
}

void HostTable::publish(
    uint32_t idx, uint32_t flags, TimePoint now, Actions& out, uint8_t noteBits) {
  auto& h = hosts_[idx];
  PublishAction p;
  p.add = true;
  p.vrf = vrfName(h.vrf);
  p.ip = h.ip;
  p.ifindex = h.ifindex;
  p.ifname = ifs_.name(h.ifindex);
  p.mac = h.mac;
  p.flags = flags | ((h.flags & FShared) ? kFlagShared : 0);
  h.flags |= FPublished;
  // While fpm_client is away the publisher drops intents and the next sync carries the
  // table: say so, rather than "injected".
  if (!southbound_) {
    noteBits |= kPublishedHeld;
    held_.insert(idx);
  } else {
    held_.erase(idx);
  }
  note(idx, now, EPublished, static_cast<uint8_t>(p.flags | noteBits));
  out.push_back(std::move(p));
}

bool HostTable::emitProbe(
    const IpAddress& target,
    const MacAddress* dst,
    int l3,
    int sendIfindex,
    ProbeReason why,
    Actions& out) {
  const auto* iface = ifs_.get(l3);
  if (iface == nullptr || !iface->up || !iface->mac) {
    return false;
  }
  ProbeAction p;
  p.sendIfindex = sendIfindex;
  p.ifindex = l3;
  p.target = target;
  if (dst != nullptr) {
    p.dstMac = *dst;
  } else {
    p.broadcast = true;
  }
  p.srcMac = *iface->mac;
  p.reason = why;
  p.src = target.isV4() ? IpAddress::v4(uint32_t{0}) : IpAddress::v6({});
  // The switch's own address on that interface: in the host's subnet if possible, never a
  // gateway/anycast address (another router would take the answer). IPv6 falls back to the
  // link-local address; with none, an RFC 5227 probe / DAD-form NS.
  const IpAddress* best = nullptr;
  int bestScore = 0;
  for (const auto& a : iface->addresses) {
    const auto& ip = a.address();
    if (ip.family() != target.family()) {
      continue;
    }
    if (std::find(cfg_.gatewayAddresses.begin(), cfg_.gatewayAddresses.end(), ip) !=
        cfg_.gatewayAddresses.end()) {
      continue;
    }
    int score = a.contains(target) ? 3 : (ip.isLinkLocal() ? 2 : 1);
    if (score > bestScore) {
      bestScore = score;
      best = &ip;
    }
  }
  if (best != nullptr) {
    p.src = *best;
  }
  ++*cProbes_;
  tokens_ -= 1;
  out.push_back(p);
  return true;
}

bool HostTable::sendProbe(
    uint32_t idx, ProbeReason why, int sendIfindex, TimePoint now, Actions& out) {
  auto& h = hosts_[idx];
  if (!emitProbe(h.ip, &h.mac, h.ifindex, sendIfindex, why, out)) {
    return false;
  }
  if (why == ProbeReason::Aging) {
    note(idx, now, EProbe, static_cast<uint8_t>(why), h.probes + 1u);
  } else {
    note(idx, now, EProbe, static_cast<uint8_t>(why), static_cast<uint32_t>(sendIfindex));
  }
  return true;
}

void HostTable::neighborFailed(int ifindex, const IpAddress& ip, TimePoint now, Actions& out) {
  auto idx = find(vrfIndex(ifs_.vrfOf(ifindex)), ip);
  if (!idx) {
    return;
  }
  auto& h = hosts_[*idx];
  if (h.state != HostState::Active) {
    return;
  }
  // The kernel's own probes failed: start ours now instead of at the quiet time.
  note(*idx, now, ENeighFailed);
  h.state = HostState::Probing;
  h.reason = Reason::Quiet;
  h.probes = 0;
  listRemove(*idx);
  listPush(LDue, *idx);
  tick(now, out);
}

void HostTable::routeStatus(
    const std::string& vrf,
    const IpAddress& ip,
    RouteState st,
    TimePoint now,
    Actions& out,
    bool shared) {
  auto v = findVrf(vrf);
  if (!v) {
    return;
  }
  auto idx = find(*v, ip);
  if (!idx) {
    return;
  }
  auto& h = hosts_[*idx];
  if (h.state == HostState::Withdrawn) {
    return;
  }
  // fpm_client injects it as shared and this table does not know (the learner restarted):
  // adopt the flag, from the first status heard for the host only (a later one may predate
  // an operator's clear). Only on a dual-attached interface: elsewhere the route goes back to
  // hold (another router's copy is then a conflict to resolve, not a peer).
  if (shared && (h.flags & FShared) == 0 && h.route == RouteState::Unknown) {
    // A host found in the kernel's table has no port yet: on a dual-attached interface it
    // keeps the flag until its first frame says which port it is behind.
    bool portUnknown = h.port == 0 && dualAttachedOf(h.ifindex) != nullptr;
    if (mayShare(*idx) || portUnknown) {
      markShared(*idx, now);
      note(*idx, now, EShared, 1);
    } else {
      note(*idx, now, EShared, 4);
      publish(*idx, 0, now, out);
    }
  }
  if (st == RouteState::Installed) {
    h.installedHere = 1;
  }
  if (h.route == st) {
    return;
  }
  h.route = st;
  if (st != RouteState::Pending) {  // every (re-)injection passes through pending: noise
    note(*idx, now, ERoute, static_cast<uint8_t>(st));
  }
}

void HostTable::remoteRoute(
    const std::string& vrf,
    const IpAddress& ip,
    bool present,
    const std::string& protocol,
    TimePoint now,
    Actions& out) {
  auto v = findVrf(vrf);
  if (!v) {
    return;
  }
  auto idx = find(*v, ip);
  if (!idx) {
    // A route fpm_client held across a restart, being checked: remember whether another
    // router's copy is the one selected (then this router was the losing newcomer).
    if (auto r = recovering_.find(Key{*v, ip}); r != recovering_.end()) {
      r->second.remote = present;
    }
    return;
  }
  auto& h = hosts_[*idx];
  if (h.state == HostState::Withdrawn) {
    return;
  }
  auto g = claimGrace_.find(*idx);
  bool arriving = g != claimGrace_.end() && now < g->second;
  auto d = dups_.find(*idx);
  bool remoteDup = d != dups_.end() && d->second.remote;
  if (present && h.installedHere == 0 && (h.flags & FShared) == 0) {
    // Another router's copy is selected here before ours was ever installed since the host
    // arrived: that router advertised it when it arrived here (fpm_client reports such a
    // copy with the new intent, or in its snapshot after a restart): the old location a move
    // replaces, or, if both turn out to answer, the router that had it first. A copy that
    // shows up after ours was installed is someone arriving after us.
    h.flags |= FContested;
  }
  bool onArrival = present && arriving && (h.flags & FContested) != 0;
  note(*idx, now, ERemote, present ? (onArrival ? 3 : 1) : ((h.flags & FShared) != 0 ? 2 : 0));
  if (!present) {
    // A shared host stays shared: its steady route beats the other router's copy in zebra,
    // which then stops reporting that copy (it is hidden, not gone).
    h.flags &= static_cast<uint8_t>(~FRemote);
    if (remoteDup && d->second.newcomer) {
      // The router that had it first no longer advertises it: our held route is selected
      // and advertised now; the conflict is over.
      clearDuplicate(*idx);
      h.flags &= static_cast<uint8_t>(~FContested);
      note(*idx, now, EDupCleared, 2);
      out.push_back(LogAction{
          false,
          fmt::format(
              "event=host_duplicate_cleared {} reason=\"the first router no longer advertises "
              "it\"",
              logKey(*idx))});
    }
    return;
  }
  ++*cRemoteSignals_;
  h.flags |= FRemote;
  remoteProto_[*idx] = protocol;
  if (remoteDup) {
    d->second.lastSeen = now;
    d->second.protocol = protocol;
  }
  if ((h.flags & FShared) != 0) {
    return;  // the other router of the pair: expected; the shared recheck watches the host
  }
  if (remoteDup && d->second.newcomer) {
    return;  // yielded already: the first router's copy is expected
  }
  out.push_back(LogAction{
      false,
      fmt::format(
          "event=host_remote_route {} protocol={} action={}",
          logKey(*idx),
          protocol,
          (h.flags & FFrozen) != 0 ? "ignored_frozen"
          : onArrival              ? "verify_when_the_arrival_grace_ends"
                                   : "verify")});
  if ((h.flags & FFrozen) != 0) {
    ++*cFrozenIgnored_;
    return;  // frozen where it is: only aging can remove it
  }
  if (onArrival) {
    // The host arrived here moments ago while another router had it: that copy is the old
    // location its claim replaces, not a second one. Checked when the grace ends.
    return;
  }
  if (verify_.count(*idx) == 0) {
    startVerify(*idx, VerifyKind::Remote, nullptr, now, out);
  }
}

// ---- time ------------------------------------------------------------------------------------

void HostTable::tick(TimePoint now, Actions& out) {
  refill(now);
  recoverStep(now, out);
  // Verifications, duplicate and freeze expiries.
  while (!timers_.empty() && std::get<0>(*timers_.begin()) <= now) {
    auto [at, idx, kind] = *timers_.begin();
    timers_.erase(timers_.begin());
    if (kind == TVerify) {
      verifyStep(idx, now, out);
    } else if (kind == TDuplicate) {
      auto d = dups_.find(idx);
      if (d == dups_.end()) {
        continue;
      }
      if (d->second.remote && d->second.newcomer && (hosts_[idx].flags & FRemote) != 0) {
        // Yielded, and the first router's copy is still selected here: still a duplicate.
        d->second.lastSeen = now;
        addTimer(d->second.lastSeen + cfg_.holdTime, idx, TDuplicate);
      } else if (now - d->second.lastSeen >= cfg_.holdTime) {
        bool remote = d->second.remote;
        dups_.erase(d);
        hosts_[idx].flags &= static_cast<uint8_t>(~FDuplicate);
        gDuplicates_->set(dups_.size());
        note(idx, now, EDupCleared, remote ? 3 : 0);
        out.push_back(LogAction{
            false,
            fmt::format(
                "event=host_duplicate_cleared {} reason={}",
                logKey(idx),
                remote ? "no_other_router_for_the_hold_time" : "newcomer_silent")});
      } else {
        addTimer(d->second.lastSeen + cfg_.holdTime, idx, TDuplicate);
      }
    } else if (kind == TGrace) {
      claimGrace_.erase(idx);
      auto& h = hosts_[idx];
      bool live = h.state == HostState::Active || h.state == HostState::Probing;
      // Only a signal that was deferred (another router's copy there on arrival) is checked
      // now; one from a router that arrived after us was verified when it came.
      bool deferred = (h.flags & FRemote) != 0 && (h.flags & FContested) != 0 &&
                      (h.flags & (FFrozen | FShared)) == 0;
      if (live && deferred && verify_.count(idx) == 0) {
        startVerify(idx, VerifyKind::Remote, nullptr, now, out);
      } else if (live && (h.flags & FRemote) == 0 && (h.flags & FContested) != 0) {
        // The other router's copy that was there on arrival is gone: the old location of a
        // move withdrew. This router is where the host is now, and is the first from here on.
        h.flags &= static_cast<uint8_t>(~FContested);
        note(idx, now, EArrivalSettled);
      }
    } else if (kind == TShared) {
      auto sc = sharedCheck_.find(idx);
      if (sc == sharedCheck_.end() || sc->second != at) {
        continue;
      }
      sharedCheck_.erase(sc);
      auto& h = hosts_[idx];
      bool live = h.state == HostState::Active || h.state == HostState::Probing;
      if (!live || (h.flags & FShared) == 0) {
        continue;
      }
      const auto* iface = ifs_.get(h.ifindex);
      if (verify_.count(idx) != 0 || h.state == HostState::Probing || iface == nullptr ||
          !iface->up) {
        // Being checked already, or its interface is down (then fpm_client withdrew the route
        // and the host waits, as for aging).
        armSharedCheck(idx, now + sharedRecheck());
      } else if (h.lastSeen + sharedRecheck() > now) {
        armSharedCheck(idx, h.lastSeen + sharedRecheck());  // seen since: not quiet yet
      } else {
        ++*cSharedRechecks_;
        startVerify(idx, VerifyKind::Shared, nullptr, now, out);
      }
    } else if (kind == TFreeze) {
      auto f = frozenUntil_.find(idx);
      if (f != frozenUntil_.end() && f->second <= now) {
        unfreeze(idx, "timer", now, out);
      }
    }
  }
  // Quiet hosts start probing.
  auto quietAfter = cfg_.probeStart();
  while (lists_[LActive].head != kNil) {
    uint32_t idx = lists_[LActive].head;
    auto& h = hosts_[idx];
    if (h.lastSeen + quietAfter > now) {
      break;
    }
    listRemove(idx);
    h.state = HostState::Probing;
    h.reason = Reason::Quiet;
    h.probes = 0;
    listPush(LDue, idx);
  }
  // Probes overdue: withdraw after the last one, else probe again.
  while (lists_[LWaiting].head != kNil) {
    uint32_t idx = lists_[LWaiting].head;
    auto& h = hosts_[idx];
    if (h.nextAt > now) {
      break;
    }
    listRemove(idx);
    if (h.probes >= cfg_.probeRetries) {
      out.push_back(LogAction{
          false,
          fmt::format(
              "event=host_aged {} probes={} action=withdraw", logKey(idx), unsigned{h.probes})});
      withdraw(idx, Reason::Aged, now, out);
    } else {
      listPush(LDue, idx);
    }
  }
  // Probes due, within the budget.
  bool deferred = false;
  while (lists_[LDue].head != kNil) {
    if (tokens_ < 1) {
      deferred = true;
      break;
    }
    uint32_t idx = lists_[LDue].head;
    auto& h = hosts_[idx];
    listRemove(idx);
    // An interface that is down cannot be probed: the probe is not counted (the host waits).
    if (sendProbe(idx, ProbeReason::Aging, h.ifindex, now, out)) {
      ++h.probes;
    }
    h.nextAt = now + cfg_.probeInterval;
    listPush(LWaiting, idx);
  }
  if (deferred) {
    ++*cProbeDeferred_;
  }
  // Tombstones expire.
  while (lists_[LTomb].head != kNil && hosts_[lists_[LTomb].head].nextAt <= now) {
    releaseSlot(lists_[LTomb].head);
  }
  // Refused addresses are forgotten after the hold time (counted again if seen again).
  if (refused_.size() > kMaxRefused / 2) {
    for (auto it = refused_.begin(); it != refused_.end();) {
      it = now - it->second.last > cfg_.holdTime ? refused_.erase(it) : std::next(it);
    }
  }
}

std::optional<TimePoint> HostTable::nextDeadline() const {
  std::optional<TimePoint> t;
  auto take = [&](TimePoint x) {
    if (!t || x < *t) {
      t = x;
    }
  };
  if (!timers_.empty()) {
    take(std::get<0>(*timers_.begin()));
  }
  if (lists_[LActive].head != kNil) {
    take(hosts_[lists_[LActive].head].lastSeen + cfg_.probeStart());
  }
  if (lists_[LWaiting].head != kNil) {
    take(hosts_[lists_[LWaiting].head].nextAt);
  }
  if (lists_[LTomb].head != kNil) {
    take(hosts_[lists_[LTomb].head].nextAt);
  }
  // A recovery step that waits for the probe budget wakes up with the budget, not before.
  bool recoverBlocked =
      !recoverQ_.empty() && recoverQ_.begin()->first <= lastRefill_ && tokens_ < 1;
  if (!recoverQ_.empty() && !recoverBlocked) {
    take(recoverQ_.begin()->first);
  }
  if (lists_[LDue].head != kNil || recoverBlocked) {
    double need = 1.0 - tokens_;
    auto wait = need <= 0 ? Duration::zero()
                          : std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                                need / std::max<uint32_t>(1, cfg_.probeRateLimit)));
    take(lastRefill_ + wait);
  }
  return t;
}

std::vector<std::pair<std::string, IpAddress>> HostTable::remoteHosts() const {
  std::vector<std::pair<std::string, IpAddress>> out;
  for (uint32_t i = 0; i < hosts_.size(); ++i) {
    const auto& h = hosts_[i];
    if ((h.state == HostState::Active || h.state == HostState::Probing) &&
        (h.flags & FRemote) != 0) {
      out.emplace_back(vrfName(h.vrf), h.ip);
    }
  }
  return out;
}

std::vector<PublishAction> HostTable::snapshot() const {
  std::vector<PublishAction> out;
  out.reserve(live_);
  for (uint32_t i = 0; i < hosts_.size(); ++i) {
    const auto& h = hosts_[i];
    if (h.state != HostState::Active && h.state != HostState::Probing) {
      continue;
    }
    PublishAction p;
    p.vrf = vrfName(h.vrf);
    p.ip = h.ip;
    p.ifindex = h.ifindex;
    p.ifname = ifs_.name(h.ifindex);
    p.mac = h.mac;
    p.flags = (h.flags & FShared) ? kFlagShared : 0;
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::string> HostTable::clear(
    const std::string& vrf,
    const IpAddress& ip,
    const std::string& what,
    TimePoint now,
    Actions& out) {
  auto v = findVrf(vrf);
  auto idx = v ? find(*v, ip) : std::nullopt;
  if (!idx) {
    return fail(
        "clear.unknown_host", "no host {} in VRF {}", ip.str(), vrf.empty() ? "default" : vrf);
  }
  auto& h = hosts_[*idx];
  if (what == "freeze") {
    if ((h.flags & FFrozen) == 0) {
      return fail("clear.not_frozen", "host {} is not frozen", ip.str());
    }
    unfreeze(*idx, "cli", now, out);
    return fmt::format("host {} released (no longer frozen)", ip.str());
  }
  if (what == "duplicate") {
    auto d = dups_.find(*idx);
    if (d == dups_.end()) {
      return fail("clear.not_duplicate", "host {} is not flagged duplicate", ip.str());
    }
    delTimer(d->second.lastSeen + cfg_.holdTime, *idx, TDuplicate);
    dups_.erase(d);
    h.flags &= static_cast<uint8_t>(~FDuplicate);
    gDuplicates_->set(dups_.size());
    note(*idx, now, EDupCleared, 1);
    return fmt::format("host {}: duplicate flag cleared", ip.str());
  }
  if (what == "shared") {
    bool live = h.state == HostState::Active || h.state == HostState::Probing;
    if (!live || (h.flags & FShared) == 0) {
      return fail("clear.not_shared", "host {} is not flagged shared", ip.str());
    }
    h.flags &= static_cast<uint8_t>(~FShared);
    dropSharedCheck(*idx);
    note(*idx, now, EShared, 3);
    publish(*idx, 0, now, out);
    return fmt::format(
        "host {}: shared flag cleared (held again: another router's copy is a move signal)",
        ip.str());
  }
  if (what == "all" || what.empty()) {
    if (h.state == HostState::Withdrawn) {
      releaseSlot(*idx);
      return fmt::format("host {} forgotten", ip.str());
    }
    withdraw(*idx, Reason::Cleared, now, out);
    return fmt::format(
        "host {} withdrawn and forgotten (learned again when it next speaks)", ip.str());
  }
  return fail("clear.usage", "usage: clear host ADDRESS [freeze|duplicate|shared] [vrf NAME]");
}

// ---- JSON ------------------------------------------------------------------------------------

nlohmann::json HostTable::entryJson(uint32_t idx, TimePoint now) const {
  const auto& h = hosts_[idx];
  nlohmann::json j = {
      {"vrf", vrfName(h.vrf)},
      {"address", h.ip.str()},
      {"family", h.ip.isV4() ? "ipv4" : "ipv6"},
      {"mac", h.mac.str()},
      {"interface", ifs_.name(h.ifindex)},
      {"ifindex", h.ifindex},
      {"port", h.port == 0 ? nlohmann::json(nullptr) : nlohmann::json(ifs_.name(h.port))},
      {"state", stateName(h.state)},
      {"reason", reasonName(h.reason)},
      {"ageSeconds", agoMs(now, h.firstSeen) / 1000},
      {"firstSeenMsAgo", agoMs(now, h.firstSeen)},
      {"lastSeenMsAgo", agoMs(now, h.lastSeen)},
      {"moves", h.moves},
      {"probesUnanswered", h.state == HostState::Probing ? h.probes : 0},
      {"duplicate", (h.flags & FDuplicate) != 0},
      {"frozen", (h.flags & FFrozen) != 0},
      {"foreignSubnet", (h.flags & FForeign) != 0},
      {"remoteRoute", (h.flags & FRemote) != 0},
      {"shared", (h.flags & FShared) != 0},
      {"contested", (h.flags & FContested) != 0},
      {"published", h.state != HostState::Withdrawn && (h.flags & FPublished) != 0},
      {"zebra", routeStateName(h.route)},
      {"installed", h.route == RouteState::Installed},
  };
  return j;
}

nlohmann::json HostTable::timelineJson(uint32_t idx, TimePoint now) const {
  nlohmann::json tl = nlohmann::json::array();
  if (tlLen_ == 0) {
    return tl;
  }
  const auto& h = hosts_[idx];
  const Event* base = timelineOf(idx);
  int64_t nowUs = us(now);
  for (uint8_t i = 0; i < h.tlSize; ++i) {
    const Event& e = base[(h.tlHead + tlLen_ - h.tlSize + i) % tlLen_];
    std::string ev, detail;
    auto src = [&](uint8_t a) {
      return std::string(sourceName(static_cast<Source>(a & kSourceMask)));
    };
    switch (e.kind) {
      case ELearned:
        ev = "learned";
        detail = fmt::format(
            "from {}{}{} on {}",
            src(e.arg),
            (e.arg & kLearnedDump) ? " (start-up dump)" : "",
            (e.arg & kLearnedRecover) ? " (recovered: fpm_client held its route across a restart)"
                                      : "",
            ifs_.name(static_cast<int>(e.aux)));
        break;
      case ESeen:
        ev = "seen";
        detail = fmt::format("{}", src(e.arg));
        break;
      case EPublished:
        ev = (e.arg & kPublishedHeld) ? "intent-held" : "injected";
        detail = fmt::format(
            "{}{}{}{}",
            (e.arg & kPublishedHeld) ? "fpm_client not connected: the route goes with the next sync"
                                     : "route intent to fpm_client",
            (e.arg & kFlagClaim) ? " (claim)" : "",
            (e.arg & kFlagShared) ? " (shared)" : "",
            (e.arg & kPublishedContested)
                ? " (held, not claimed: it lost a conflict here moments ago)"
                : "");
        break;
      case EResynced:
        ev = "injected";
        detail = "route intent to fpm_client with the sync";
        break;
      case EIntentDropped:
        ev = "intent-held";
        detail =
            "the connection to fpm_client dropped before the intent went: the route goes "
            "with the next sync";
        break;
      case ERemoteConflict:
        ev = "duplicate";
        detail = e.arg == 1
                     ? "another router advertises it while the host answers here; this router "
                       "had it first: kept, re-claimed"
                     : "another router advertises it while the host answers here; that router "
                       "had it first: yielded (our route held, not advertised)";
        break;
      case ENeighRestored:
        ev = "neighbor-restored";
        detail = "kernel neighbour entry set back to the verified MAC";
        break;
      case EArrivalSettled:
        ev = "settled";
        detail = "the other router's copy seen on arrival is gone (the old location withdrew)";
        break;
      case EWithdrawn:
        ev = "withdrawn";
        detail = reasonName(static_cast<Reason>(e.arg));
        break;
      case ERoute:
        ev = "zebra";
        detail = routeStateName(static_cast<RouteState>(e.arg));
        break;
      case EProbe:
        ev = "probed";
        detail = e.arg == static_cast<uint8_t>(ProbeReason::Aging)
                     ? fmt::format("aging probe {}", e.aux)
                     : fmt::format(
                           "{} via {}",
                           probeReasonName(static_cast<ProbeReason>(e.arg)),
                           ifs_.name(static_cast<int>(e.aux)));
        break;
      case EAnswered:
        ev = "answered";
        detail = src(e.arg);
        break;
      case EVerifyMove:
        ev = "verify";
        detail = fmt::format(
            "{} from MAC {}: probing the current binding", src(e.arg), macOf(e.count, e.aux).str());
        break;
      case EMoved:
        ev = "moved";
        detail = fmt::format("from {} ({})", ifs_.name(static_cast<int>(e.aux)), src(e.arg));
        break;
      case EMovedMac:
        ev = "moved";
        detail = fmt::format("old MAC {}", macOf(e.count, e.aux).str());
        break;
      case EConflict:
        ev = "duplicate";
        detail = fmt::format(
            "MAC {} claimed it ({}) while the host answers: kept",
            macOf(e.count, e.aux).str(),
            src(e.arg));
        break;
      case EFrozen:
        ev = "frozen";
        detail = fmt::format("{} moves within the window", e.aux);
        break;
      case EUnfrozen:
        ev = "unfrozen";
        detail = e.arg == 1 ? "by hostroutectl clear" : "freeze time over";
        break;
      case ERemote:
        ev = "remote-route";
        detail = e.arg == 1   ? "another router advertises it"
                 : e.arg == 3 ? "another router advertises it (on arrival here)"
                 : e.arg == 2 ? "zebra no longer shows another router's copy (our shared "
                                "route beats it there)"
                              : "no other router advertises it";
        break;
      case EShared:
        ev = "shared";
        detail = e.arg == 1   ? "fpm_client injects it as shared: flag adopted"
                 : e.arg == 2 ? "was shared when it left: shared again"
                 : e.arg == 3 ? "flag cleared by hostroutectl clear"
                 : e.arg == 4 ? "not dual-attached here: held again, not shared"
                              : "answers while another router advertises it: kept";
        break;
      case EDadProbe:
        ev = "address-probe";
        detail = fmt::format("{} from MAC {}", src(e.arg), macOf(e.count, e.aux).str());
        break;
      case EFrozenIgnored:
        ev = "ignored";
        detail = fmt::format("frozen: {} from MAC {}", src(e.arg), macOf(e.count, e.aux).str());
        break;
      case EDupCleared:
        ev = "duplicate-cleared";
        detail = e.arg == 1   ? "by hostroutectl clear"
                 : e.arg == 2 ? "the first router no longer advertises it"
                 : e.arg == 3 ? "no other router's copy for the hold time"
                              : "newcomer silent";
        break;
      case ENeighFailed:
        ev = "kernel-failed";
        detail = "the kernel's neighbour entry failed: probing";
        break;
      default:
        ev = "unknown";
        break;
    }
    nlohmann::json je = {
        {"msAgo", (nowUs - e.atUs) / 1000}, {"atUs", e.atUs}, {"event", ev}, {"detail", detail}};
    bool macEvent = e.kind == EVerifyMove || e.kind == EMovedMac || e.kind == EConflict ||
                    e.kind == EDadProbe || e.kind == EFrozenIgnored;
    if (!macEvent && e.count > 1) {
      je["count"] = e.count;
    }
    tl.push_back(std::move(je));
  }
  return tl;
}

nlohmann::json HostTable::hostsJson(TimePoint now, bool includeWithdrawn) const {
  nlohmann::json hosts = nlohmann::json::array();
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < hosts_.size(); ++i) {
    const auto& h = hosts_[i];
    if (h.state == HostState::Free) {
      continue;
    }
    if (h.state == HostState::Withdrawn && !includeWithdrawn) {
      continue;
    }
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return std::tie(hosts_[a].vrf, hosts_[a].ip) < std::tie(hosts_[b].vrf, hosts_[b].ip);
  });
  size_t installed = 0;
  for (auto i : order) {
    hosts.push_back(entryJson(i, now));
    if (hosts_[i].route == RouteState::Installed && hosts_[i].state != HostState::Withdrawn) {
      ++installed;
    }
  }
  return {
      {"hosts", hosts},
      {"summary",
       {{"hosts", live_},
        {"installed", installed},
        {"probing", lists_[LDue].size + lists_[LWaiting].size},
        {"withdrawnKept", lists_[LTomb].size},
        {"duplicate", dups_.size()},
        {"frozen", frozenUntil_.size()},
        {"verifying", verify_.size()},
        {"refusedKept", refused_.size()}}},
  };
}

Result<nlohmann::json> HostTable::hostJson(
    const std::string& vrf, const IpAddress& ip, TimePoint now) const {
  for (uint16_t v = 0; v < vrfs_.size(); ++v) {
    if (!vrf.empty() && vrfs_[v] != vrf) {
      continue;
    }
    if (auto idx = find(v, ip)) {
      auto j = entryJson(*idx, now);
      j["learned"] = hosts_[*idx].state != HostState::Withdrawn;
      j["timeline"] = timelineJson(*idx, now);
      if (auto d = dups_.find(*idx); d != dups_.end()) {
        const auto& x = d->second;
        if (x.remote) {
          j["duplicateOf"] = {
              {"remote", true},
              {"protocol",
               x.protocol.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.protocol)},
              {"role", x.newcomer ? "newcomer" : "first"},
              {"mac", nullptr},
              {"interface", nullptr},
              {"port", nullptr},
              {"sinceMsAgo", agoMs(now, x.since)},
              {"lastSeenMsAgo", agoMs(now, x.lastSeen)},
              {"count", x.count}};
        } else {
          j["duplicateOf"] = {
              {"remote", false},
              {"mac", x.mac.str()},
              {"interface", ifs_.name(x.ifindex)},
              {"port", x.port == 0 ? nlohmann::json(nullptr) : nlohmann::json(ifs_.name(x.port))},
              {"sinceMsAgo", agoMs(now, x.since)},
              {"lastSeenMsAgo", agoMs(now, x.lastSeen)},
              {"count", x.count}};
        }
      }
      if (const auto* da = dualAttachedOf(hosts_[*idx].ifindex)) {
        j["dualAttached"] = {{"peer", da->peer}, {"memberPort", mayShare(*idx)}};
      }
      if (auto f = frozenUntil_.find(*idx); f != frozenUntil_.end()) {
        j["frozenForSeconds"] =
            f->second == TimePoint::max()
                ? nlohmann::json(nullptr)
                : nlohmann::json(
                      std::chrono::duration_cast<std::chrono::seconds>(f->second - now).count());
      }
      return j;
    }
    if (auto r = refused_.find(Key{v, ip}); r != refused_.end()) {
      const auto& x = r->second;
      return nlohmann::json{
          {"vrf", vrfs_[v]},
          {"address", ip.str()},
          {"learned", false},
          {"refused",
           {{"reason", reasonName(x.reason)},
            {"interface", ifs_.name(x.ifindex)},
            {"mac", x.mac.str()},
            {"source", sourceName(x.source)},
            {"count", x.count},
            {"firstSeenMsAgo", agoMs(now, x.first)},
            {"lastSeenMsAgo", agoMs(now, x.last)}}},
      };
    }
  }
  return fail("hosts.unknown", "{} has not been seen (or was forgotten)", ip.str());
}

}  // namespace hr::learner

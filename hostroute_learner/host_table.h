// HostTable: the learner's pure core (CONVENTIONS §1). It maps (event, now) to actions:
// no fds, no syscalls, no clock reads. Adapters feed it observations (kernel neighbour
// entries, snooped ARP/ND), interface knowledge, zebra's route state and other routers'
// routes, and carry its actions out (probes on the wire, route intents to fpm_client, log
// lines).
//
// Structures
//   hosts: a slab of Host entries (~100 bytes) indexed by (VRF, address), each on exactly
//   one intrusive list:
//     active   ordered by last-seen: the head is the next host to go quiet
//     due      quiet hosts that need a probe now (sent as the probe budget allows)
//     waiting  probes sent, ordered by when the answer is overdue
//     tomb     withdrawn hosts kept a while (timeline, move counting), ordered by expiry
//   side maps for the rare states: verifications (a move or another router's route being
//   checked), duplicates, frozen hosts; a bounded cache of refused addresses (why a host
//   was not learned, counted and logged once); a per-host timeline ring in one pool.
//
// Event flow
//   observe() -> admission (config + interfaces) -> new host: publish (claim) | same
//   binding: alive | other binding: verify the old one (probe), then move or conflict
//   tick() -> verifications due, probes due within the budget, withdrawals, expiries
//   remoteRoute(present) -> verify the local host at once -> withdraw (moved away), or it
//   answers: shared on a dual-attached interface, else a conflict across the fabric, where
//   the router that had the host first keeps it (re-claims) and the newcomer's router
//   yields (its held route loses and is not advertised). Who came first: a host whose
//   route another router already advertised when it arrived here (a remote route reported
//   within its arrival grace) is the newcomer ("contested"); docs/host-routing.md
//   "Duplicates across the fabric"
//   shared hosts (dual-attached, MLAG/VLT, only on interfaces configured dual-attached): a
//   steady route, no remote signal; re-checked by a probe out of their own port whenever
//   quiet for the shared recheck time, withdrawn when it goes unanswered
//   (docs/host-routing.md "Dual-attached hosts")
//   routeStatus() -> "installed in zebra" per host
//
// Probing: ARP (RFC 826) / NS (RFC 4861 §7.3) unicast to the host's MAC from the switch's
// own address on the interface (never a gateway/anycast one); RFC 5227 probe (sender
// 0.0.0.0) when the interface has no address of its own. Moves and freezing follow RFC 7432
// §15's duplicate detection (N moves in M seconds), see docs/host-routing.md.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/net/addr.h"
#include "core/result.h"
#include "hostroute_learner/interfaces.h"
#include "hostroute_learner/learner_config.h"

namespace hr::learner {

// Where an observation came from.
enum class Source : uint8_t {
  Neighbor,       // kernel neighbour table (netlink)
  ArpRequest,     // a request from the host
  ArpReply,       // a reply from the host (to us: a probe answer)
  Garp,           // gratuitous ARP (sender == target)
  ArpProbe,       // RFC 5227 probe for `ip` by `mac` (sender 0.0.0.0): noted, not learned
  Ns,             // neighbour solicitation from the host
  Na,             // solicited neighbour advertisement
  UnsolicitedNa,  // unsolicited advertisement
  DadNs,          // DAD solicitation for `ip` by `mac`: noted, not learned
  Rarp,           // RARP (RFC 903) from `mac`, no address: hypervisors send it after a live
                  // migration; a hint for the hosts with that MAC (verified, never learned)
  Count
};
const char* sourceName(Source s);

struct Observation {
  int ifindex = 0;  // the L3 (learning) interface
  int port = 0;     // the bridge port it arrived on; 0 = unknown
  IpAddress ip;
  MacAddress mac;
  Source source = Source::Neighbor;
  bool extLearned = false;  // NTF_EXT_LEARNED: another control plane owns it
  bool confirms = true;     // evidence of life now (any packet; a REACHABLE neighbour)
  bool fromDump = false;    // part of the start-up dump (not a new arrival: no claim)
};

// Why a host is in its state, or why it was refused / withdrawn.
enum class Reason : uint8_t {
  None,
  // admission
  LearningDisabled,
  UnknownInterface,
  NotLearningInterface,
  SourceDisabled,
  ExternallyLearned,
  Unspecified,
  Multicast,
  Broadcast,
  Loopback,
  LinkLocal,
  BadMac,
  OwnMac,
  OwnAddress,
  GatewayAddress,
  Excluded,
  OutsideSubnet,
  InterfaceCap,
  GlobalCap,
  // states / withdrawals
  Learned,
  Alive,
  Quiet,
  Moved,
  Aged,
  MovedAway,
  Config,
  InterfaceGone,
  Cleared,
  Count
};
const char* reasonName(Reason r);

enum class HostState : uint8_t { Free, Active, Probing, Withdrawn };
const char* stateName(HostState s);

// The route's state in zebra as fpm_client reports it (ipc RouteState values).
enum class RouteState : uint8_t { Unknown, Pending, Installed, Failed, Removed, Shadowed, Waiting };
const char* routeStateName(RouteState s);

enum class ProbeReason : uint8_t {
  Aging,
  VerifyMove,
  VerifyRemote,
  RecheckShared,
  Recover,   // a route fpm_client held from before the learner's restart: is the host here?
  RarpHint,  // a RARP from a withdrawn host's MAC: is it back?
};

// After a host arrives here (a claim), another router's copy of its route is the old
// location being replaced, not a second location: the remote-route signal is only checked
// once this grace has passed (fpm_client's claim window is 2 s by default).
constexpr std::chrono::seconds kClaimGrace{3};

// A conflict across the fabric (a live host here that another router advertises too, on an
// interface that is not dual-attached): the router that had the host first re-claims it to
// keep it. Both can believe they were first when they learned the host within each other's
// propagation delay; then both keep defending in turn. A router that has to defend more than
// kMaxDefenses times, each within kDefendRepeat of the last, yields instead: one of the two
// gets there first, so the pair settles on the other.
constexpr int kMaxDefenses = 3;
constexpr std::chrono::seconds kDefendRepeat{6};

// Host-route flags (ipc HostRouteFlags).
constexpr uint32_t kFlagClaim = 1;
constexpr uint32_t kFlagShared = 2;

struct ProbeAction {
  int sendIfindex = 0;  // the interface to send on (a bridge port to check one binding)
  int ifindex = 0;      // the host's L3 interface
  IpAddress target;
  MacAddress dstMac;
  bool broadcast = false;
  IpAddress src;  // unspecified: RFC 5227 probe / DAD-form NS
  MacAddress srcMac;
  ProbeReason reason = ProbeReason::Aging;
};

struct PublishAction {
  bool add = true;
  std::string vrf;
  IpAddress ip;
  int ifindex = 0;
  std::string ifname;
  MacAddress mac;
  uint32_t flags = 0;
};

struct LogAction {
  bool warn = false;
  std::string text;
};

// Set the kernel's neighbour entry for `ip` on `ifindex` (the host's L3 interface) to `mac`
// (RTM_NEWNEIGH, create or replace): the verified binding of a host whose address a
// conflicting announcement (a spoofed gratuitous ARP or NA) pointed elsewhere.
struct NeighborAction {
  int ifindex = 0;
  IpAddress ip;
  MacAddress mac;
};

// A route fpm_client holds that the learner may not know (its route-status snapshot after a
// learner restart): recover() checks whether the host is still here before the sync ends.
struct HeldRoute {
  std::string vrf;
  IpAddress ip;
  bool shared = false;
};

using Action = std::variant<ProbeAction, PublishAction, LogAction, NeighborAction>;
using Actions = std::vector<Action>;
std::string toString(const Action& a);  // canonical one-line form (golden scenario files)

class HostTable {
 public:
  explicit HostTable(Counters& counters);

  InterfaceDb& interfaces() {
    return ifs_;
  }
  const InterfaceDb& interfaces() const {
    return ifs_;
  }

  // Applies a configuration: re-checks every host and refused address against it.
  void configure(const LearnerConfig& cfg, TimePoint now, Actions& out);
  // Call after interface changes (links, addresses): re-checks the hosts.
  void interfacesChanged(TimePoint now, Actions& out);

  void observe(const Observation& o, TimePoint now, Actions& out);
  // The kernel gave up on a neighbour (NUD_FAILED): probe it now.
  void neighborFailed(int ifindex, const IpAddress& ip, TimePoint now, Actions& out);
  // shared: fpm_client injects the route as shared (a restarted learner adopts the flag when
  // the host's interface is dual-attached, and returns the route to hold otherwise).
  void routeStatus(
      const std::string& vrf,
      const IpAddress& ip,
      RouteState st,
      TimePoint now,
      Actions& out,
      bool shared = false);
  void remoteRoute(
      const std::string& vrf,
      const IpAddress& ip,
      bool present,
      const std::string& protocol,
      TimePoint now,
      Actions& out);
  void tick(TimePoint now, Actions& out);
  std::optional<TimePoint> nextDeadline() const;

  // After a learner restart: the routes fpm_client holds. Those the table has no record of
  // (a host known only from snooping is not in the kernel's neighbour dump) are probed on
  // the interfaces whose subnets admit them (broadcast ARP / multicast NS, twice within
  // verify-time); a host that answers is learned again (not a claim: it was here) and its
  // route re-sent before the sync ends; the others are left to fpm_client's sweep.
  void recover(const std::vector<HeldRoute>& routes, TimePoint now, Actions& out);
  // Routes still being checked by recover().
  size_t recovering() const {
    return recovering_.size();
  }

  // Whether intents reach fpm_client now (the publisher is connected and synced). While not,
  // the timeline says an intent is held for the next sync instead of "injected".
  void setSouthbound(bool connected, TimePoint now);
  // A sync was sent: the hosts whose intents were held are now in fpm_client.
  void syncSent(TimePoint now);
  // An intent the publisher could not send after all (the connection dropped).
  void intentDropped(const std::string& vrf, const IpAddress& ip, TimePoint now);

  // Every published host, for a full resynchronisation (no claim flags).
  std::vector<PublishAction> snapshot() const;
  // Hosts another router is known to advertise (for fpm_client's remote-route snapshots).
  std::vector<std::pair<std::string, IpAddress>> remoteHosts() const;

  // Operator commands. what: "freeze" | "duplicate" | "shared" | "all" (forget the host:
  // withdraw).
  Result<std::string> clear(
      const std::string& vrf,
      const IpAddress& ip,
      const std::string& what,
      TimePoint now,
      Actions& out);

  // JSON for `show hosts` (docs/json.md).
  nlohmann::json hostsJson(TimePoint now, bool includeWithdrawn) const;
  Result<nlohmann::json> hostJson(const std::string& vrf, const IpAddress& ip, TimePoint now) const;

  size_t liveHosts() const {
    return live_;
  }
  size_t slots() const {
    return hosts_.size();
  }
  const LearnerConfig& config() const {
    return cfg_;
  }

 private:
  struct Host {
    IpAddress ip;
    uint16_t vrf = 0;
    MacAddress mac;
    HostState state = HostState::Free;
    Reason reason = Reason::None;
    uint8_t flags = 0;
    RouteState route = RouteState::Unknown;
    uint8_t probes : 7 = 0;  // aging probes sent (at most learning/probing/retries, 10)
    // zebra reported our route installed since the host (re)arrived here: another router's
    // copy reported after that is someone else arriving, not the location this one replaces.
    uint8_t installedHere : 1 = 0;
    uint8_t list = 0;
    uint8_t tlHead = 0;
    uint8_t tlSize = 0;
    uint16_t windowMoves = 0;
    uint32_t moves = 0;
    int32_t ifindex = 0;
    int32_t port = 0;
    TimePoint firstSeen{};
    TimePoint lastSeen{};
    TimePoint nextAt{};
    TimePoint windowStart{};
    uint32_t prev = kNil;
    uint32_t next = kNil;
  };
  static constexpr uint32_t kNil = UINT32_MAX;

  // Storage that grows in chunks of kChunk entries: no doubling slack, stable addresses.
  static constexpr size_t kChunk = 1024;
  template <class T>
  class Chunked {
   public:
    T& operator[](size_t i) {
      return (*chunks_[i / kChunk])[i % kChunk];
    }
    const T& operator[](size_t i) const {
      return (*chunks_[i / kChunk])[i % kChunk];
    }
    size_t size() const {
      return size_;
    }
    void push() {
      if (size_ % kChunk == 0) {
        chunks_.push_back(std::make_unique<std::array<T, kChunk>>());
      }
      (*this)[size_++] = T{};
    }

   private:
    std::vector<std::unique_ptr<std::array<T, kChunk>>> chunks_;
    size_t size_ = 0;
  };

 public:
  static constexpr size_t kHostEntryBytes = sizeof(Host);
  // One timeline event (16 bytes).
  struct Event {
    int64_t atUs = 0;  // steady clock, microseconds
    uint8_t kind = 0;
    uint8_t arg = 0;
    uint16_t count = 0;  // repeats, or the high 16 bits of a MAC
    uint32_t aux = 0;    // ifindex, probe number, or the low 32 bits of a MAC
  };

 private:
  enum HostFlag : uint8_t {
    FDuplicate = 1,
    FFrozen = 2,
    FForeign = 4,
    FRemote = 8,
    FShared = 16,
    FPublished = 32,
    FWasShared = 64,  // withdrawn while shared (a member link failed): comes back shared
    // Another router advertised the host when it arrived here (reported within its arrival
    // grace): this router is the newcomer if the two turn out to be a conflict. Cleared
    // when the grace ends without another router's copy (the old location withdrew: a move).
    FContested = 128,
  };
  enum ListId : uint8_t { LNone, LActive, LDue, LWaiting, LTomb, LCount };
  struct List {
    uint32_t head = kNil;
    uint32_t tail = kNil;
    size_t size = 0;
  };
  struct Key {
    uint16_t vrf;
    IpAddress ip;
    bool operator==(const Key&) const = default;
    bool operator<(const Key& o) const {
      return std::tie(vrf, ip) < std::tie(o.vrf, o.ip);
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return k.ip.hash() * 31 + k.vrf;
    }
  };
  enum class VerifyKind : uint8_t { Move, Remote, Shared };
  struct Verify {
    VerifyKind kind;
    TimePoint started;
    TimePoint next;  // the next step (probe or decision)
    uint8_t probes = 0;
    // The newcomer (Move).
    int ifindex = 0;
    int port = 0;
    MacAddress mac;
    Source source = Source::Neighbor;
  };
  struct Duplicate {
    int ifindex = 0;
    int port = 0;
    MacAddress mac;
    TimePoint since;
    TimePoint lastSeen;
    TimePoint recheckAt;
    uint64_t count = 0;
    // A conflict across the fabric: another router advertises the host (protocol), and this
    // router is the one that had it first (defends) or the newcomer (yields).
    bool remote = false;
    bool newcomer = false;
    std::string protocol;
    uint16_t defenses = 0;
    TimePoint lastDefense{};
  };
  struct Recover {
    std::vector<int> ifindexes;  // the learning interfaces whose subnets admit the address
    uint8_t probes = 0;
    TimePoint first{};
    TimePoint next{};
    bool shared = false;
    bool remote = false;  // fpm_client reports another router's copy selected
  };
  struct Refused {
    Reason reason;
    int ifindex;
    MacAddress mac;
    Source source;
    TimePoint first;
    TimePoint last;
    uint64_t count;
  };
  enum TimerKind : uint8_t { TVerify, TDuplicate, TFreeze, TGrace, TShared };
  using TimerKey = std::tuple<TimePoint, uint32_t, uint8_t>;

  // admission
  Reason admit(
      int ifindex,
      const IpAddress& ip,
      const MacAddress& mac,
      bool extLearned,
      bool* foreign) const;
  void refuse(const Observation& o, Reason r, TimePoint now, Actions& out);
  // lists
  void listPush(uint8_t list, uint32_t idx);
  void listRemove(uint32_t idx);
  // host life
  uint16_t vrfIndex(const std::string& name);
  std::optional<uint16_t> findVrf(const std::string& name) const;
  std::optional<uint32_t> find(uint16_t vrf, const IpAddress& ip) const;
  uint32_t allocate(const Key& k);
  void learn(uint32_t idx, const Observation& o, bool foreign, TimePoint now, Actions& out);
  void alive(uint32_t idx, const Observation& o, TimePoint now, Actions& out);
  void otherBinding(uint32_t idx, const Observation& o, TimePoint now, Actions& out);
  void startVerify(
      uint32_t idx, VerifyKind kind, const Observation* cand, TimePoint now, Actions& out);
  void verifyStep(uint32_t idx, TimePoint now, Actions& out);
  void finishVerify(uint32_t idx, bool answered, TimePoint now, Actions& out);
  // A live host another router also advertises, not dual-attached: defend or yield.
  void remoteConflict(uint32_t idx, TimePoint now, Actions& out);
  Duplicate& flagDuplicate(uint32_t idx, TimePoint now);
  void clearDuplicate(uint32_t idx);
  // May this host be shared (dual-attached interface, and one of its member ports)?
  bool mayShare(uint32_t idx) const;
  const DualAttached* dualAttachedOf(int ifindex) const;
  void restoreNeighbor(uint32_t idx, TimePoint now, Actions& out);
  void rarp(const Observation& o, TimePoint now, Actions& out);
  void recoverStep(TimePoint now, Actions& out);
  // Builds and emits a probe for (ip, mac) from the switch's own address on `l3`; false when
  // it cannot be sent (interface down or unknown).
  bool emitProbe(
      const IpAddress& target,
      const MacAddress* dst,
      int l3,
      int sendIfindex,
      ProbeReason why,
      Actions& out);
  void recordMove(uint32_t idx, bool mayFreeze, TimePoint now, Actions& out);
  // Flags the host shared (dual-attached) and arms its recheck.
  void markShared(uint32_t idx, TimePoint now);
  void armSharedCheck(uint32_t idx, TimePoint at);
  void dropSharedCheck(uint32_t idx);
  Duration sharedRecheck() const;
  void freeze(uint32_t idx, TimePoint now, Actions& out);
  void unfreeze(uint32_t idx, const char* why, TimePoint now, Actions& out);
  void withdraw(uint32_t idx, Reason why, TimePoint now, Actions& out);
  void publish(uint32_t idx, uint32_t flags, TimePoint now, Actions& out, uint8_t noteBits = 0);
  bool sendProbe(uint32_t idx, ProbeReason why, int sendIfindex, TimePoint now, Actions& out);
  void recheckAll(TimePoint now, Actions& out);
  void releaseSlot(uint32_t idx);
  // timers
  void addTimer(TimePoint at, uint32_t idx, TimerKind k);
  void delTimer(TimePoint at, uint32_t idx, TimerKind k);
  void refill(TimePoint now);
  // timeline
  void note(
      uint32_t idx,
      TimePoint now,
      uint8_t kind,
      uint8_t arg = 0,
      uint32_t aux = 0,
      uint16_t count = 1);
  void noteMac(uint32_t idx, TimePoint now, uint8_t kind, uint8_t arg, const MacAddress& mac);
  nlohmann::json timelineJson(uint32_t idx, TimePoint now) const;
  nlohmann::json entryJson(uint32_t idx, TimePoint now) const;
  std::string logKey(uint32_t idx) const;
  std::string vrfName(uint16_t v) const {
    return v < vrfs_.size() ? vrfs_[v] : std::string();
  }

  Counters& counters_;
  Counter* cAdmitted_;
  Counter* cRefusedHosts_;
  Counter* cRefusedEvents_;
  Counter* cWithdrawn_;
  Counter* cProbes_;
  Counter* cProbeAnswers_;
  Counter* cProbeDeferred_;
  Counter* cMoves_;
  Counter* cConflicts_;
  Counter* cFrozen_;
  Counter* cFrozenIgnored_;
  Counter* cRemoteSignals_;
  Counter* cShared_;
  Counter* cSharedRechecks_;
  Counter* cSharedLost_;
  Counter* cRemoteConflicts_;
  Counter* cDefended_;
  Counter* cYielded_;
  Counter* cNeighRestores_;
  Counter* cRecoverProbed_;
  Counter* cRecovered_;
  Counter* cRecoverSwept_;
  Counter* cNotRevived_;
  Counter* cRarp_;
  Counter* cRarpHints_;
  Counter* cRarpThrottled_;
  Counter* cArpProbes_;
  Counter* cDadProbes_;
  Counter* cObservations_;
  Counter* gHosts_;
  Counter* gDuplicates_;
  Counter* gFrozen_;

  LearnerConfig cfg_;
  InterfaceDb ifs_;
  Chunked<Host> hosts_;
  std::vector<uint32_t> free_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  List lists_[LCount];
  std::vector<std::string> vrfs_{""};
  std::unordered_map<int, uint32_t> perIf_;
  size_t live_ = 0;
  std::unordered_map<uint32_t, Verify> verify_;
  std::unordered_map<uint32_t, Duplicate> dups_;
  std::unordered_map<uint32_t, TimePoint> frozenUntil_;
  std::unordered_map<uint32_t, TimePoint> claimGrace_;
  std::unordered_map<uint32_t, TimePoint> sharedCheck_;    // shared hosts: next recheck
  std::unordered_map<uint32_t, std::string> remoteProto_;  // the last remote signal's protocol
  std::unordered_map<Key, Recover, KeyHash> recovering_;
  std::set<std::pair<TimePoint, Key>> recoverQ_;  // (next step, key)
  bool southbound_ = true;
  std::unordered_set<uint32_t> held_;  // hosts whose last intent waits for the next sync
  double rarpTokens_ = 0;
  TimePoint rarpRefill_{};
  std::set<TimerKey> timers_;
  std::unordered_map<Key, Refused, KeyHash> refused_;
  // Timeline pool: one chunk of kChunk x tlLen_ events per chunk of hosts.
  std::vector<std::vector<Event>> timeline_;
  Event* timelineOf(uint32_t idx) {
    return &timeline_[idx / kChunk][(idx % kChunk) * tlLen_];
  }
  const Event* timelineOf(uint32_t idx) const {
    return &timeline_[idx / kChunk][(idx % kChunk) * tlLen_];
  }
  void growTimeline() {
    while (timeline_.size() * kChunk < hosts_.size()) {
      timeline_.emplace_back(kChunk * tlLen_);
    }
  }
  // Admission data per interface, rebuilt when the interfaces or the config change.
  struct IfAdmit {
    const InterfaceConfig* icfg = nullptr;
    std::vector<Prefix> subnets;
    uint16_t vrf = 0;
  };
  const IfAdmit* ifAdmit(int ifindex) const;
  mutable std::unordered_map<int, IfAdmit> admitCache_;
  mutable std::unordered_set<IpAddress> ownAddrs_;
  mutable std::set<MacAddress> ownMacs_;
  mutable uint64_t admitGen_ = UINT64_MAX;
  uint64_t cfgGen_ = 0;
  uint8_t tlLen_ = 0;
  double tokens_ = 0;
  TimePoint lastRefill_{};
  bool configured_ = false;
};

}  // namespace hr::learner

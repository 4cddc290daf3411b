// RouteSync: fpm_client's pure core for host-route injection (CONVENTIONS §1: no fds, no
// syscalls, no clock reads; time is an argument).
//
// Desired state: the learner's host routes (RouteIntents), keyed by (VRF name, address).
// Programmed state: what zebra (or the kernel table) holds from us, as far as we know, and
// zebra's own word on it (ROUTE_NOTIFY_OWNER). The core diffs the two for every dirty entry
// and emits RouteOps; the adapter encodes a whole batch into one write (10k intents become
// one buffer of 10k ROUTE_ADDs, not 10k round trips).
//
//   learner ----intents/SyncBegin/SyncEnd----> RouteSync ----RouteOps----> zapi_session
//                                              |   ^  ^                  / kernel_table
//   learner <---StatusEvents, RemoteEvents-----+   |  +--notify, interface, VRF, redistribution
//                                                  +--tick(now) (claim relax, retries)
//
// Per route: state PENDING (sent, no answer yet), INSTALLED, FAILED (retried with back-off),
// REMOVED (zebra removed it; re-added), SHADOWED (another protocol's copy is selected),
// WAITING (held back: zebra down, VRF or interface unknown, interface down), each with the
// reason. An interface going down withdraws its routes and coming up re-adds them (zebra
// alone leaves a dead route advertised, ZAPI.md §7.1).
//
// Move signal (docs/frr-config.md): a route the learner marks CLAIM is injected with the
// claim distance and tag, and relaxed to hold (high distance, hold tag) after the claim
// window. A copy of an owned host prefix that zebra redistributes from bgp/ospf/ospf6 is the
// signal that the host appeared elsewhere: it becomes a RemoteEvent for the learner.
//
// Dual-attached hosts (MLAG/VLT, docs/host-routing.md): a route the learner marks SHARED (the
// host answers here while another router advertises it too) is injected in the shared mode:
// the claim's distance and tag, kept for good. It never relaxes and never yields to the
// other router's copy, so both routers advertise the host steadily (the fabric load-shares)
// and neither takes the other's copy for a move signal. A resynchronisation that re-sends a
// shared route without the flag (a restarted learner forgot it) keeps it shared; the route's
// status tells the learner so. Any other intent without the flag returns it to hold.
//
// Resynchronisation: SyncBegin marks every route stale, intents clear the mark, SyncEnd
// withdraws what is still stale (mark and sweep). While the learner is away nothing changes.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/net/addr.h"
#include "fpm_client/injection_config.h"

namespace hr::fpm_client {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

enum class RouteState : uint8_t { Pending, Installed, Failed, Removed, Shadowed, Waiting };
std::string_view stateName(RouteState s);

enum class Mode : uint8_t { Plain, Claim, Hold, Shared };
std::string_view modeName(Mode m);

enum class Backend : uint8_t { Zapi, KernelTable };
std::string_view backendName(Backend b);

struct RouteKey {
  std::string vrf;  // "" = the default VRF
  IpAddress address;

  Prefix prefix() const {
    return Prefix::host(address);
  }
  std::string str() const;
  auto operator<=>(const RouteKey&) const = default;
  bool operator==(const RouteKey&) const = default;
};

struct RouteKeyHash {
  size_t operator()(const RouteKey& k) const {
    return std::hash<std::string>()(k.vrf) * 1000003u ^ k.address.hash();
  }
};

// One host route the learner wants.
struct Intent {
  RouteKey key;
  std::string ifname;
  uint32_t ifindex = 0;  // the learner's; zebra's own ifindex for ifname is what is used
  std::optional<MacAddress> mac;
  bool claim = false;
  bool shared = false;  // HOST_ROUTE_SHARED: dual-attached, keep a steady route
};

struct Policy {
  Backend v4Backend = Backend::Zapi;  // kernel-table method: IPv4 only (FRR 8.4 has no
                                      // `ipv6 import-table`); IPv6 always goes through ZAPI
  bool moveSignal = true;
  uint8_t distance = 10;
  uint8_t claimDistance = 10;
  uint32_t claimTag = 1;
  uint8_t holdDistance = 250;
  uint32_t holdTag = 2;
  Duration claimWindow = std::chrono::milliseconds(2000);
  uint32_t metric = 0;
  Duration retryInitial = std::chrono::seconds(1);
  Duration retryMax = std::chrono::seconds(30);
};
Policy policyFrom(const InjectionConfig& c);

struct RouteOp {
  enum class Kind : uint8_t { Add, Delete };
  Kind kind = Kind::Add;
  Backend backend = Backend::Zapi;
  RouteKey key;
  uint32_t vrfId = 0;
  uint32_t ifindex = 0;
  uint8_t distance = 0;
  uint32_t tag = 0;
  uint32_t metric = 0;
};

struct StatusEvent {
  RouteKey key;
  RouteState state = RouteState::Pending;
  std::string detail;
  bool shared = false;  // injected in the shared mode
};

struct RemoteEvent {
  RouteKey key;
  std::string protocol;
  bool present = false;
};

// A route as `hostroutectl show routes` shows it.
struct RouteView {
  RouteKey key;
  std::string ifname;
  uint32_t ifindex = 0;  // zebra's, 0 when unknown
  std::optional<MacAddress> mac;
  RouteState state = RouteState::Waiting;
  std::string detail;
  Mode mode = Mode::Plain;
  Backend backend = Backend::Zapi;
  uint8_t distance = 0;
  uint32_t tag = 0;
  bool programmed = false;
  bool stale = false;
  uint32_t failures = 0;
  TimePoint lastChange{};
  std::optional<TimePoint> claimUntil;
  std::optional<std::string> remoteProtocol;
};

struct SyncStats {
  uint64_t intentsAdded = 0;
  uint64_t intentsWithdrawn = 0;
  uint64_t swept = 0;
  uint64_t syncs = 0;
  uint64_t opsAdd = 0;
  uint64_t opsDelete = 0;
  uint64_t notifyInstalled = 0;
  uint64_t notifyFailInstall = 0;
  uint64_t notifyBetterAdminWon = 0;
  uint64_t notifyRemoved = 0;
  uint64_t notifyRemoveFail = 0;
  uint64_t notifyUnknownRoute = 0;
  uint64_t retries = 0;
  uint64_t claims = 0;
  uint64_t relaxed = 0;
  uint64_t shared = 0;            // routes that entered the shared mode
  uint64_t sharedKeptOnSync = 0;  // shared routes a resync re-sent without the flag: kept
  uint64_t interfaceWithdrawals = 0;
  uint64_t remoteSignals = 0;
  uint64_t replays = 0;
  uint64_t orphansDeleted = 0;
};

class RouteSync {
 public:
  explicit RouteSync(Policy p = {});

  // Reload: a changed distance, tag or backend re-programs every route.
  void setPolicy(const Policy& p);
  const Policy& policy() const {
    return policy_;
  }

  // ---- the learner ----
  void apply(const std::vector<Intent>& add, const std::vector<RouteKey>& withdraw, TimePoint now);
  void syncBegin(uint64_t generation);
  // Withdraws the routes not re-sent since SyncBegin; returns how many. A SyncEnd without a
  // matching SyncBegin sweeps nothing.
  size_t syncEnd(uint64_t generation, TimePoint now);
  bool syncing() const {
    return syncing_;
  }
  // True once the learner completed a full sync with this process (GR COMPLETE may go).
  bool haveFullTable() const {
    return haveFullTable_;
  }

  // ---- zebra ----
  // A new session starts: forget zebra's interfaces, VRFs and redistributed routes (the
  // session's dumps re-announce them).
  void sessionReset();
  // The session is ready (interfaces and VRFs dumped): every route is re-sent.
  void zebraUp(TimePoint now);
  // The session dropped: ZAPI routes are WAITING; kernel-table routes stay in the kernel.
  void zebraDown(TimePoint now, const std::string& why);
  bool zebraIsUp() const {
    return zebraUp_;
  }
  void vrfAdded(const std::string& name, uint32_t vrfId);
  void vrfDeleted(uint32_t vrfId, TimePoint now);
  void interfaceState(
      uint32_t vrfId, const std::string& name, uint32_t ifindex, bool operative, TimePoint now);
  void interfaceDeleted(uint32_t vrfId, const std::string& name, TimePoint now);
  // ROUTE_NOTIFY_OWNER for one of our routes.
  void notify(uint32_t vrfId, const Prefix& prefix, uint32_t note, TimePoint now);
  // REDISTRIBUTE_ROUTE_ADD/DEL of another protocol (only host prefixes matter).
  void redistributed(
      uint32_t vrfId,
      const Prefix& prefix,
      const std::string& protocol,
      uint8_t distance,
      bool add,
      TimePoint now);

  // REDISTRIBUTE_ROUTE_ADD/DEL of our own route type (table/0): what zebra holds from us,
  // including what a previous run left (graceful restart).
  void ownRouteSeen(uint32_t vrfId, const Prefix& prefix, bool add);
  // Deletes the host routes zebra holds from us that the learner did not re-send (after its
  // full sync); returns how many. The record of zebra's routes is then dropped.
  size_t sweepOrphans(TimePoint now);
  size_t ownRoutesSeen() const {
    return own_.size();
  }

  // ---- the kernel-table backend ----
  void kernelDone(const RouteKey& key, bool add, TimePoint now);
  void kernelFailed(const RouteKey& key, bool add, const std::string& detail, TimePoint now);

  // ---- time ----
  void tick(TimePoint now);
  std::optional<TimePoint> nextDeadline() const;

  // ---- outputs (drained by the adapter after each batch of events) ----
  std::vector<RouteOp> takeOps(TimePoint now);
  std::vector<StatusEvent> takeStatus();
  std::vector<RemoteEvent> takeRemote();
  bool hasWork() const {
    return !dirty_.empty() || !deletes_.empty();
  }

  // ---- views ----
  size_t size() const {
    return entries_.size();
  }
  std::vector<RouteView> routes() const;
  std::optional<RouteView> route(const RouteKey& key) const;
  std::vector<StatusEvent> statusSnapshot() const;
  // Owned host routes whose best copy in zebra comes from another protocol.
  std::vector<RemoteEvent> remoteSnapshot() const;
  size_t remoteRoutes() const {
    return remote_.size();
  }
  size_t interfaces() const {
    return ifaces_.size();
  }
  const std::map<uint32_t, std::string>& vrfs() const {
    return vrfNames_;
  }
  std::map<RouteState, size_t> stateCounts() const;
  // Routes sent and not answered yet (PENDING). O(1), like stateCounts().
  size_t pendingAnswers() const;
  const SyncStats& stats() const {
    return stats_;
  }
  // The VRF name for a zebra VRF id ("" = default), nullopt when unknown.
  std::optional<std::string> vrfName(uint32_t vrfId) const;
  std::optional<uint32_t> vrfId(const std::string& name) const;

 private:
  struct Programmed {
    Backend backend = Backend::Zapi;
    uint32_t vrfId = 0;
    uint32_t ifindex = 0;
    uint8_t distance = 0;
    uint32_t tag = 0;
    uint32_t metric = 0;
    bool operator==(const Programmed&) const = default;
  };
  struct Entry {
    Intent intent;
    bool stale = false;
    Mode mode = Mode::Plain;
    TimePoint claimUntil{};
    RouteState state = RouteState::Waiting;
    std::string detail = "new";
    TimePoint lastChange{};
    std::optional<Programmed> programmed;
    uint32_t failures = 0;
    TimePoint retryAt{};
    bool reported = false;
    bool dirty = false;
  };
  struct IfInfo {
    uint32_t ifindex = 0;
    bool operative = false;
  };
  // Every redistributed host route of the fabric is remembered (a host may be learned here
  // later): the protocol name points into protocols_, one copy per name.
  struct Remote {
    const std::string* protocol = nullptr;
    uint8_t distance = 0;
  };
  using VrfAddr = std::pair<uint32_t, IpAddress>;

  Backend backendFor(const RouteKey& k) const;
  Mode settledMode(const Intent& in) const;
  std::pair<uint8_t, uint32_t> distanceTag(Mode m) const;
  void setState(const RouteKey& k, Entry& e, RouteState s, std::string detail, TimePoint now);
  void markDirty(const RouteKey& k) {
    if (auto it = entries_.find(k); it != entries_.end()) {
      markDirty(k, it->second);
    }
  }
  void markDirty(const RouteKey& k, Entry& e) {
    if (!e.dirty) {
      e.dirty = true;
      dirty_.push_back(k);
    }
  }
  void rebuildTexts();
  void addDeadline(TimePoint t, const RouteKey& k) {
    deadlines_.insert({t, k});
  }
  void scheduleRetry(const RouteKey& k, Entry& e, TimePoint now);
  void withdraw(const RouteKey& k, const std::string& why, TimePoint now);
  void evaluate(const RouteKey& k, Entry& e, TimePoint now, std::vector<RouteOp>& ops);
  const Remote* remoteFor(const RouteKey& k) const;
  void emitRemote(const RouteKey& k, const std::string& protocol, bool present);
  void markInterface(uint32_t vrfId, const std::string& name);

  Policy policy_;
  std::unordered_map<RouteKey, Entry, RouteKeyHash> entries_;
  std::vector<RouteKey> dirty_;  // entries to evaluate (Entry::dirty dedupes)
  std::unordered_map<RouteKey, RouteOp, RouteKeyHash> deletes_;  // withdrawn, to be deleted
  std::set<std::pair<TimePoint, RouteKey>> deadlines_;
  std::map<std::pair<uint32_t, std::string>, IfInfo> ifaces_;
  std::map<uint32_t, std::string> vrfNames_;  // zebra VRF id -> name ("" = default)
  const std::string* internProtocol(const std::string& name);
  std::set<std::string, std::less<>> protocols_;
  std::map<VrfAddr, Remote> remote_;
  std::map<VrfAddr, Remote> remoteBefore_;  // during a session's dumps
  std::set<VrfAddr> own_;                   // our routes as zebra redistributes them
  bool dumping_ = false;
  std::unordered_map<RouteKey, StatusEvent, RouteKeyHash> statusOut_;
  // The reasons of PENDING/INSTALLED per mode, built once per policy (100k routes share them).
  std::array<std::string, 4> pendingText_;
  std::array<std::string, 4> installedText_;
  std::vector<RemoteEvent> remoteOut_;
  bool zebraUp_ = false;
  bool syncing_ = false;
  bool haveFullTable_ = false;
  uint64_t generation_ = 0;
  std::string downReason_ = "zebra not connected yet";
  SyncStats stats_;
  std::array<size_t, 6> counts_{};  // entries per RouteState
};

}  // namespace hr::fpm_client

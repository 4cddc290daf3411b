// LinuxDataplane: programs routes and next-hop objects by netlink into the kernel of a
// target network namespace (adapter). On a switchdev switch that namespace holds the ASIC's
// ports and the driver (mlxsw, prestera, ...) offloads what the kernel holds; here it is a
// namespace with veth copies of the ToR's ports, and nothing is offloaded.
//
// Writes are batched: one sendmsg carries up to batch-size messages (next-hop objects
// first, then the routes that use them), only the last asks for an ACK; the kernel answers
// errors for any message, so each op gets its own result. rtnetlink handles a sendmsg
// synchronously, so the answers are read right after it; results are handed to the core on
// the next loop round (never re-entrantly).
//
// Next-hop objects are the backend's own (nhmsg protocol kNhProtocol): one per distinct
// (gateway, port) and one group per distinct path set, reference-counted and deleted once
// unused. zebra's next-hop ids are never reused (they mean nothing after a zebra restart).
// Routes carry zebra's protocol and the configured metric; the routes of the target's
// tables with that metric are ours: adopted after a restart, reconciled by the core.
//
// The kernel's view is re-read (resync) at start, when a port of the target changes (the
// kernel flushes next hops and routes of a port that goes down, without notifying IPv4
// route removals), when one of our next-hop objects disappears, and when notifications or
// acks were lost. Route notifications carry RTM_F_OFFLOAD / RTM_F_TRAP /
// RTM_F_OFFLOAD_FAILED as the driver sets them (net.ipv4|6.fib_notify_on_flag_change=1 is
// set in the target so flag changes are notified); they are passed to the core. The echo of
// our own write is read right after the batch's acks, so it reaches the core BEFORE the
// write's (deferred) result: a driver that sets the flags while the route is inserted sends
// nothing later, so the core keeps flags that arrive while an op is in flight.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/codec/netlink.h"
#include "core/codec/netlink_route.h"
#include "core/event_loop.h"
#include "core/netlink/socket.h"
#include "fpm_client/dataplane.h"
#include "fpm_client/dataplane_config.h"
#include "fpm_client/fib_kernel.h"
#include "fpm_client/fpm_links.h"

namespace hr::fpm_client {

// A route notification of the target namespace as the backend reads it (pure, so unit tests
// feed it canned kernel messages): the route's key in zebra's terms and its hardware flags.
struct RouteNotification {
  FibKey key;
  bool isNew = true;  // RTM_NEWROUTE (its flags are the route's current flags)
  uint32_t rtmFlags =
      0;             // RTM_F_OFFLOAD | RTM_F_TRAP | RTM_F_OFFLOAD_FAILED as the kernel has them
  uint32_t pid = 0;  // nlmsg_pid: the port that caused it (ours for our own writes)
};
// nullopt: not a route of ours (another metric, the local table, not a route message, or
// not IPv4/IPv6).
std::optional<RouteNotification> readRouteNotification(
    const codec::nl::Message& m, const DataplaneConfig& cfg);

// The netlink request that programs (or removes) one route in the target: zebra's table
// mapped by backend/table and table-map (ids of 256 and above in RTA_TABLE), the configured
// metric, zebra's protocol, the next-hop object `nhId` (0: none, e.g. a blackhole).
codec::nl::RouteMsg routeRequest(const DpOp& op, uint32_t nhId, const DataplaneConfig& cfg);

class LinuxDataplane : public Dataplane {
  struct Token {
    explicit Token() = default;
  };

 public:
  static constexpr uint8_t kNhProtocol = 0xfe;  // marks our next-hop objects

  LinuxDataplane(Token, EventLoop& loop, DataplaneConfig cfg);
  static Result<std::unique_ptr<LinuxDataplane>> create(
      EventLoop& loop, const DataplaneConfig& cfg);
  ~LinuxDataplane() override;

  const char* name() const override {
    return "linux";
  }
  void setCallbacks(Callbacks cb) override {
    cb_ = std::move(cb);
  }
  Status start() override;
  void submit(std::vector<DpOp> ops) override;
  size_t inFlight() const override {
    return undelivered_;
  }
  nlohmann::json status() const override;

  // Re-reads the target's routes and next hops soon (debounced).
  void scheduleResync(const char* why);

 private:
  struct NhKey {
    uint8_t family = 0;
    std::optional<IpAddress> gateway;
    uint32_t ifindex = 0;
    bool onlink = false;
    auto operator<=>(const NhKey&) const = default;
  };
  using GroupKey = std::vector<std::pair<uint32_t, uint32_t>>;  // (member id, weight), sorted
  struct NhObj {
    uint32_t id = 0;
    bool group = false;
    NhKey single;
    GroupKey members;
    uint32_t refs = 0;  // routes using it + groups containing it
  };
  enum class PendKind : uint8_t { RouteUpsert, RouteDelete, NhCreate, NhDelete };
  struct Pending {
    PendKind kind;
    FibKey key;
    uint32_t nhId = 0;  // upsert: the new next hop; nh ops: the object
    int error = 0;
    std::string message;
  };

  Status openSockets();
  Status doResync(const char* why);
  void onMonitorReadable();
  void flushResults();
  void countNeighbours();

  // Encoding helpers; each returns the seq of the appended message.
  uint32_t appendNexthopCreate(std::vector<uint8_t>& buf, const NhObj& o);
  uint32_t appendNexthopDelete(std::vector<uint8_t>& buf, uint32_t id);
  uint32_t appendRoute(std::vector<uint8_t>& buf, const DpOp& op, uint32_t nhId);
  Result<uint32_t> acquireSingle(const Path& p, Family routeFamily, std::vector<uint8_t>& buf);
  Result<uint32_t> acquirePaths(
      const RouteSpec& spec, Family routeFamily, std::vector<uint8_t>& buf);
  void ref(uint32_t id);
  void unref(uint32_t id);
  uint32_t allocId();
  // Sends one batch, reads the kernel's answers, applies them to the backend's state and
  // queues the core's results.
  void sendBatch(std::vector<uint8_t>& buf);
  void collectGarbage();
  void applyPending(Pending& p);
  std::optional<uint32_t> portIndex(const std::string& zebraName, std::string& why) const;
  std::string zebraName(uint32_t targetIfindex) const;

  EventLoop& loop_;
  DataplaneConfig cfg_;
  Callbacks cb_;
  std::optional<NetlinkSocket> req_;
  std::optional<NetlinkSocket> mon_;
  std::unique_ptr<LinkWatcher> links_;
  std::set<uint32_t> targetTables_;

  std::unordered_map<uint32_t, NhObj> objs_;
  std::map<NhKey, uint32_t> singles_;
  std::map<GroupKey, uint32_t> groups_;
  std::set<uint32_t> foreignIds_;  // next-hop ids of others in the target
  uint32_t nextId_ = 1;
  std::unordered_map<FibKey, uint32_t> routeNh_;   // installed routes -> next hop (0: none)
  std::unordered_map<uint32_t, Pending> pending_;  // seq -> op of the batch being answered

  std::vector<DpResult> results_;
  size_t undelivered_ = 0;
  bool flushScheduled_ = false;
  Timer resyncTimer_;
  Timer neighTimer_;
  std::string resyncWhy_;

  struct Stats {
    uint64_t batches = 0;
    uint64_t messages = 0;
    uint64_t routeOk = 0;
    uint64_t routeErrors = 0;
    uint64_t nhCreated = 0;
    uint64_t nhDeleted = 0;
    uint64_t nhErrors = 0;
    uint64_t noPort = 0;
    uint64_t lostAcks = 0;
    uint64_t resyncs = 0;
    uint64_t monitorOverruns = 0;
    uint64_t notifications = 0;
    uint64_t externalChanges = 0;
    double lastResyncSeconds = 0;
  } stats_;
  bool flagNotify_ = false;
  uint64_t neighbours_ = 0;
};

}  // namespace hr::fpm_client

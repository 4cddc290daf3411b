// FibMirror: zebra's FIB as zebra sent it over FPM (pure core: no fds, no clock).
//
// Holds zebra's routes (one per table and prefix) and its next-hop objects (NHG mode), in
// zebra's own terms: next-hop ids and zebra's ifindexes. resolve() turns a route into the
// RouteSpec the data path programs (interface names, interned path sets), or a hold
// reason when it cannot be resolved yet.
//
// zebra 8.4.4 behaviours handled here (FPM.md):
//  - an update of an installed route is RTM_DELROUTE + RTM_NEWROUTE in ONE frame: the pair
//    is coalesced into a replace, so the data path never sees the transient withdrawal;
//  - in a replay, a group can arrive before its members: the group, and every route that
//    uses it, is held until all its member ids are known (and re-resolved then);
//  - RTM_NEWNEXTHOP for an existing id is a replace; unchanged content is no change;
//  - a route or next hop re-sent with unchanged content changes nothing but its generation
//    (a replay costs the data path nothing);
//  - mark and sweep: beginSession() starts a generation; sweep() removes what the session
//    did not re-send, in the tables zebra replays (non-default tables are never replayed:
//    reconcileTable() takes them from the ToR's kernel instead).
//
// Every route whose resolution may have changed is reported in takeDirty().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/codec/netlink_route.h"
#include "core/result.h"
#include "fpm_client/fib_types.h"

namespace hr::fpm_client {

using FpmMessage = std::variant<codec::nl::RouteMsg, codec::nl::NexthopMsg>;

// Decodes the netlink messages of one FPM frame payload. Messages that are well formed but
// not for us (AF_MPLS label routes, other message types) are skipped and counted in
// `ignored`; anything malformed is an error (the caller resets the session).
Result<std::vector<FpmMessage>> decodeFpmPayload(
    std::span<const uint8_t> payload, uint64_t& ignored);

// One inline path as zebra sent it (RTA_GATEWAY/RTA_OIF or an RTA_MULTIPATH entry).
struct ZPath {
  std::optional<IpAddress> gateway;
  uint32_t ifindex = 0;
  uint32_t weight = 1;
  bool onlink = false;
  bool operator==(const ZPath&) const = default;
};

struct ZRoute {
  RouteKind kind = RouteKind::Unicast;
  uint8_t protocol = 0;
  uint32_t nhId = 0;         // NHG mode; 0 = inline paths
  std::vector<ZPath> paths;  // inline mode
  std::optional<IpAddress> prefsrc;
  bool unsupported = false;  // encapsulation (MPLS labels, ...)
  bool fromKernel = false;   // taken from the ToR's kernel (a table zebra never replays)
  uint64_t generation = 0;

  bool sameContent(const ZRoute& o) const {
    return kind == o.kind && protocol == o.protocol && nhId == o.nhId && paths == o.paths &&
           prefsrc == o.prefsrc && unsupported == o.unsupported;
  }
};

struct ZNexthop {
  uint32_t id = 0;
  uint8_t family = 0;
  std::optional<IpAddress> gateway;
  uint32_t ifindex = 0;
  bool onlink = false;
  bool blackhole = false;
  bool unsupported = false;
  std::vector<codec::nl::NexthopGroupEntry> group;
  uint64_t generation = 0;

  bool sameContent(const ZNexthop& o) const {
    return family == o.family && gateway == o.gateway && ifindex == o.ifindex &&
           onlink == o.onlink && blackhole == o.blackhole && group == o.group &&
           unsupported == o.unsupported;
  }
};

enum class Hold : uint8_t {
  None,
  NexthopMissing,    // RTA_NH_ID names a next hop zebra has not sent (yet)
  GroupIncomplete,   // a group whose members have not all arrived (replay ordering)
  UnknownInterface,  // an ifindex with no link in zebra's namespace
  Unsupported,       // encapsulation, nested group, ...
};
const char* holdName(Hold h);

struct Resolution {
  Hold hold = Hold::None;
  std::string detail;  // why it is held
  std::optional<RouteSpec> spec;
};

class FibMirror {
 public:
  struct Stats {
    uint64_t routeAdds = 0;       // new routes
    uint64_t routeChanges = 0;    // replaced with different content
    uint64_t routeRefreshes = 0;  // re-sent unchanged (replays)
    uint64_t routeDeletes = 0;
    uint64_t deleteUnknown = 0;  // RTM_DELROUTE for a route we do not have
    uint64_t replacePairs = 0;   // DEL+NEW pairs coalesced into a replace
    uint64_t nexthopAdds = 0;
    uint64_t nexthopChanges = 0;
    uint64_t nexthopRefreshes = 0;
    uint64_t nexthopDeletes = 0;
    uint64_t nexthopDeleteUnknown = 0;
    uint64_t ignored = 0;  // route types / address layouts we do not program
    uint64_t swept = 0;    // routes removed by mark and sweep
    uint64_t kernelReconciled = 0;
  };

  // Applies one frame (decoded). Pure state change; dirty keys accumulate.
  void applyFrame(std::span<const FpmMessage> msgs);
  void applyRoute(const codec::nl::RouteMsg& m);
  void applyNexthop(const codec::nl::NexthopMsg& m);

  // Mark and sweep.
  uint64_t beginSession() {
    return ++generation_;
  }
  uint64_t generation() const {
    return generation_;
  }
  // Removes the routes of the tables `replayed` accepts that the current session has not
  // (re-)sent, and next hops no longer sent nor used. Returns the keys removed.
  std::vector<FibKey> sweep(const std::function<bool(uint32_t table)>& replayed);
  // Makes `table` (one zebra never replays) equal to `routes` (from the ToR's kernel),
  // except for routes the current session already sent live, which are newer.
  void reconcileTable(uint32_t table, const std::vector<std::pair<Prefix, ZRoute>>& routes);

  Resolution resolve(const FibKey& key, const IfNames& names, PathInterner& interner) const;

  // Keys whose resolution may have changed since the last call.
  std::vector<FibKey> takeDirty();
  // Marks every route dirty (links renamed) or only held ones (a link appeared).
  void markAllDirty();
  void markHeldDirty();
  // Records that a route could not be resolved (so a later next hop or link retries it).
  void setHeld(const FibKey& key, bool held);

  const ZRoute* find(const FibKey& key) const;
  const ZNexthop* nexthop(uint32_t id) const;
  size_t routeCount() const {
    return routes_.size();
  }
  size_t nexthopCount() const {
    return nexthops_.size();
  }
  size_t heldCount() const {
    return held_.size();
  }
  const Stats& stats() const {
    return stats_;
  }
  const std::unordered_map<FibKey, ZRoute>& routes() const {
    return routes_;
  }
  // Routes of the current session (confirmed since beginSession()).
  size_t confirmedCount() const;

 private:
  void markUsersDirty(uint32_t nhId);
  void dirty(const FibKey& k) {
    dirty_.insert(k);
  }

  uint64_t generation_ = 0;
  std::unordered_map<FibKey, ZRoute> routes_;
  std::unordered_map<uint32_t, ZNexthop> nexthops_;
  std::unordered_set<FibKey> held_;
  std::unordered_set<FibKey> dirty_;
  Stats stats_;
};

}  // namespace hr::fpm_client

// Switch profiles and admission against their capacities (pure core).
//
// A SwitchProfile describes a switch model's forwarding tables (docs/switch-profiles.md):
// host routes (/32, /128), LPM routes (the rest), ECMP groups and their members, and
// neighbours. Admission decides, for every route zebra wants programmed, whether the
// model has room for it, and keeps the use of each table.
//
// Policy when a table is full: SHORTER PREFIXES FIRST. Within the host and the LPM table
// each route has a rank: (prefix length relative to the family's, protocol class: connected/kernel
// < static < IGP < BGP < other, table, address); the best `capacity` ranks are admitted, the rest
// are refused and reported. So
//  - a covering route (the default, an aggregate) is never refused for a more specific
//    one: when the hardware runs out, traffic for a refused /32 still follows its covering
//    route instead of being dropped or punted;
//  - the admitted set depends only on the routes, not on the order they arrived in, so a
//    replay after a reconnect or a restart programs the same set and nothing flaps;
//  - a better-ranked newcomer evicts the worst admitted route, which is then reported as
//    refused; when a route goes, the best refused one is admitted.
// ECMP groups are counted per distinct path set of the admitted routes; a route whose new
// group does not fit (groups or members) is refused for that reason and retried, in rank
// order, when a group is freed. A route with more paths than the model's group size
// (ecmp-max-paths) is refused outright: the driver could not offload it.
// A route of an address family the driver does not offload (prestera: IPv6) is admitted
// without using any table: it is programmed into the kernel and forwarded in software.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "fpm_client/fib_types.h"

namespace hr::fpm_client {

enum class Resource : uint8_t { HostRoutes, LpmRoutes, EcmpGroups, EcmpMembers, Neighbours };
constexpr size_t kResourceCount = 5;
const char* resourceName(Resource r);  // "host-routes", ...

struct SwitchProfile {
  std::string name = "software";
  std::string description;
  std::string driver = "veth";
  bool offload = false;
  std::array<std::optional<uint32_t>, kResourceCount> capacity{};  // nullopt: no limit
  std::optional<uint16_t> ecmpMaxPaths;  // paths per group at most (nullopt: no limit)
  uint8_t warnPercent = 80;
  // Address families whose routes the driver offloads (leaf-list address-family). Routes of
  // another family are still programmed into the target's kernel, use none of the tables
  // above, are never refused for capacity, and are reported `software` with the reason.
  bool offloadIpv4 = true;
  bool offloadIpv6 = true;

  std::optional<uint32_t> cap(Resource r) const {
    return capacity[static_cast<size_t>(r)];
  }
  bool offloads(Family f) const {
    return f == Family::V4 ? offloadIpv4 : offloadIpv6;
  }
  bool operator==(const SwitchProfile&) const = default;
};

enum class Refusal : uint8_t { None, HostRoutes, LpmRoutes, EcmpGroups, EcmpMembers, EcmpPaths };
const char* refusalName(Refusal r);

// A threshold crossing, for the log: up = reached warnPercent, !up = back below it.
struct UsageEvent {
  Resource resource;
  bool up;
  uint64_t used;
  uint32_t capacity;
};

class Admission {
 public:
  explicit Admission(SwitchProfile profile = {});

  // The route's candidate changed (nullopt: zebra no longer has it, or it cannot be
  // resolved). Appends to `changed` every key whose admitted spec changed: this one, and any
  // route evicted or promoted because of it.
  void update(
      const FibKey& key, const std::optional<RouteSpec>& candidate, std::vector<FibKey>& changed);
  // Re-evaluates every route under a new profile.
  void setProfile(SwitchProfile profile, std::vector<FibKey>& changed);
  // The spec to program, or nullptr (refused, or no candidate).
  const RouteSpec* admitted(const FibKey& key) const;
  Refusal refusal(const FibKey& key) const;
  // Admitted, but of an address family the driver does not offload (software forwarding).
  bool softwareOnly(const FibKey& key) const;
  uint64_t softwareOnlyCount() const {
    return softwareOnly_;
  }
  // Neighbours are resolved by the data path's kernel; it reports their number.
  void setNeighbours(uint64_t n);

  const SwitchProfile& profile() const {
    return profile_;
  }
  uint64_t used(Resource r) const {
    return used_[static_cast<size_t>(r)];
  }
  uint64_t refusedCount() const {
    return refusedCount_;
  }
  uint64_t refusedTotal() const {  // refusals ever (a counter)
    return refusedTotal_;
  }
  std::vector<UsageEvent> takeEvents();
  // Refused routes, best rank first (for `show dataplane`).
  std::vector<FibKey> refusedKeys(size_t limit) const;

 private:
  // Rank within a pool: lower is better (admitted first).
  using Rank = std::tuple<uint8_t, uint8_t, uint32_t, IpAddress>;
  // Software: programmed, in no table of the profile (its family is not offloaded).
  enum class Slot : uint8_t { Absent, Admitted, Refused, EcmpWait, Software };
  struct Entry {
    RouteSpec spec;
    Slot slot = Slot::Absent;
    Refusal refusal = Refusal::None;
  };
  struct Pool {
    Resource resource;
    std::optional<uint32_t> cap;
    uint64_t admitted = 0;
    std::set<std::pair<Rank, FibKey>> admittedRanked;  // only when capped
    std::set<std::pair<Rank, FibKey>> refused;
  };

  static Rank rankOf(const FibKey& k, const RouteSpec& s);
  static bool programmable(Slot s) {
    return s == Slot::Admitted || s == Slot::Software;
  }
  Pool& poolOf(const FibKey& k) {
    return k.isHost() ? host_ : lpm_;
  }
  void place(const FibKey& k, Entry& e, std::vector<FibKey>& changed);
  void unplace(const FibKey& k, Entry& e);
  void refill(Pool& p, std::vector<FibKey>& changed);
  void retryEcmp(std::vector<FibKey>& changed);
  bool takeGroup(const PathSetRef& paths);  // false: no room
  void releaseGroup(const PathSetRef& paths);
  void checkThresholds();

  SwitchProfile profile_;
  std::unordered_map<FibKey, Entry> entries_;
  Pool host_{Resource::HostRoutes, std::nullopt};
  Pool lpm_{Resource::LpmRoutes, std::nullopt};
  std::unordered_map<PathSetRef, uint32_t> groups_;  // interned ECMP path sets -> users
  std::set<std::pair<Rank, FibKey>> ecmpWait_;
  std::array<uint64_t, kResourceCount> used_{};
  std::array<bool, kResourceCount> warned_{};
  uint64_t refusedCount_ = 0;
  uint64_t refusedTotal_ = 0;
  uint64_t softwareOnly_ = 0;
  bool groupFreed_ = false;
  std::vector<UsageEvent> events_;
};

}  // namespace hr::fpm_client

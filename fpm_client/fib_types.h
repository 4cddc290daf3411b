// Value types of the data path (FPM mirror -> switch profile -> data-path backend).
//
// A route is keyed by (kernel table, prefix) in zebra's terms: zebra sends exactly one
// route per prefix and table (its selected FIB entry). What the data path programs is a
// RouteSpec: the kind (unicast, blackhole, ...), zebra's protocol, and the set of paths
// with interface NAMES (zebra's ifindexes mean nothing in another namespace, FPM.md §0.4).
// The same spec comes out whether zebra used next-hop groups or inline next hops, and
// whatever group ids it allocated, so a mode switch or a zebra restart changes nothing in
// the data path.
//
// Path sets are interned (PathInterner): 100k routes over two spines share one immutable
// vector, which keeps the mirror small and makes spec comparison a pointer compare.
#pragma once

#include <compare>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/net/addr.h"

namespace hr::fpm_client {

struct FibKey {
  uint32_t table = 254;
  Prefix prefix;  // canonical (host bits clear)

  auto operator<=>(const FibKey&) const = default;
  bool operator==(const FibKey&) const = default;
  bool isHost() const {
    return prefix.isHost();
  }
  std::string str() const;  // "10.0.0.0/24" or "10.0.0.0/24 table 100"
};

// A cheap multiply-xorshift mix of the address words, length and table (the mirror, the
// admission and the data-path state each look every route up several times).
struct FibKeyHash {
  size_t operator()(const FibKey& k) const noexcept {
    auto b = k.prefix.address().bytes();
    uint64_t lo = 0;
    uint64_t hi = 0;
    std::memcpy(&lo, b.data(), b.size() < 8 ? b.size() : 8);
    if (b.size() > 8) {
      std::memcpy(&hi, b.data() + 8, 8);
    }
    uint64_t h = lo * 0x9E3779B97F4A7C15ULL ^ (hi + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    h ^= (uint64_t{k.prefix.length()} << 32 | k.table) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 29;
    return static_cast<size_t>(h);
  }
};

enum class RouteKind : uint8_t { Unicast, Blackhole, Unreachable, Prohibit };
const char* kindName(RouteKind k);

// One way out: a gateway and/or a device. An empty ifname means no device (the data path
// resolves the gateway itself); no gateway means a connected (device) route.
struct Path {
  std::optional<IpAddress> gateway;
  std::string ifname;
  uint32_t weight = 1;
  bool onlink = false;

  auto operator<=>(const Path&) const = default;
  bool operator==(const Path&) const = default;
  std::string str() const;  // "via 10.0.1.1 dev swp1 weight 1"
};

using PathSet = std::vector<Path>;  // sorted, no duplicates
using PathSetRef = std::shared_ptr<const PathSet>;

struct PathSetHash {
  size_t operator()(const PathSet& p) const noexcept;
};

// Interns path sets: equal sets share one pointer while any holder keeps it.
class PathInterner {
 public:
  // Sorts, removes duplicates (a duplicate path would make a next-hop group invalid) and
  // gives a single path weight 1 (weights only mean something in a group).
  PathSetRef intern(PathSet paths);
  size_t size() const {
    return pool_.size();
  }
  // Drops entries nobody holds any more (called now and then).
  void collect();

 private:
  std::unordered_map<PathSet, std::weak_ptr<const PathSet>, PathSetHash> pool_;
  size_t sinceCollect_ = 0;
};

struct RouteSpec {
  RouteKind kind = RouteKind::Unicast;
  uint8_t protocol = 0;  // zebra's rtm_protocol (186 bgp, 196 static, 2 connected/kernel ...)
  PathSetRef paths;      // unicast: never empty; other kinds: null
  std::optional<IpAddress> prefsrc;

  bool operator==(const RouteSpec& o) const;
  size_t pathCount() const {
    return paths ? paths->size() : 0;
  }
  bool ecmp() const {
    return pathCount() > 1;
  }
  std::string str() const;
};

// rtm_protocol names as iproute2 prints them.
std::string protocolName(uint8_t proto);
// Protocols zebra installs its own routes with (zebra2proto): what a ToR kernel route of
// zebra's looks like, as opposed to the kernel's connected routes or an admin's.
bool isZebraProtocol(uint8_t proto);

// ifindex -> name of one namespace's links.
using IfNames = std::unordered_map<uint32_t, std::string>;

}  // namespace hr::fpm_client

template <>
struct std::hash<hr::fpm_client::FibKey> {
  size_t operator()(const hr::fpm_client::FibKey& k) const noexcept {
    return hr::fpm_client::FibKeyHash{}(k);
  }
};

// What vrrp_anycast knows of the kernel, kept current over netlink: links (parents, tracked
// uplinks, its own virtual-MAC interfaces), their addresses (advertisement sources, the
// virtual addresses) and the tracked routes.
//
// KernelView is pure: apply() folds one rtnetlink message into it and says what changed,
// so it is unit-tested with hand-built messages. TrackWatcher is the adapter: a socket
// subscribed to RTNLGRP_LINK, RTNLGRP_IPV4/IPV6_IFADDR and (only while routes are tracked)
// RTNLGRP_IPV4/IPV6_ROUTE, with a full re-dump at start and after a receive overrun.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/codec/netlink.h"
#include "core/codec/vrrp_netlink.h"
#include "core/counters.h"
#include "core/event_loop.h"
#include "core/netlink/socket.h"
#include "core/result.h"

namespace hr::vrrp {

struct LinkState {
  int32_t ifindex = 0;
  std::string name;
  uint32_t flags = 0;
  std::optional<MacAddress> mac;
  uint32_t link = 0;    // parent of a macvlan
  uint32_t master = 0;  // bridge of a port
  std::string kind;
  codec::vrrpnl::LinkDetails details;

  bool adminUp() const;
  bool operUp() const;  // IFF_UP and IFF_RUNNING (carrier)
  bool isBridge() const {
    return kind == "bridge";
  }
};

struct AddrState {
  IpAddress address;
  uint8_t prefixLen = 0;
  uint8_t flags = 0;  // IFA_F_*
  uint8_t scope = 0;
};

struct RouteKey {
  Prefix prefix;
  uint32_t table = 254;
  auto operator<=>(const RouteKey&) const = default;
};

class KernelView {
 public:
  // LinkDown: a link lost IFF_UP or carrier, or was deleted. IPv4 routes flushed with it get
  // no RTM_DELROUTE from the kernel, so a route tracker must re-read the table then.
  enum Change : uint32_t { None = 0, Links = 1, Addresses = 2, Routes = 4, LinkDown = 8 };

  // Folds one message in; returns the Change bits. Malformed messages are errors (counted by
  // the caller) and leave the view unchanged.
  Result<uint32_t> apply(const codec::nl::Message& m);
  void clear();

  const LinkState* link(int32_t ifindex) const;
  const LinkState* link(const std::string& name) const;
  const std::map<int32_t, LinkState>& links() const {
    return links_;
  }
  std::vector<AddrState> addresses(int32_t ifindex) const;

  // The advertisement source: IPv4, the first primary (non-secondary) address in one of the
  // subnets of `near` if any, else the first primary; IPv6, the first link-local that is
  // not tentative or failed DAD.
  std::optional<IpAddress> primaryAddress(
      int32_t ifindex, Family f, const std::vector<IpAddress>& near = {}) const;

  // Routes: only the keys of interest are kept (exact prefix match per table).
  void setRouteInterest(std::set<RouteKey> keys);
  void clearRoutes() {
    routes_.clear();
  }
  const std::set<RouteKey>& routeInterest() const {
    return interest_;
  }
  bool routePresent(const RouteKey& k) const;

 private:
  std::map<int32_t, LinkState> links_;
  std::map<std::string, int32_t> byName_;
  std::map<int32_t, std::vector<AddrState>> addrs_;
  std::set<RouteKey> interest_;
  // key -> (metric, tos) of each kernel route for it
  std::map<RouteKey, std::set<std::pair<uint32_t, uint8_t>>> routes_;
};

class TrackWatcher {
 public:
  using ChangeFn = std::function<void(uint32_t change)>;

  static Result<std::unique_ptr<TrackWatcher>> create(
      EventLoop& loop, Counters& counters, ChangeFn onChange);
  ~TrackWatcher();
  TrackWatcher(const TrackWatcher&) = delete;
  TrackWatcher& operator=(const TrackWatcher&) = delete;

 private:
  struct Private {};

 public:
  TrackWatcher(Private, EventLoop& loop, Counters& counters, ChangeFn onChange);

  const KernelView& view() const {
    return view_;
  }
  // Route tracking: subscribes to route events (and dumps the tables) while keys is non-empty.
  Status setRouteInterest(std::set<RouteKey> keys);
  // Re-reads everything (start, overrun).
  Status resync();

 private:
  void onReadable();
  Status dumpInto(uint16_t type, uint8_t family);
  Status redumpRoutes();

  EventLoop& loop_;
  ChangeFn onChange_;
  NetlinkSocket events_;
  NetlinkSocket dumper_;
  KernelView view_;
  bool routesJoined_ = false;
  Counter& malformed_;
  Counter& overruns_;
};

}  // namespace hr::vrrp

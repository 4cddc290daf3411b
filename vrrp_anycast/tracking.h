// Tracking: the effective priority of a group and whether it still serves the virtual MAC,
// from the state of its tracked objects (interfaces, routes). A pure function of its inputs;
// track_watcher.* supplies the states from netlink. Computed per instance (family): the
// tracked interfaces and the tracked routes of that family (trackedObjects).
//
//   effective = max(1, configured - sum of the decrements of the objects that are down)
//   withdraw  = when-all-down: every tracked object down (and at least one tracked)
//               when-any-down: at least one down;  never: false
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vrrp_anycast/vrrp_config.h"
#include "vrrp_anycast/vrrp_fsm.h"

namespace hr::vrrp {

struct TrackedObject {
  enum class Kind : uint8_t { Interface, Route };
  Kind kind = Kind::Interface;
  std::string name;  // interface name, or "PREFIX" / "PREFIX table N"
  uint8_t decrement = 0;
  bool up = true;
};

struct TrackResult {
  uint8_t configured = 100;
  uint8_t effective = 100;
  bool withdraw = false;
  std::vector<TrackedObject> objects;  // every tracked object with its state (the reasons)
};

TrackResult computeTracking(
    uint8_t configured, std::vector<TrackedObject> objects, WithdrawPolicy policy);

// Withdrawal with a hold-down on the way back (track/restore-delay): withdrawn at once when
// tracking says so, restored only once tracking has not asked for it for `delay`.
struct WithdrawHold {
  bool withdrawn = false;
  std::optional<TimePoint> restoreAt;  // pending return
};
// Updates `h` for the tracking verdict `withdraw` at `now`; true if h.withdrawn changed.
bool stepWithdrawal(WithdrawHold& h, bool withdraw, TimePoint now, std::chrono::seconds delay);

// The tracked objects of a group's instance of family `f`, states filled by the callbacks:
// every tracked interface, and the tracked routes of that family only. A missing IPv4
// default says nothing about IPv6 forwarding: each family withdraws and returns on its own
// routes (BGP brings the IPv4 and IPv6 defaults back at different moments).
template <class IfUp, class RouteUp>
std::vector<TrackedObject> trackedObjects(
    const GroupConfig& g, Family f, IfUp ifUp, RouteUp routeUp) {
  std::vector<TrackedObject> out;
  for (const auto& t : g.trackInterfaces) {
    out.push_back({TrackedObject::Kind::Interface, t.name, t.decrement, ifUp(t.name)});
  }
  for (const auto& r : g.trackRoutes) {
    if (r.prefix.family() != f) {
      continue;
    }
    std::string name = r.prefix.str();
    if (r.table != 254) {
      name += " table " + std::to_string(r.table);
    }
    out.push_back({TrackedObject::Kind::Route, name, r.decrement, routeUp(r)});
  }
  return out;
}

}  // namespace hr::vrrp

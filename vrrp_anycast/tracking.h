// Tracking: the effective priority of a group and whether it still serves the virtual MAC,
// from the state of its tracked objects (interfaces, routes). A pure function of its inputs;
// track_watcher.* supplies the states from netlink.
//
//   effective = max(1, configured - sum of the decrements of the objects that are down)
//   withdraw  = when-all-down: every tracked object down (and at least one tracked)
//               when-any-down: at least one down;  never: false
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vrrp_anycast/vrrp_config.h"

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

// The tracked objects of a group, states filled by the callbacks.
template <class IfUp, class RouteUp>
std::vector<TrackedObject> trackedObjects(const GroupConfig& g, IfUp ifUp, RouteUp routeUp) {
  std::vector<TrackedObject> out;
  for (const auto& t : g.trackInterfaces) {
    out.push_back({TrackedObject::Kind::Interface, t.name, t.decrement, ifUp(t.name)});
  }
  for (const auto& r : g.trackRoutes) {
    std::string name = r.prefix.str();
    if (r.table != 254) {
      name += " table " + std::to_string(r.table);
    }
    out.push_back({TrackedObject::Kind::Route, name, r.decrement, routeUp(r)});
  }
  return out;
}

}  // namespace hr::vrrp

// The desired kernel state of one virtual-MAC interface, from the group's config, its VRRP
// state and tracking. Pure: vmac.* diffs it against the kernel and applies the difference.
//
//                      anycast (default)                    classic (anycast false)
//   interface up       unless tracking withdrew the ToR     only while Master
//                      (and while it is master: a withdrawn ToR is master only as the last
//                      resort, when no other router serves the segment)
//   bridge local fdb   whenever up and the parent is a bridge (so the bridge consumes frames
//                      to the virtual MAC and never learns or forwards it across the fabric)
//   answers ARP (v4)   unless Backup and a master is heard   while up
//                      (arp_ignore 1, else 8)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/net/addr.h"
#include "vrrp_anycast/vrrp_config.h"
#include "vrrp_anycast/vrrp_fsm.h"

namespace hr::vrrp {

struct VmacPlan {
  std::string name;
  std::string parent;
  Family family = Family::V4;
  uint8_t vrid = 0;
  MacAddress mac;
  bool up = false;
  bool fdbLocal = false;
  bool answerArp = true;
  std::vector<Prefix> addresses;  // host prefixes: /32, /128

  bool operator==(const VmacPlan&) const = default;
};

VmacPlan planVmac(
    const GroupConfig& g,
    Family f,
    State state,
    bool masterKnown,
    bool withdrawn,
    bool parentIsBridge);

// master | anycast-forwarding | backup | out-of-service | last-resort-master | initialize
std::string_view roleName(const GroupConfig& g, State state, bool withdrawn);

}  // namespace hr::vrrp

// rtnetlink routes and next-hop objects: RTM_NEWROUTE/RTM_DELROUTE and
// RTM_NEWNEXTHOP/RTM_DELNEXTHOP decoders and encoders. Pure (see netlink.h for the message
// and attribute layer). Used for zebra's FPM payloads (fpm.h) and for the kernel of the
// data-path namespace (dumps, notifications, the routes we program).
//
// Route message (rtmsg, 12 bytes, then attributes):
//   u8 family | u8 dst_len | u8 src_len | u8 tos | u8 table | u8 protocol | u8 scope | u8 type
//   u32 flags (RTM_F_OFFLOAD 0x4000, RTM_F_TRAP 0x8000, RTM_F_OFFLOAD_FAILED 0x20000000)
//   RTA_DST, RTA_SRC, RTA_PRIORITY, RTA_TABLE (u32: tables >= 256 have rtm_table 0),
//   RTA_NH_ID (u32, a next-hop object), or RTA_GATEWAY/RTA_VIA + RTA_OIF (one path), or
//   RTA_MULTIPATH: a sequence of rtnexthop { u16 len; u8 flags; u8 hops (weight - 1);
//   i32 ifindex } each followed by its own RTA_GATEWAY/RTA_VIA. zebra sets NLA_F_NESTED on
//   RTA_MULTIPATH (0x8009); the attribute layer masks it.
//
// Next-hop message (nhmsg, 8 bytes): u8 family (AF_UNSPEC for groups) | u8 scope |
//   u8 protocol | u8 resvd | u32 flags (RTNH_F_ONLINK ...), then NHA_ID (u32), and one of:
//   NHA_GROUP (array of { u32 id; u8 weight - 1; u8 weight_high; u16 resvd }),
//   NHA_BLACKHOLE (flag), NHA_GATEWAY and/or NHA_OIF.
//
// Attribute payload sizes are checked against a policy per message (netlink.h); an address
// must match the message's family. A family that is not IPv4/IPv6 (AF_MPLS label routes in
// zebra's replay) is the error "not_ip", which callers count and skip.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/codec/netlink.h"
#include "core/net/addr.h"
#include "core/result.h"

namespace hr::codec::nl {

// The rtnetlink values the pure cores need, named here so that they stay free of
// <linux/*.h> (netlink_route.cpp checks each against the kernel's header).
namespace rt {
constexpr uint16_t kNewRoute = 24;               // RTM_NEWROUTE
constexpr uint16_t kDelRoute = 25;               // RTM_DELROUTE
constexpr uint16_t kNewNexthop = 104;            // RTM_NEWNEXTHOP
constexpr uint16_t kDelNexthop = 105;            // RTM_DELNEXTHOP
constexpr uint8_t kUnicast = 1;                  // RTN_UNICAST
constexpr uint8_t kBlackhole = 6;                // RTN_BLACKHOLE
constexpr uint8_t kUnreachable = 7;              // RTN_UNREACHABLE
constexpr uint8_t kProhibit = 8;                 // RTN_PROHIBIT
constexpr uint32_t kOffload = 0x4000;            // RTM_F_OFFLOAD
constexpr uint32_t kTrap = 0x8000;               // RTM_F_TRAP
constexpr uint32_t kOffloadFailed = 0x20000000;  // RTM_F_OFFLOAD_FAILED
constexpr uint32_t kOnlink = 4;                  // RTNH_F_ONLINK
}  // namespace rt

// One path of RTA_MULTIPATH.
struct RouteNexthop {
  uint8_t flags = 0;  // RTNH_F_*
  uint8_t hops = 0;   // weight - 1
  uint32_t ifindex = 0;
  std::optional<IpAddress> gateway;
  bool gatewayIsVia = false;  // RTA_VIA (an IPv4 route via an IPv6 gateway, RFC 5549)
  bool hasEncap = false;      // RTA_ENCAP on this path: not modelled (not re-encoded)

  uint16_t weight() const {
    return static_cast<uint16_t>(hops + 1);
  }
  bool operator==(const RouteNexthop&) const = default;
};

struct RouteMsg {
  // netlink header
  bool isNew = true;  // RTM_NEWROUTE vs RTM_DELROUTE
  uint16_t nlFlags = 0;
  uint32_t seq = 0;
  uint32_t pid = 0;
  // rtmsg
  Family family = Family::V4;
  uint8_t dstLen = 0;
  uint8_t srcLen = 0;
  uint8_t tos = 0;
  uint8_t rtmTable = 0;
  uint8_t protocol = 0;
  uint8_t scope = 0;
  uint8_t type = 0;  // RTN_*
  uint32_t rtmFlags = 0;
  // attributes
  std::optional<IpAddress> dst;  // absent: the default route
  std::optional<IpAddress> src;
  std::optional<uint32_t> priority;
  std::optional<uint32_t> tableAttr;
  std::optional<uint32_t> nhId;  // when set, gateway/oif/multipath are informational
  std::optional<IpAddress> gateway;
  bool gatewayIsVia = false;
  std::optional<uint32_t> oif;
  std::vector<RouteNexthop> multipath;
  std::optional<IpAddress> prefsrc;
  bool hasEncap = false;  // RTA_ENCAP / RTA_ENCAP_TYPE (MPLS, SRv6, ...): not modelled

  // RTA_TABLE when present, else rtm_table.
  uint32_t table() const {
    return tableAttr ? *tableAttr : rtmTable;
  }
  // dst/dstLen (host bits as sent).
  Prefix prefix() const;
  bool operator==(const RouteMsg&) const = default;
};

struct NexthopGroupEntry {
  uint32_t id = 0;
  uint32_t weight = 1;  // 1..65536; on the wire weight - 1 as a low byte + weight_high
  bool operator==(const NexthopGroupEntry&) const = default;
};

struct NexthopMsg {
  bool isNew = true;  // RTM_NEWNEXTHOP vs RTM_DELNEXTHOP
  uint16_t nlFlags = 0;
  uint32_t seq = 0;
  uint32_t pid = 0;
  uint8_t family = 0;  // AF_UNSPEC (groups, deletes), AF_INET, AF_INET6
  uint8_t scope = 0;
  uint8_t protocol = 0;
  uint32_t nhFlags = 0;  // RTNH_F_ONLINK, RTNH_F_DEAD, RTNH_F_OFFLOAD, RTNH_F_TRAP ...
  uint32_t id = 0;
  std::vector<NexthopGroupEntry> group;
  std::optional<uint16_t> groupType;  // NEXTHOP_GRP_TYPE_*
  bool blackhole = false;
  std::optional<IpAddress> gateway;
  std::optional<uint32_t> oif;
  bool fdb = false;
  bool hasEncap = false;

  bool isGroup() const {
    return !group.empty();
  }
  bool operator==(const NexthopMsg&) const = default;
};

// Error codes: "bad_type", "truncated", "not_ip" (skip), "bad_family", "bad_prefix_len",
// "bad_attr_len", "bad_multipath", "missing_attr", "bad_group", "conflicting_attrs".
Result<RouteMsg> decodeRoute(const Message& m);
Result<NexthopMsg> decodeNexthop(const Message& m);

// Append one message to `out` (a batch may hold many). Attribute order is zebra's:
// DST, SRC, PRIORITY, TABLE, NH_ID, GATEWAY|VIA, OIF, MULTIPATH (NLA_F_NESTED), PREFSRC;
// next hops: ID, GROUP, GROUP_TYPE, BLACKHOLE, GATEWAY, OIF, FDB. So a frame zebra sent
// re-encodes to the same bytes.
void encodeRoute(std::vector<uint8_t>& out, const RouteMsg& r);
void encodeNexthop(std::vector<uint8_t>& out, const NexthopMsg& n);

}  // namespace hr::codec::nl

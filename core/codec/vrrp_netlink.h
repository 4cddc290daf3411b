// rtnetlink messages vrrp_anycast sends and reads beyond the common ones of netlink.h:
// creating and shaping macvlan virtual-MAC interfaces, host-prefix addresses on them, the
// bridge's local fdb entry for a virtual MAC, and the route and fdb events tracking and
// reconciliation watch. Pure; built on nl::Builder / nl::parseAttrs.
//
// Requests (all with NLM_F_REQUEST | NLM_F_ACK; a NetlinkSocket::transact reads the ACKs):
//   RTM_NEWLINK  create: ifinfomsg{AF_UNSPEC} IFLA_IFNAME, IFLA_LINK (parent), IFLA_ADDRESS
//                (the virtual MAC), IFLA_LINKINFO{
//                IFLA_INFO_KIND "macvlan", IFLA_INFO_DATA{IFLA_MACVLAN_MODE}}; CREATE|EXCL
//   RTM_NEWLINK  set: ifinfomsg{index} + IFLA_AF_SPEC{AF_INET6{IFLA_INET6_ADDR_GEN_MODE}}
//                (a separate step: kernel 6.18 refuses it at creation, shared/VRRP.md P1),
//                IFLA_IFALIAS (the ownership mark; ignored by the kernel at creation),
//                or ifi_flags/ifi_change IFF_UP for up/down
//   RTM_DELLINK  ifinfomsg{index}
//   RTM_NEWADDR / RTM_DELADDR  ifaddrmsg{family, prefixlen, IFA_F_NODAD, index} IFA_LOCAL
//                (v4) / IFA_ADDRESS, IFA_FLAGS; NLM_F_CREATE|NLM_F_REPLACE on add
//   RTM_NEWNEIGH / RTM_DELNEIGH  ndmsg{AF_BRIDGE, bridge index, NUD_PERMANENT, NTF_SELF}
//                NDA_LLADDR: `bridge fdb replace MAC dev BRIDGE self local` (VRRP.md §5b V2)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/codec/netlink.h"
#include "core/net/addr.h"
#include "core/result.h"

namespace hr::codec::vrrpnl {

// IFLA_MACVLAN_MODE values (linux/if_link.h), repeated so callers need no kernel header.
enum class MacvlanMode : uint32_t { Private = 1, Vepa = 2, Bridge = 4, Passthru = 8, Source = 16 };
// IN6_ADDR_GEN_MODE_* (linux/if_link.h).
enum class AddrGenMode : uint8_t { Eui64 = 0, None = 1, StablePrivacy = 2, Random = 3 };

struct MacvlanSpec {
  std::string name;
  int32_t parent = 0;
  MacAddress mac;
  MacvlanMode mode = MacvlanMode::Bridge;
  std::string alias;  // IFLA_IFALIAS; empty = none (kernel 6.18 ignores it here: set it after)
};

void encodeMacvlanCreate(std::vector<uint8_t>& out, uint32_t seq, const MacvlanSpec& spec);
void encodeLinkAddrGenMode(
    std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex, AddrGenMode mode);
// IFLA_IFALIAS on an existing link (the kernel ignores it in a create request).
void encodeLinkSetAlias(
    std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex, const std::string& alias);
void encodeLinkSetUp(std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex, bool up);
void encodeLinkDelete(std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex);
// Adds (create or replace) or deletes one address. nodad marks IPv6 addresses IFA_F_NODAD.
void encodeAddress(
    std::vector<uint8_t>& out,
    uint32_t seq,
    bool add,
    int32_t ifindex,
    const Prefix& p,
    bool nodad);
// The bridge's own local (NUD_PERMANENT, NTF_SELF) fdb entry for `mac`, vid 0 (the kernel
// copies it to every VLAN of a VLAN-aware bridge's own port).
void encodeBridgeLocalFdb(
    std::vector<uint8_t>& out,
    uint32_t seq,
    bool add,
    int32_t bridgeIfindex,
    const MacAddress& mac);

// Link attributes netlink.h's LinkMsg does not carry.
struct LinkDetails {
  std::string alias;                       // IFLA_IFALIAS
  std::optional<MacvlanMode> macvlanMode;  // IFLA_INFO_DATA/IFLA_MACVLAN_MODE of a macvlan
  std::optional<AddrGenMode> addrGenMode;  // IFLA_AF_SPEC/AF_INET6/IFLA_INET6_ADDR_GEN_MODE
  bool protoDown = false;                  // IFLA_PROTO_DOWN
};
Result<LinkDetails> decodeLinkDetails(const nl::Message& m);

// RTM_NEWROUTE / RTM_DELROUTE, the fields route tracking needs.
struct RouteMsg {
  bool isNew = true;
  Family family = Family::V4;
  uint8_t dstLen = 0;
  uint8_t tos = 0;
  uint8_t protocol = 0;
  uint8_t type = 0;       // RTN_*
  uint32_t table = 0;     // RTA_TABLE when present, else rtm_table
  uint32_t priority = 0;  // RTA_PRIORITY (metric)
  uint32_t flags = 0;     // RTM_F_*
  IpAddress dst;          // RTA_DST; the zero address of the family for a default route

  Prefix prefix() const {
    return Prefix(dst, dstLen);
  }
};
Result<RouteMsg> decodeRoute(const nl::Message& m);

// RTM_NEWNEIGH / RTM_DELNEIGH of family AF_BRIDGE (a forwarding-database entry).
struct FdbMsg {
  bool isNew = true;
  int32_t ifindex = 0;  // the port, or the bridge itself for its own entries
  uint16_t state = 0;   // NUD_*
  uint8_t flags = 0;    // NTF_*
  MacAddress mac;
  uint16_t vlan = 0;    // NDA_VLAN, 0 = none
  uint32_t master = 0;  // NDA_MASTER

  bool local() const;  // NUD_PERMANENT: a local (own) address of the bridge
};
// Error "not_bridge" for IP neighbour entries (callers skip them quietly).
Result<FdbMsg> decodeFdb(const nl::Message& m);

}  // namespace hr::codec::vrrpnl

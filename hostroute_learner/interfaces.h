// InterfaceDb: the learner's pure picture of the switch's interfaces, fed by the netlink
// watcher (links and addresses) and read by the host table (admission: own addresses and
// MACs, connected subnets, VRF membership; probe sources) and by packet I/O (which frames
// belong to which learning interface and bridge port).
//
//   link  = ifindex, name, kind ("bridge", "vrf", "veth", ...), MAC, up, master, link
//   L3 interface = where hosts live (an SVI or a bridge); a port = an interface whose master
//   is a bridge; a VRF = the master of an L3 interface when the master's kind is "vrf", or,
//   with FRR's network-namespace VRFs, the VRF whose namespace the interface was found in
//   (ifindexes of such a namespace are mapped into a range of their own: netns_scope.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/net/addr.h"

namespace hr::learner {

struct InterfaceInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;
  std::optional<MacAddress> mac;
  bool up = false;
  int master = 0;
  int link = 0;
  std::vector<Prefix> addresses;  // own addresses with their prefix length
  // The network-namespace VRF the interface was found in ("" = the learner's own namespace).
  std::string netnsVrf;
};

class InterfaceDb {
 public:
  void upsertLink(InterfaceInfo info);  // keeps the known addresses of an existing entry
  void removeLink(int ifindex);
  void addAddress(int ifindex, const Prefix& p);
  void removeAddress(int ifindex, const Prefix& p);

  const InterfaceInfo* get(int ifindex) const;
  const InterfaceInfo* byName(const std::string& name) const;
  const std::unordered_map<int, InterfaceInfo>& all() const {
    return ifs_;
  }
  std::string name(int ifindex) const;  // "if<N>" when unknown

  // The VRF an interface belongs to: the network-namespace VRF it was found in, else the
  // name of its master when that is a "vrf" device ("" = the default VRF).
  std::string vrfOf(int ifindex) const;
  // The bridge whose port `ifindex` is (0 when it is not a bridge port).
  int bridgeOf(int ifindex) const;
  bool isBridge(int ifindex) const;
  bool hasPorts(int bridge) const;

  bool isOwnAddress(const IpAddress& a) const;
  bool isOwnMac(const MacAddress& m) const;
  // The interface's connected subnets (canonical; IPv6 link-local and host-length
  // prefixes left out).
  std::vector<Prefix> connectedSubnets(int ifindex) const;

  uint64_t generation() const {
    return generation_;
  }

 private:
  std::unordered_map<int, InterfaceInfo> ifs_;
  uint64_t generation_ = 0;
};

}  // namespace hr::learner

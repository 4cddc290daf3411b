// The learner's typed view of the config document (frr-hostroute:hostroute, the interface
// list and the learning container). Pure: built from a validated data tree, with the
// semantic checks YANG cannot express, each naming its data path.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/yang.h"
#include "core/net/addr.h"

namespace hr::learner {

enum class InjectionMethod { Zapi, KernelTable };

// interface/learning/dual-attached: hosts on this interface may be attached to this switch
// and to an MLAG/VLT peer at once (docs/host-routing.md "Dual-attached hosts").
struct DualAttached {
  std::string peer;                // the peer switch's name (informational)
  std::vector<std::string> ports;  // member ports (bonds); empty = every port
  bool operator==(const DualAttached&) const = default;
};

struct InterfaceConfig {
  std::string name;
  std::vector<Prefix> subnets;  // empty: use the interface's connected subnets
  bool learning = false;
  std::optional<uint32_t> maxHosts;
  // Set: a live host behind (one of the ports of) this interface that another router also
  // advertises is shared; unset: it is a conflict (the first router keeps it).
  std::optional<DualAttached> dualAttached;
  // The network-namespace VRF whose namespace holds the interface ("" = the learner's own
  // namespace).
  std::string vrf;
};

// A VRF of FRR's network-namespace backend (zebra -n): its interfaces live in the network
// namespace at `netns`; the learner watches it too and keys its hosts by `name`.
struct NetnsVrf {
  std::string name;
  std::string netns;  // default /run/netns/<name>
  bool operator==(const NetnsVrf&) const = default;
};

struct ForeignSubnet {
  Prefix prefix;
  std::vector<std::string> interfaces;  // empty: every learning interface
};

struct LearnerConfig {
  bool enabled = true;
  bool sourceNeighborTable = true;
  bool sourceArp = true;
  bool sourceNd = true;
  std::vector<InterfaceConfig> interfaces;
  std::vector<NetnsVrf> netnsVrfs;
  std::vector<ForeignSubnet> foreignSubnets;
  std::vector<IpAddress> excluded;
  InjectionMethod injection = InjectionMethod::Zapi;
  uint32_t kernelTable = 10;
  uint8_t distance = 10;
  std::chrono::seconds holdTime{300};
  std::chrono::milliseconds probeInterval{1000};
  uint8_t probeRetries = 3;
  uint32_t probeRateLimit = 1000;
  uint32_t maxHosts = 200000;
  uint16_t maxMoves = 5;
  std::chrono::seconds moveWindow{180};
  std::chrono::seconds freezeTime{1800};
  // How long the old binding of a host that shows up elsewhere (another port or MAC here, or
  // another router's route) has to answer before the host is moved or withdrawn.
  std::chrono::milliseconds verifyTime{300};
  // Events kept per host in its timeline (0 = no timeline).
  uint8_t timelineLength = 8;
  // Gateway / anycast addresses never learned: the VRRP virtual addresses of this document
  // (hostroute/interface/vrrp/group/virtual-address, read by node name, may be absent).
  std::vector<IpAddress> gatewayAddresses;

  const InterfaceConfig* interface(const std::string& name) const;
  // The entry for the interface `name` found in the namespace of netns VRF `netnsVrf` ("" =
  // the learner's own namespace): nullptr when the entry of that name is for another
  // namespace.
  const InterfaceConfig* interfaceIn(const std::string& name, const std::string& netnsVrf) const;
  // When probing of a quiet host starts: hold-time minus retries x interval, minus the aging
  // margin, so that the withdrawal (retries x interval later) falls within the hold time
  // even when the daemon's loop runs a little late.
  std::chrono::milliseconds probeStart() const;
  // A tenth of the probe interval, at most 100 ms.
  std::chrono::milliseconds agingMargin() const;
};

config::ConfigResult<LearnerConfig> parseLearnerConfig(const config::DataTree& tree);

}  // namespace hr::learner

// The FRR configuration check behind `hostroutectl show zebra` (and `hostroutectl command
// fpm_client check-frr`): reads FRR's running configuration (vtysh `show running-config`)
// and says whether the host routes fpm_client injects can reach the fabric, and whether the
// move signal of docs/frr-config.md is in place. Pure: text in, report out.
//
// Checked:
//  - zapi method: `redistribute table` (instance 0) under router bgp (ipv4 and ipv6 unicast),
//    router ospf and router ospf6, for the protocols that are configured;
//  - kernel-table method: `ip import-table N` and `redistribute table N` (IPv4 only in 8.4);
//  - every route-map named on those lines exists (an undefined route-map denies everything);
//  - move signal over eBGP: the redistribute route-map prepends the own AS to held routes
//    (an entry with `match tag HOLD` and `set as-path prepend`) and sets their weight to 0,
//    and the sessions towards the fabric set a non-zero weight inbound. Without it the old
//    ToR only withdraws when the learner's hold time expires (a warning, not an error).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpm_client/injection_config.h"

namespace hr::fpm_client {

struct RedistributeCheck {
  std::string where;  // "bgp ipv4 unicast", "bgp ipv6 unicast", "ospf", "ospf6"
  bool configured = false;
  std::string routeMap;
  bool routeMapDefined = false;
};

struct FrrConfigReport {
  std::optional<uint32_t> bgpAsn;
  bool ospf = false;
  bool ospf6 = false;
  bool importTable = false;  // kernel-table method: `ip import-table N` present
  std::vector<RedistributeCheck> redistribute;
  bool moveSignalBgp = false;  // the eBGP part of the move signal is configured
  std::vector<std::string> problems;
  std::vector<std::string> warnings;

  bool ok() const {
    return problems.empty();
  }
};

FrrConfigReport checkFrrConfig(std::string_view runningConfig, const InjectionConfig& cfg);

}  // namespace hr::fpm_client

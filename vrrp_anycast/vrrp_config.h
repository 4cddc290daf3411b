// vrrp_anycast's typed view of the config document (frr-hostroute-vrrp.yang): the groups
// under /hostroute/interface/vrrp/group and /hostroute/vrrp-anycast. Pure: built from a
// validated data tree, with the checks YANG cannot express, each naming its data path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/codec/vrrp.h"
#include "core/config/yang.h"
#include "core/net/addr.h"

namespace hr::vrrp {

// XPaths of the schema (checked against the schema by a unit test). The learner depends on
// kVirtualAddressPath: those addresses are never learned as hosts.
inline constexpr const char* kGroupPath =
    "/frr-hostroute:hostroute/interface/frr-hostroute-vrrp:vrrp/group";
inline constexpr const char* kVirtualAddressPath =
    "/frr-hostroute:hostroute/interface/frr-hostroute-vrrp:vrrp/group/virtual-address";
inline constexpr const char* kOnStopPath =
    "/frr-hostroute:hostroute/frr-hostroute-vrrp:vrrp-anycast/on-stop";

// The mark (IFLA_IFALIAS) on every interface the daemon creates: how a restarted daemon
// recognises what it owns.
inline constexpr const char* kOwnerAlias = "frr-hostroute:vrrp_anycast";

enum class WithdrawPolicy : uint8_t { WhenAllDown, WhenAnyDown, Never };
enum class OnStop : uint8_t { Keep, Remove };

struct TrackInterface {
  std::string name;
  uint8_t decrement = 10;
  bool operator==(const TrackInterface&) const = default;
};

struct TrackRoute {
  Prefix prefix;
  uint32_t table = 254;
  uint8_t decrement = 10;
  bool operator==(const TrackRoute&) const = default;
};

struct GroupConfig {
  std::string interface;  // the parent (SVI / bridge)
  uint8_t vrid = 0;
  uint8_t version = 3;
  std::vector<IpAddress> v4;  // in configured order
  std::vector<IpAddress> v6;
  uint8_t priority = 100;
  uint16_t adverIntCs = 100;
  bool preempt = true;
  bool acceptMode = true;
  codec::vrrp::ChecksumForm checksum = codec::vrrp::ChecksumForm::PseudoHeader;
  bool anycast = true;
  uint32_t refreshSeconds = 0;
  std::vector<TrackInterface> trackInterfaces;
  std::vector<TrackRoute> trackRoutes;
  WithdrawPolicy withdraw = WithdrawPolicy::WhenAllDown;
  uint32_t restoreDelaySeconds = 0;  // track/restore-delay
  std::string path;                  // the group's data path, for messages

  const std::vector<IpAddress>& addresses(Family f) const {
    return f == Family::V4 ? v4 : v6;
  }
  bool operator==(const GroupConfig&) const = default;
};

struct VrrpConfig {
  std::vector<GroupConfig> groups;
  OnStop onStop = OnStop::Keep;
};

config::ConfigResult<VrrpConfig> parseVrrpConfig(const config::DataTree& tree);

// The name of the virtual-MAC interface of (parent, family, vrid): "<parent>-v4-<vrid>"
// (e.g. br10-v4-10), or, when that exceeds 15 characters, "hrv4-<vrid>-<6 hex digits of a
// hash of the parent>". Deterministic, so a restarted daemon finds its interfaces.
std::string vmacInterfaceName(const std::string& parent, Family f, uint8_t vrid);

}  // namespace hr::vrrp

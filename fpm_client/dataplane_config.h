// The data path's typed view of the config document (frr-hostroute-dataplane: the
// `dataplane` container under /frr-hostroute:hostroute) and the shipped catalogue of switch
// profiles (switch-profiles.json beside the YANG modules). Pure: built from validated data
// trees, with the checks YANG cannot express, each naming its data path.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/yang.h"
#include "core/net/addr.h"
#include "fpm_client/fib_core.h"
#include "fpm_client/profile.h"

namespace hr::fpm_client {

enum class BackendType { Linux, None };

struct DataplaneConfig {
  bool enabled = false;
  IpAddress address = IpAddress::v4(0x7f000001u);
  uint16_t port = 2620;
  uint32_t maxBacklog = 50000;
  std::chrono::milliseconds quietTime{300};
  std::chrono::milliseconds fallbackQuiet{3000};
  BackendType backend = BackendType::Linux;
  std::string netns;      // as configured (a name or a path)
  std::string netnsPath;  // resolved: /run/netns/NAME or the absolute path
  uint32_t table = 254;
  std::map<uint32_t, uint32_t> tableMap;  // zebra table -> target table (main: `table`)
  uint32_t metric = 20;
  uint16_t batchSize = 1024;
  std::map<std::string, std::string> interfaceMap;  // zebra name -> target name
  SwitchProfile profile;                            // the active one
  std::vector<std::string> profileNames;            // every known profile

  FibCoreConfig coreConfig() const;
  // Target table for a zebra table.
  uint32_t targetTable(uint32_t zebraTable) const;
  // Zebra table for a target table (the inverse map; identity when not mapped).
  uint32_t zebraTable(uint32_t targetTable) const;
  bool operator==(const DataplaneConfig&) const = default;
};

// The built-in fallback: a software switch without limits.
SwitchProfile softwareProfile();
// Profiles of a `dataplane` container (catalogue or configuration).
std::vector<SwitchProfile> parseProfiles(const config::Node& dataplane);
// The shipped catalogue: <yang dir>/switch-profiles.json, parsed and validated against the
// module set. A missing file is an empty catalogue; a broken one is an error.
Result<std::vector<SwitchProfile>> loadProfileCatalogue(
    const std::shared_ptr<config::YangContext>& ctx);
config::ConfigResult<DataplaneConfig> parseDataplaneConfig(
    const config::DataTree& tree, const std::vector<SwitchProfile>& catalogue);

}  // namespace hr::fpm_client

#include "fpm_client/dataplane_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace hr::fpm_client {

namespace {
constexpr const char* kCatalogueFile = "switch-profiles.json";
}

FibCoreConfig DataplaneConfig::coreConfig() const {
  FibCoreConfig c;
  c.quietTime = quietTime;
  c.fallbackQuiet = fallbackQuiet;
  c.maxBacklog = maxBacklog;
  c.profile = profile;
  return c;
}

uint32_t DataplaneConfig::targetTable(uint32_t zebraTable) const {
  if (auto it = tableMap.find(zebraTable); it != tableMap.end()) {
    return it->second;
  }
  return zebraTable == 254 ? table : zebraTable;
}

uint32_t DataplaneConfig::zebraTable(uint32_t target) const {
  for (const auto& [z, t] : tableMap) {
    if (t == target) {
      return z;
    }
  }
  if (target == table) {
    return 254;
  }
  return target;
}

SwitchProfile softwareProfile() {
  SwitchProfile p;
  p.name = "software";
  p.driver = "veth";
  p.offload = false;
  p.description = "A software switch (veth, no ASIC): no table limits, nothing offloaded.";
  return p;
}

std::vector<SwitchProfile> parseProfiles(const config::Node& dp) {
  std::vector<SwitchProfile> out;
  for (const auto& n : dp.children("switch-profile")) {
    SwitchProfile p;
    p.name = n.str("name");
    p.description = n.str("description");
    p.driver = n.str("driver");
    p.offload = n.boolean("offload", true);
    p.warnPercent = static_cast<uint8_t>(n.u64("warning-threshold", 80));
    auto families = n.leafList("address-family");
    if (!families.empty()) {  // the YANG default is both
      p.offloadIpv4 = std::find(families.begin(), families.end(), "ipv4") != families.end();
      p.offloadIpv6 = std::find(families.begin(), families.end(), "ipv6") != families.end();
    }
    if (auto c = n.child("capacity")) {
      auto cap = [&](const char* leaf, Resource r) {
        if (auto v = c->leaf(leaf)) {
          p.capacity[static_cast<size_t>(r)] = static_cast<uint32_t>(std::stoul(*v));
        }
      };
      cap("host-routes", Resource::HostRoutes);
      cap("lpm-routes", Resource::LpmRoutes);
      cap("ecmp-groups", Resource::EcmpGroups);
      cap("ecmp-members", Resource::EcmpMembers);
      cap("neighbours", Resource::Neighbours);
      if (auto v = c->leaf("ecmp-max-paths")) {
        p.ecmpMaxPaths = static_cast<uint16_t>(std::stoul(*v));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<SwitchProfile>> loadProfileCatalogue(
    const std::shared_ptr<config::YangContext>& ctx) {
  std::string path = ctx->dir() + "/" + kCatalogueFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return std::vector<SwitchProfile>{};
  }
  auto tree = config::parseFile(ctx, path);
  if (!tree) {
    return fail(
        "config.profile_catalogue",
        "switch profile catalogue {} is invalid: {}",
        path,
        tree.error().str());
  }
  auto root = tree->root("frr-hostroute", "hostroute");
  if (!root) {
    return std::vector<SwitchProfile>{};
  }
  auto dp = root->child("dataplane");
  if (!dp) {
    return std::vector<SwitchProfile>{};
  }
  return parseProfiles(*dp);
}

config::ConfigResult<DataplaneConfig> parseDataplaneConfig(
    const config::DataTree& tree, const std::vector<SwitchProfile>& catalogue) {
  DataplaneConfig c;
  std::vector<config::Issue> issues;
  // Known profiles: built-in software, then the catalogue, then the document (last wins).
  std::map<std::string, SwitchProfile> profiles;
  profiles["software"] = softwareProfile();
  for (const auto& p : catalogue) {
    profiles[p.name] = p;
  }
  std::string profileName = "software";
  std::string profilePath = "/frr-hostroute:hostroute/frr-hostroute-dataplane:dataplane/profile";

  auto root = tree.root("frr-hostroute", "hostroute");
  auto dp = root ? root->child("dataplane") : std::nullopt;
  if (dp) {
    c.enabled = dp->boolean("enabled", false);
    if (auto f = dp->child("fpm")) {
      if (auto a = IpAddress::parse(f->str("address", "127.0.0.1"))) {
        c.address = *a;
      }
      c.port = static_cast<uint16_t>(f->u64("port", 2620));
      c.maxBacklog = static_cast<uint32_t>(f->u64("max-backlog", 50000));
      if (auto r = f->child("replay")) {
        c.quietTime = std::chrono::milliseconds(r->u64("quiet-time", 300));
        c.fallbackQuiet = std::chrono::milliseconds(r->u64("fallback-quiet-time", 3000));
      }
    }
    if (auto b = dp->child("backend")) {
      c.backend = b->str("type", "linux") == "none" ? BackendType::None : BackendType::Linux;
      c.netns = b->str("netns");
      c.table = static_cast<uint32_t>(b->u64("table", 254));
      c.metric = static_cast<uint32_t>(b->u64("metric", 20));
      c.batchSize = static_cast<uint16_t>(b->u64("batch-size", 1024));
      for (const auto& m : b->children("table-map")) {
        c.tableMap[static_cast<uint32_t>(m.u64("zebra-table"))] =
            static_cast<uint32_t>(m.u64("table"));
      }
      for (const auto& m : b->children("interface-map")) {
        c.interfaceMap[m.str("name")] = m.str("target");
      }
      if (c.backend == BackendType::Linux && c.enabled && c.netns.empty()) {
        issues.push_back(
            {b->path() + "/netns",
             "the linux backend needs the target network namespace (a name under /run/netns or a "
             "path)"});
      }
      std::map<uint32_t, uint32_t> targets;
      targets[c.table] = 254;
      for (const auto& [z, t] : c.tableMap) {
        if (z == 254) {
          issues.push_back(
              {b->path() + fmt::format("/table-map[zebra-table='{}']", z),
               "zebra's main table goes to backend/table; do not map it here"});
        } else if (auto it = targets.find(t); it != targets.end()) {
          issues.push_back(
              {b->path() + fmt::format("/table-map[zebra-table='{}']/table", z),
               fmt::format("target table {} already receives zebra table {}", t, it->second)});
        } else {
          targets[t] = z;
        }
      }
    } else if (c.enabled) {
      issues.push_back(
          {dp->path() + "/backend/netns",
           "the linux backend needs the target network namespace (a name under /run/netns or a "
           "path)"});
    }
    if (!c.netns.empty()) {
      c.netnsPath = c.netns.front() == '/' ? c.netns : "/run/netns/" + c.netns;
      if (c.netns.find('/') != std::string::npos && c.netns.front() != '/') {
        issues.push_back(
            {dp->path() + "/backend/netns",
             "a namespace name has no '/'; give a name under /run/netns or an absolute path"});
      }
    }
    for (auto& p : parseProfiles(*dp)) {
      profiles[p.name] = p;
    }
    profileName = dp->str("profile", "software");
    profilePath = dp->path() + "/profile";
  }
  for (const auto& [n, p] : profiles) {
    c.profileNames.push_back(n);
  }
  if (auto it = profiles.find(profileName); it != profiles.end()) {
    c.profile = it->second;
  } else {
    issues.push_back(
        {profilePath,
         fmt::format(
             "no switch profile '{}' (known: {})", profileName, fmt::join(c.profileNames, ", "))});
  }
  if (!issues.empty()) {
    return Unexpected<config::ConfigError>(config::ConfigError{{}, std::move(issues)});
  }
  return c;
}

}  // namespace hr::fpm_client

// The data path's configuration: defaults, the shipped profile catalogue, overrides, and the
// checks YANG cannot express (each naming its data path).
#include "fpm_client/dataplane_config.h"

#include <gtest/gtest.h>

#include <set>

namespace hr::fpm_client {
namespace {

class DataplaneConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = config::YangContext::load(HR_SOURCE_DIR "/yang");
    ASSERT_TRUE(c) << c.error().message;
    ctx_ = *c;
    auto cat = loadProfileCatalogue(ctx_);
    ASSERT_TRUE(cat) << cat.error().message;
    catalogue_ = *cat;
  }
  config::ConfigResult<DataplaneConfig> parse(const std::string& dp) {
    auto tree = config::parseString(
        ctx_,
        R"({"frr-hostroute:hostroute": {"frr-hostroute-dataplane:dataplane": )" + dp + "}}",
        config::Format::Json);
    if (!tree) {
      return Unexpected<config::ConfigError>(tree.error());
    }
    return parseDataplaneConfig(*tree, catalogue_);
  }
  std::shared_ptr<config::YangContext> ctx_;
  std::vector<SwitchProfile> catalogue_;
};

TEST_F(DataplaneConfigTest, CatalogueShipsTheSoftwareAndTwoSwitchdevFamilies) {
  std::set<std::string> names;
  for (const auto& p : catalogue_) {
    names.insert(p.name);
  }
  EXPECT_TRUE(names.contains("software"));
  EXPECT_TRUE(names.contains("mlxsw-spectrum"));
  EXPECT_TRUE(names.contains("mlxsw-spectrum2"));
  EXPECT_TRUE(names.contains("prestera-ac3x"));
  for (const auto& p : catalogue_) {
    if (p.name == "prestera-ac3x") {
      EXPECT_EQ(p.driver, "prestera");
      EXPECT_EQ(p.ecmpMaxPaths, 4);
      EXPECT_TRUE(p.offload);
      // The driver's FIB notifier takes AF_INET only (docs/switch-profiles.md).
      EXPECT_TRUE(p.offloadIpv4);
      EXPECT_FALSE(p.offloadIpv6);
    } else {
      EXPECT_TRUE(p.offloadIpv4 && p.offloadIpv6) << p.name;  // the YANG default: both
    }
  }
}

TEST_F(DataplaneConfigTest, DefaultsWithoutAnyDocument) {
  auto tree = config::emptyTree(ctx_);
  ASSERT_TRUE(tree);
  auto c = parseDataplaneConfig(*tree, catalogue_);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_FALSE(c->enabled);
  EXPECT_EQ(c->address.str(), "127.0.0.1");
  EXPECT_EQ(c->port, 2620);
  EXPECT_EQ(c->profile.name, "software");
  EXPECT_FALSE(c->profile.offload);
}

TEST_F(DataplaneConfigTest, FullDocument) {
  auto c = parse(R"({
    "enabled": true,
    "fpm": {"address": "::1", "port": 2621, "max-backlog": 1000, "replay": {"quiet-time": 200, "fallback-quiet-time": 5000}},
    "backend": {"netns": "asic", "table": 100, "table-map": [{"zebra-table": 1000, "table": 1001}],
                "interface-map": [{"name": "eth1", "target": "swp1"}], "metric": 30, "batch-size": 256},
    "profile": "mlxsw-spectrum"})");
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->address.str(), "::1");
  EXPECT_EQ(c->port, 2621);
  EXPECT_EQ(c->netnsPath, "/run/netns/asic");
  EXPECT_EQ(c->targetTable(254), 100u);
  EXPECT_EQ(c->targetTable(1000), 1001u);
  EXPECT_EQ(c->targetTable(7), 7u);
  EXPECT_EQ(c->zebraTable(100), 254u);
  EXPECT_EQ(c->zebraTable(1001), 1000u);
  EXPECT_EQ(c->interfaceMap.at("eth1"), "swp1");
  EXPECT_EQ(c->profile.driver, "mlxsw_spectrum");
  EXPECT_EQ(c->profile.cap(Resource::LpmRoutes), 65536u);
  EXPECT_EQ(c->coreConfig().fallbackQuiet, std::chrono::milliseconds(5000));
}

TEST_F(DataplaneConfigTest, ProfileInTheDocumentOverridesTheCatalogue) {
  auto c = parse(
      R"({"enabled": true, "backend": {"netns": "/proc/1/ns/net"}, "profile": "mlxsw-spectrum",
    "switch-profile": [{"name": "mlxsw-spectrum", "driver": "mlxsw_spectrum", "capacity": {"lpm-routes": 3}, "warning-threshold": 50}]})");
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->netnsPath, "/proc/1/ns/net");
  EXPECT_EQ(c->profile.cap(Resource::LpmRoutes), 3u);
  EXPECT_FALSE(c->profile.cap(Resource::HostRoutes));
  EXPECT_EQ(c->profile.warnPercent, 50);
}

TEST_F(DataplaneConfigTest, RefusalsNameTheirPath) {
  auto c = parse(R"({"profile": "nope"})");
  ASSERT_FALSE(c);
  EXPECT_EQ(
      c.error().issues[0].path,
      "/frr-hostroute:hostroute/frr-hostroute-dataplane:dataplane/profile");
  EXPECT_NE(c.error().issues[0].message.find("no switch profile 'nope'"), std::string::npos);

  c = parse(R"({"enabled": true, "backend": {"table": 100}})");
  ASSERT_FALSE(c);
  EXPECT_EQ(
      c.error().issues[0].path,
      "/frr-hostroute:hostroute/frr-hostroute-dataplane:dataplane/backend/netns");

  c = parse(R"({"backend": {"netns": "a", "table-map": [{"zebra-table": 100, "table": 254}]}})");
  ASSERT_FALSE(c);
  EXPECT_NE(
      c.error().issues[0].message.find("already receives zebra table 254"), std::string::npos);

  // YANG: fallback quiet time must exceed the quiet time; table 255 is not a target.
  EXPECT_FALSE(parse(R"({"fpm": {"replay": {"quiet-time": 5000, "fallback-quiet-time": 2000}}})"));
  EXPECT_FALSE(parse(R"({"backend": {"table": 255}})"));
}

}  // namespace
}  // namespace hr::fpm_client

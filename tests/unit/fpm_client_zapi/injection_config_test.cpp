// learning/injection of yang/frr-hostroute.yang through libyang and fpm_client's parser.
#include "fpm_client/injection_config.h"

#include <gtest/gtest.h>

#include "core/config/yang.h"

namespace hr::fpm_client {
namespace {

std::shared_ptr<config::YangContext> ctx() {
  static auto c = config::YangContext::load(HR_SOURCE_DIR "/yang");
  EXPECT_TRUE(c) << (c ? "" : c.error().str());
  return *c;
}

config::ConfigResult<InjectionConfig> parse(const std::string& injection) {
  auto tree = config::parseString(
      ctx(),
      "{\"frr-hostroute:hostroute\": {\"learning\": {\"injection\": " + injection + "}}}",
      config::Format::Json);
  if (!tree) {
    return Unexpected<config::ConfigError>(tree.error());
  }
  return parseInjectionConfig(*tree);
}

TEST(InjectionConfig, Defaults) {
  auto c = parse("{}");
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->method, InjectionMethod::Zapi);
  EXPECT_TRUE(c->moveSignal);
  EXPECT_EQ(c->claimDistance, 10);
  EXPECT_EQ(c->claimTag, 1u);
  EXPECT_EQ(c->holdDistance, 250);
  EXPECT_EQ(c->holdTag, 2u);
  EXPECT_EQ(c->claimWindow.count(), 2000);
  EXPECT_EQ(c->staleTime.count(), 60);
  EXPECT_EQ(c->stopAction, StopAction::Keep);
}

TEST(InjectionConfig, EverySetting) {
  auto c = parse(R"({"method": "zapi", "distance": 15, "metric": 7,
      "move-signal": {"enabled": true, "claim-distance": 5, "claim-tag": 100, "hold-distance": 240,
                      "hold-tag": 200, "claim-window": 500},
      "graceful-restart": {"stale-time": 30, "stop-action": "withdraw"}})");
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->distance, 15);
  EXPECT_EQ(c->metric, 7u);
  EXPECT_EQ(c->claimDistance, 5);
  EXPECT_EQ(c->claimTag, 100u);
  EXPECT_EQ(c->holdDistance, 240);
  EXPECT_EQ(c->holdTag, 200u);
  EXPECT_EQ(c->claimWindow.count(), 500);
  EXPECT_EQ(c->staleTime.count(), 30);
  EXPECT_EQ(c->stopAction, StopAction::Withdraw);
}

TEST(InjectionConfig, YangRefusesInconsistentClaimAndHold) {
  auto bad = parse(R"({"move-signal": {"claim-distance": 250, "hold-distance": 250}})");
  ASSERT_FALSE(bad);
  EXPECT_NE(
      bad.error().str().find("claim-distance must be lower than hold-distance"), std::string::npos)
      << bad.error().str();
  auto sameTag = parse(R"({"move-signal": {"claim-tag": 2}})");
  ASSERT_FALSE(sameTag);
  EXPECT_NE(sameTag.error().str().find("claim-tag and hold-tag must differ"), std::string::npos);
  EXPECT_FALSE(parse(R"({"move-signal": {"claim-window": 50}})"));
}

TEST(InjectionConfig, KernelTableCannotClaimAndHold) {
  auto plain = parse(R"({"method": "kernel-table", "kernel-table": 20})");
  ASSERT_TRUE(plain) << plain.error().str();
  EXPECT_EQ(plain->kernelTable, 20u);
  EXPECT_FALSE(plain->moveSignal);  // off by itself: one distance per imported table
  auto explicitOn = parse(R"({"method": "kernel-table", "move-signal": {"enabled": true}})");
  ASSERT_FALSE(explicitOn);
  EXPECT_EQ(
      explicitOn.error().issues[0].path,
      "/frr-hostroute:hostroute/learning/injection/move-signal/enabled");
}

}  // namespace
}  // namespace hr::fpm_client

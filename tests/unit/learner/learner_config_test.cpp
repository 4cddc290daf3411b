// The learner's typed config from real documents through libyang: the VRRP virtual
// addresses of the vrrp module (read by node name) become never-learned gateway addresses,
// and the learner's own leaves (verify-time, timeline length) reach the config.
#include "hostroute_learner/learner_config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/config/yang.h"

namespace hr::learner {
namespace {

std::shared_ptr<config::YangContext> ctx() {
  return config::YangContext::load(std::string(HR_SOURCE_DIR) + "/yang").value();
}

TEST(LearnerConfig, VrrpVirtualAddressesAreGatewayAddresses) {
  auto tree = config::parseFile(ctx(), std::string(HR_SOURCE_DIR) + "/yang/examples/vrrp-tor.json");
  ASSERT_TRUE(tree) << tree.error().str();
  auto c = parseLearnerConfig(*tree);
  ASSERT_TRUE(c) << c.error().str();
  auto has = [&](const char* a) {
    return std::find(
               c->gatewayAddresses.begin(),
               c->gatewayAddresses.end(),
               IpAddress::parse(a).value()) != c->gatewayAddresses.end();
  };
  EXPECT_TRUE(has("10.1.0.1"));
  EXPECT_TRUE(has("2001:db8:1::1"));
}

TEST(LearnerConfig, LearnerLeavesAndDefaults) {
  auto tree = config::parseString(
      ctx(),
      R"({"frr-hostroute:hostroute": {"interface": [{"name": "br10", "learning": {"enabled": true}}],
          "learning": {"mobility": {"verify-time": 500}, "timeline": {"length": 0}}}})",
      config::Format::Json);
  ASSERT_TRUE(tree) << tree.error().str();
  auto c = parseLearnerConfig(*tree);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->verifyTime, std::chrono::milliseconds(500));
  EXPECT_EQ(c->timelineLength, 0);
  EXPECT_TRUE(c->gatewayAddresses.empty());
  auto d = parseLearnerConfig(config::emptyTree(ctx()).value()).value();
  EXPECT_EQ(d.verifyTime, std::chrono::milliseconds(300));
}

}  // namespace
}  // namespace hr::learner

// The learner's typed config from real documents through libyang: the VRRP virtual
// addresses of the vrrp module (read by node name) become never-learned gateway addresses,
// and the learner's own leaves (verify-time, timeline length) reach the config; the netns
// VRFs (vrf list, interface/vrf) and the checks YANG and the parser make on them.
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

config::ConfigResult<config::DataTree> parse(const std::string& json) {
  return config::parseString(ctx(), json, config::Format::Json);
}

// interface/learning/dual-attached: the explicit opt-in for MLAG/VLT hosts (G1 of issue 4:
// without it a live host another router advertises is a conflict, never shared).
TEST(LearnerConfig, DualAttachedOptIn) {
  auto tree = parse(R"({"frr-hostroute:hostroute": {"interface": [
      {"name": "br10", "learning": {"enabled": true,
                                    "dual-attached": {"peer": "tor2", "port": ["bond1", "bond2"]}}},
      {"name": "br11", "learning": {"enabled": true, "dual-attached": {"peer": "tor2"}}},
      {"name": "br12", "learning": {"enabled": true}}]}})");
  ASSERT_TRUE(tree) << tree.error().str();
  auto c = parseLearnerConfig(*tree);
  ASSERT_TRUE(c) << c.error().str();
  ASSERT_TRUE(c->interface("br10")->dualAttached);
  EXPECT_EQ(c->interface("br10")->dualAttached->peer, "tor2");
  EXPECT_EQ(
      c->interface("br10")->dualAttached->ports, (std::vector<std::string>{"bond1", "bond2"}));
  ASSERT_TRUE(c->interface("br11")->dualAttached);
  EXPECT_TRUE(c->interface("br11")->dualAttached->ports.empty());
  EXPECT_FALSE(c->interface("br12")->dualAttached);
  // The peer is mandatory once the container is there; a port is an interface name.
  for (
      const char* bad :
      {R"({"frr-hostroute:hostroute": {"interface": [{"name": "br10", "learning": {"dual-attached": {}}}]}})",
       R"({"frr-hostroute:hostroute": {"interface": [{"name": "br10", "learning": {"dual-attached": {"peer": "p", "port": ["a/b"]}}}]}})"}) {
    auto t = parse(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_NE(t.error().str().find("dual-attached"), std::string::npos) << t.error().str();
  }
}

TEST(NetnsVrfConfig, VrfListAndInterfaceVrf) {
  auto tree = parse(R"({"frr-hostroute:hostroute": {
      "vrf": [{"name": "red", "netns": "/run/netns/lab-red"}, {"name": "blue"}],
      "interface": [{"name": "br10", "learning": {"enabled": true}},
                    {"name": "br20", "vrf": "red", "learning": {"enabled": true}}]}})");
  ASSERT_TRUE(tree) << tree.error().str();
  auto c = parseLearnerConfig(*tree);
  ASSERT_TRUE(c) << c.error().str();
  ASSERT_EQ(c->netnsVrfs.size(), 2u);
  // libyang keeps list entries in document order.
  EXPECT_EQ(c->netnsVrfs[0], (NetnsVrf{"red", "/run/netns/lab-red"}));
  EXPECT_EQ(c->netnsVrfs[1], (NetnsVrf{"blue", "/run/netns/blue"}));  // the default path
  ASSERT_NE(c->interface("br20"), nullptr);
  EXPECT_EQ(c->interface("br20")->vrf, "red");
  EXPECT_EQ(c->interface("br10")->vrf, "");
  // An entry applies only in its own namespace.
  EXPECT_NE(c->interfaceIn("br20", "red"), nullptr);
  EXPECT_EQ(c->interfaceIn("br20", ""), nullptr);
  EXPECT_EQ(c->interfaceIn("br10", "red"), nullptr);
  EXPECT_NE(c->interfaceIn("br10", ""), nullptr);
}

TEST(NetnsVrfConfig, RefusedDocuments) {
  struct Case {
    const char* what;
    const char* json;
    const char* expect;  // in the error text
  };
  const Case cases[] = {
      {"unknown VRF",
       R"({"frr-hostroute:hostroute": {"interface": [{"name": "br20", "vrf": "red"}]}})",
       "vrf"},
      {"the default VRF",
       R"({"frr-hostroute:hostroute": {"vrf": [{"name": "default"}]}})",
       "default"},
      {"relative path",
       R"({"frr-hostroute:hostroute": {"vrf": [{"name": "red", "netns": "run/netns/red"}]}})",
       "netns"},
      {"a slash in the name", R"({"frr-hostroute:hostroute": {"vrf": [{"name": "a/b"}]}})", "name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto tree = parse(c.json);
    ASSERT_FALSE(tree);
    EXPECT_NE(tree.error().str().find(c.expect), std::string::npos) << tree.error().str();
  }
  // Two VRFs on one namespace: a check YANG cannot express, naming the path.
  auto tree = parse(R"({"frr-hostroute:hostroute": {"vrf": [
      {"name": "red", "netns": "/run/netns/x"}, {"name": "blue", "netns": "/run/netns/x"}]}})");
  ASSERT_TRUE(tree) << tree.error().str();
  auto c = parseLearnerConfig(*tree);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().str().find("vrf[name='blue']/netns"), std::string::npos) << c.error().str();
  EXPECT_NE(c.error().str().find("already VRF red"), std::string::npos) << c.error().str();
}

}  // namespace
}  // namespace hr::learner

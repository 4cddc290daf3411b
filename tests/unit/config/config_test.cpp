// Config loading: valid documents load (JSON and XML) with defaults filled in; every kind of
// invalid document is refused with a message naming the data path.
#include <gtest/gtest.h>

#include <fstream>

#include "core/config/yang.h"
#include "hostroute_learner/learner_config.h"

namespace hr::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = YangContext::load(HR_SOURCE_DIR "/yang");
    ASSERT_TRUE(c) << c.error().message;
    ctx_ = *c;
  }
  ConfigResult<DataTree> json(const std::string& s) {
    return parseString(ctx_, s, Format::Json);
  }
  // Asserts a refusal whose first issue names `path` and whose message contains `reason`.
  void expectRefused(
      const std::string& doc,
      const std::string& path,
      const std::string& reason,
      Format format = Format::Json) {
    auto r = parseString(ctx_, doc, format);
    ConfigError err;
    if (r) {
      auto typed = learner::parseLearnerConfig(*r);
      ASSERT_FALSE(typed) << "document was accepted: " << doc;
      err = typed.error();
    } else {
      err = r.error();
    }
    ASSERT_FALSE(err.issues.empty());
    EXPECT_EQ(err.issues[0].path, path) << err.str();
    EXPECT_NE(err.issues[0].message.find(reason), std::string::npos) << err.str();
  }
  std::shared_ptr<YangContext> ctx_;
};

TEST_F(ConfigTest, LoadsTheModuleSet) {
  EXPECT_NE(
      std::find(ctx_->modules().begin(), ctx_->modules().end(), "frr-hostroute"),
      ctx_->modules().end());
}

TEST_F(ConfigTest, ExampleJsonLoadsWithDefaults) {
  auto t = parseFile(ctx_, HR_SOURCE_DIR "/yang/examples/tor.json");
  ASSERT_TRUE(t) << t.error().str();
  auto c = learner::parseLearnerConfig(*t);
  ASSERT_TRUE(c) << c.error().str();
  ASSERT_EQ(c->interfaces.size(), 1u);
  EXPECT_EQ(c->interfaces[0].name, "br10");
  EXPECT_TRUE(c->interfaces[0].learning);
  EXPECT_EQ(c->interfaces[0].maxHosts, 4096u);
  ASSERT_EQ(c->interfaces[0].subnets.size(), 2u);
  EXPECT_EQ(c->interfaces[0].subnets[0].str(), "10.1.0.0/24");
  EXPECT_EQ(c->interfaces[0].subnets[1].str(), "2001:db8:1::/64");
  ASSERT_EQ(c->foreignSubnets.size(), 1u);
  EXPECT_EQ(c->foreignSubnets[0].prefix.str(), "10.9.0.0/16");
  EXPECT_EQ(c->holdTime, std::chrono::seconds(120));
  EXPECT_EQ(c->maxHosts, 100000u);
  // hold 120 s - 3 probes x 1 s - the aging margin (a tenth of an interval).
  EXPECT_EQ(c->probeStart(), std::chrono::milliseconds(116900));
}

TEST_F(ConfigTest, ExampleXmlMatchesJson) {
  auto x = parseFile(ctx_, HR_SOURCE_DIR "/yang/examples/tor.xml");
  ASSERT_TRUE(x) << x.error().str();
  auto c = learner::parseLearnerConfig(*x);
  ASSERT_TRUE(c) << c.error().str();
  ASSERT_EQ(c->interfaces.size(), 1u);
  EXPECT_EQ(c->interfaces[0].subnets.size(), 2u);
  EXPECT_EQ(c->holdTime, std::chrono::seconds(120));
}

TEST_F(ConfigTest, EmptyDocumentGivesYangDefaults) {
  auto t = emptyTree(ctx_);
  ASSERT_TRUE(t) << t.error().str();
  auto root = t->root("frr-hostroute", "hostroute");
  ASSERT_TRUE(root);  // the non-presence container exists with its defaults
  EXPECT_EQ(root->child("learning")->child("aging")->str("hold-time"), "300");
  EXPECT_TRUE(root->child("learning")->child("aging")->child("hold-time")->isDefault());
  auto c = learner::parseLearnerConfig(*t);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->holdTime, std::chrono::seconds(300));
  EXPECT_EQ(c->probeRetries, 3);
  EXPECT_EQ(c->maxMoves, 5);
  EXPECT_EQ(c->moveWindow, std::chrono::seconds(180));
}

TEST_F(ConfigTest, PrefixesAreCanonical) {
  auto t = json(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"br10","subnet":[{"prefix":"10.1.0.5/24"}]}]}})");
  ASSERT_TRUE(t) << t.error().str();
  auto c = learner::parseLearnerConfig(*t);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->interfaces[0].subnets[0].str(), "10.1.0.0/24");
}

TEST_F(ConfigTest, RefusesSyntaxError) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"br10")",
      "/frr-hostroute:hostroute/interface",
      "Unexpected");
}

TEST_F(ConfigTest, RefusesWrongType) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"br10","learning":{"enabled":"yes"}}]}})",
      "/frr-hostroute:hostroute/interface[name='br10']/learning/enabled",
      "boolean");
}

TEST_F(ConfigTest, RefusesMissingKey) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"learning":{"enabled":true}}]}})",
      "/frr-hostroute:hostroute/interface",
      "missing its key \"name\"");
}

TEST_F(ConfigTest, RefusesUnknownLeaf) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"br10","colour":"blue"}]}})",
      "/frr-hostroute:hostroute/interface[name='br10']",
      "\"colour\" not found");
}

TEST_F(ConfigTest, RefusesOutOfRange) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"learning":{"probing":{"retries":11}}}})",
      "/frr-hostroute:hostroute/learning/probing/retries",
      "out of the allowed range");
}

TEST_F(ConfigTest, RefusesBadPattern) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"a/b"}]}})",
      "/frr-hostroute:hostroute/interface/name",
      "pattern");
}

TEST_F(ConfigTest, RefusesDanglingCrossReference) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"learning":{"foreign-subnet":[{"prefix":"10.9.0.0/16","interface":["br99"]}]}}})",
      "/frr-hostroute:hostroute/learning/foreign-subnet[prefix='10.9.0.0/16']/interface[.='br99']",
      "no target instance");
}

TEST_F(ConfigTest, RefusesHoldTimeShorterThanProbing) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"learning":{"aging":{"hold-time":2},"probing":{"retries":3,"interval":1000}}}})",
      "/frr-hostroute:hostroute/learning/aging/hold-time",
      "hold-time must be longer");
}

TEST_F(ConfigTest, RefusesInterfaceCapAboveGlobalCap) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"br10","learning":{"enabled":true,"max-hosts":500}}],"learning":{"limits":{"max-hosts":100}}}})",
      "/frr-hostroute:hostroute/interface[name='br10']/learning/max-hosts",
      "exceeds the global cap");
}

TEST_F(ConfigTest, RefusesOverlappingSubnets) {
  expectRefused(
      R"({"frr-hostroute:hostroute":{"interface":[{"name":"br10","subnet":[{"prefix":"10.1.0.0/16"},{"prefix":"10.1.2.0/24"}]}]}})",
      "/frr-hostroute:hostroute/interface[name='br10']/subnet[prefix='10.1.2.0/24']",
      "overlaps");
}

// The same refusals from XML documents: the data path is the same whatever the encoding.
constexpr const char* kXmlOpen = "<hostroute xmlns=\"urn:frr-hostroute:yang:frr-hostroute\">";

TEST_F(ConfigTest, RefusesWrongTypeInXml) {
  expectRefused(
      std::string(kXmlOpen) +
          "<interface><name>br10</name><learning><enabled>yes</enabled></learning></interface></"
          "hostroute>",
      "/frr-hostroute:hostroute/interface[name='br10']/learning/enabled",
      "boolean",
      Format::Xml);
}

TEST_F(ConfigTest, RefusesUnknownLeafInXml) {
  expectRefused(
      std::string(kXmlOpen) +
          "<interface><name>br10</name><colour>blue</colour></interface></hostroute>",
      "/frr-hostroute:hostroute/interface[name='br10']",
      "\"colour\" not found",
      Format::Xml);
}

TEST_F(ConfigTest, RefusesOutOfRangeInXml) {
  expectRefused(
      std::string(kXmlOpen) +
          "<learning><probing><retries>11</retries></probing></learning></hostroute>",
      "/frr-hostroute:hostroute/learning/probing/retries",
      "out of the allowed range",
      Format::Xml);
}

TEST_F(ConfigTest, RefusesXmlSyntaxError) {
  auto r = parseString(
      ctx_, "<hostroute xmlns=\"urn:frr-hostroute:yang:frr-hostroute\"><interface>", Format::Xml);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().issues.empty());
}

TEST_F(ConfigTest, FileErrorsNameTheFile) {
  std::string path = ::testing::TempDir() + "/hr_bad_config.json";
  std::ofstream(path) << R"({"frr-hostroute:hostroute":{"learning":{"probing":{"retries":0}}}})";
  auto r = parseFile(ctx_, path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().file, path);
  EXPECT_NE(
      r.error().str().find(path + ": /frr-hostroute:hostroute/learning/probing/retries: "),
      std::string::npos)
      << r.error().str();
  auto missing = parseFile(ctx_, ::testing::TempDir() + "/nope.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().str().find("no such file"), std::string::npos);
  auto ext = parseFile(ctx_, ::testing::TempDir() + "/x.yaml");
  ASSERT_FALSE(ext);
  EXPECT_NE(ext.error().str().find("unknown file type"), std::string::npos);
}

TEST_F(ConfigTest, XPathConstantsExistInTheSchema) {
  // Every node name the typed parsers read must exist in the schema (CONVENTIONS §6): a
  // renamed leaf would otherwise silently fall back to a default.
  auto t = emptyTree(ctx_);
  ASSERT_TRUE(t);
  auto root = t->root("frr-hostroute", "hostroute");
  ASSERT_TRUE(root);
  auto l = root->child("learning");
  ASSERT_TRUE(l);
  for (const char* c : {"sources", "injection", "aging", "probing", "limits", "mobility"}) {
    EXPECT_TRUE(l->child(c)) << c;
  }
  EXPECT_TRUE(l->child("sources")->leaf("neighbor-table"));
  EXPECT_TRUE(l->child("sources")->leaf("arp"));
  EXPECT_TRUE(l->child("sources")->leaf("nd"));
  EXPECT_TRUE(l->child("injection")->leaf("method"));
  EXPECT_TRUE(l->child("injection")->leaf("kernel-table"));
  EXPECT_TRUE(l->child("injection")->leaf("distance"));
  EXPECT_TRUE(l->child("aging")->leaf("hold-time"));
  EXPECT_TRUE(l->child("probing")->leaf("interval"));
  EXPECT_TRUE(l->child("probing")->leaf("retries"));
  EXPECT_TRUE(l->child("probing")->leaf("rate-limit"));
  EXPECT_TRUE(l->child("limits")->leaf("max-hosts"));
  EXPECT_TRUE(l->child("mobility")->leaf("max-moves"));
  EXPECT_TRUE(l->child("mobility")->leaf("window"));
  EXPECT_TRUE(l->child("mobility")->leaf("freeze-time"));
  EXPECT_TRUE(l->leaf("enabled"));
  EXPECT_TRUE(root->child("logging")->leaf("level"));
}

}  // namespace
}  // namespace hr::config

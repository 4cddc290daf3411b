#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/counters.h"
#include "core/daemon/paths.h"
#include "core/log.h"

namespace hr {
namespace {

TEST(Counters, NamesAndJson) {
  Counters c("hostroute_learner");
  auto& rx = c.counter("packets.arp_rx", "ARP frames");
  ++rx;
  rx += 2;
  EXPECT_EQ(&c.counter("packets.arp_rx"), &rx);  // same counter
  c.gauge("hosts.total").set(42);
  EXPECT_EQ(c.value("hostroute_learner.packets.arp_rx"), 3u);
  EXPECT_EQ(c.value("hostroute_learner.nope"), 0u);
  auto j = c.toJson();
  EXPECT_EQ(j["hostroute_learner.packets.arp_rx"], 3);
  EXPECT_EQ(j["hostroute_learner.hosts.total"], 42);
  auto d = c.describe();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["kind"], "gauge");  // sorted by name: hosts.total first
  EXPECT_EQ(d[1]["help"], "ARP frames");
}

TEST(RateLimiter, OneLinePerIntervalWithSuppressedCount) {
  log::RateLimiter rl(std::chrono::seconds(10));
  auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  EXPECT_EQ(rl.allow("k", t0), 0u);
  EXPECT_FALSE(rl.allow("k", t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(rl.allow("k", t0 + std::chrono::seconds(2)));
  EXPECT_EQ(rl.allow("other", t0 + std::chrono::seconds(2)), 0u);
  EXPECT_EQ(rl.allow("k", t0 + std::chrono::seconds(10)), 2u);
}

TEST(Log, ParsesLevelsTargetsAndCategories) {
  EXPECT_EQ(*log::parseLevel("warning"), spdlog::level::warn);
  EXPECT_FALSE(log::parseLevel("loud"));
  EXPECT_EQ(*log::parseTarget("journald"), log::Target::Journald);
  EXPECT_FALSE(log::parseTarget("syslog"));
  EXPECT_EQ(log::parseDebug("zapi"), log::Debug::Zapi);
  EXPECT_FALSE(log::parseDebug("everything"));
  log::setDebug(log::Debug::Fpm, true);
  EXPECT_TRUE(log::debugOn(log::Debug::Fpm));
  log::setDebug(log::Debug::Fpm, false);
  EXPECT_FALSE(log::debugOn(log::Debug::Fpm));
}

TEST(Log, DebugCategoryLowersTheLevelAndOffRestoresIt) {
  log::setLevel(spdlog::level::warn);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::warn);
  log::setDebug(log::Debug::Zapi, true);
  EXPECT_EQ(log::effectiveLevel(), spdlog::level::debug);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug) << "HR_DEBUG lines must show";
  log::setDebug(log::Debug::Fpm, true);
  log::setDebug(log::Debug::Zapi, false);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug) << "fpm is still on";
  log::setDebug(log::Debug::Fpm, false);
  EXPECT_FALSE(log::anyDebugOn());
  EXPECT_EQ(spdlog::get_level(), spdlog::level::warn) << "the configured level is back";
  // A level changed while a category is on is the one restored afterwards.
  log::setDebug(log::Debug::Ipc, true);
  log::setLevel(spdlog::level::err);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  log::setDebug(log::Debug::Ipc, false);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::err);
  // A configured trace level is never raised to debug.
  log::setLevel(spdlog::level::trace);
  log::setDebug(log::Debug::Ipc, true);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::trace);
  log::setDebug(log::Debug::Ipc, false);
  log::setLevel(spdlog::level::info);
  EXPECT_EQ(log::levelName(spdlog::level::warn), "warning");
}

TEST(Log, ErrorCodesAreNamespaced) {
  EXPECT_EQ(log::parseLevel("loud").error().code, "log.bad_level");
  EXPECT_EQ(log::parseTarget("syslog").error().code, "log.bad_target");
}

TEST(InstanceName, AllowsPathspaceNames) {
  const std::string names[] = {
      "", "tor1", "hr-tor1", "a.b_c-D9", "x", std::string(kMaxInstanceName, 'n')};
  for (const auto& ok : names) {
    EXPECT_TRUE(checkInstanceName(ok)) << "'" << ok << "'";
  }
}

TEST(InstanceName, RefusesNamesThatLeaveTheirDirectory) {
  struct Case {
    std::string name;
    std::string why;
  };
  const Case cases[] = {
      {"..", "contains '..'"},
      {".", "is '.'"},
      {"a..b", "contains '..'"},
      {"../etc", "'/'"},
      {"a/b", "'/'"},
      {"/abs", "'/'"},
      {"tor 1", "byte 0x20"},
      {"tor1\n", "byte 0x0a"},
      {"t*r", "'*'"},
      {std::string(kMaxInstanceName + 1, 'n'), "longer than 64"},
  };
  for (const auto& c : cases) {
    auto st = checkInstanceName(c.name);
    ASSERT_FALSE(st) << c.name;
    EXPECT_EQ(st.error().code, "daemon.bad_instance");
    EXPECT_NE(st.error().message.find(c.why), std::string::npos) << st.error().message;
  }
}

TEST(InstancePaths, PathspaceLayout) {
  auto d = InstancePaths::forInstance("");
  EXPECT_EQ(d.confDir, "/etc/frr-hostroute");
  EXPECT_EQ(d.runDir, "/run/frr-hostroute");
  EXPECT_EQ(d.zservPath, "/var/run/frr/zserv.api");
  auto n = InstancePaths::forInstance("tor1");
  EXPECT_EQ(n.confDir, "/etc/frr-hostroute/tor1");
  EXPECT_EQ(n.socketPath("fpm_client"), "/run/frr-hostroute/tor1/fpm_client.sock");
  EXPECT_EQ(n.pidFile("hostroute_learner"), "/run/frr-hostroute/tor1/hostroute_learner.pid");
  EXPECT_EQ(n.zservPath, "/var/run/frr/tor1/zserv.api");
}

}  // namespace
}  // namespace hr

// FibCore scenarios: a scripted zebra session in, data-path operations out, with a fake
// data path that applies or refuses ops (the "kernel" below). Time is an argument.
#include "fpm_client/fib_core.h"

#include <errno.h>
#include <gtest/gtest.h>

#include <map>

#include "fib_test_util.h"
#include "fpm_client/dataplane_config.h"
#include "fpm_client/dataplane_linux.h"
#include "fpm_client/fpm_links.h"

namespace hr::fpm_client::test {
namespace {

using namespace std::chrono_literals;

struct CoreFixture : ::testing::Test {
  TimePoint t0 = TimePoint{} + 1000s;
  TimePoint now = t0;
  FibCore core{FibCoreConfig{}};
  FakeDataplane dp;

  void SetUp() override {
    core.setLinks(torLinks());
  }
  template <class... M>
  void frame(const M&... msgs) {
    auto p = payload(msgs...);
    ASSERT_TRUE(core.onFrame(p, now));
    drain();
  }
  // Runs the data path until nothing is queued.
  void drain() {
    for (int i = 0; i < 100; ++i) {
      auto ops = core.takeOps(1000, now);
      if (ops.empty()) {
        return;
      }
      auto res = dp.apply(ops);
      core.onResults(res, now);
    }
    FAIL() << "data path never drained";
  }
  void advance(Duration d) {
    now += d;
    core.tick(now);
    drain();
  }
  KernelSnapshot torFib(std::vector<std::string> prefixes) {
    KernelSnapshot s;
    s.valid = true;
    for (const auto& p : prefixes) {
      s.replayedKeys.push_back(key(p));
    }
    return s;
  }
  std::set<std::string> fibPrefixes() {
    std::set<std::string> out;
    for (const auto& [k, s] : dp.fib) {
      out.insert(k.str());
    }
    return out;
  }
};

TEST_F(CoreFixture, RoutesFlowToTheDataPathWithNamesAndEcmp) {
  core.sessionUp(now, torFib({}));
  frame(nh(16, "10.0.1.1", 2), nh(18, "10.0.2.1", 3), group(28, {16, 18}));
  frame(route("10.201.0.0/24", 16), route("192.0.2.0/24", 28));
  ASSERT_EQ(dp.fib.size(), 2u);
  EXPECT_EQ(
      dp.fib[key("192.0.2.0/24")].str(), "via 10.0.1.1 dev swp1, via 10.0.2.1 dev swp2 proto bgp");
  EXPECT_EQ(core.routeState(key("192.0.2.0/24")), "software");
  // An update (DEL+NEW in one frame) is one upsert, never a delete.
  frame(delRoute("10.201.0.0/24"), route("10.201.0.0/24", 28));
  EXPECT_EQ(dp.deletes(), 0u);
  EXPECT_EQ(dp.fib[key("10.201.0.0/24")].pathCount(), 2u);
  // A withdrawal is a delete.
  frame(delRoute("10.201.0.0/24"));
  EXPECT_EQ(dp.deletes(), 1u);
  EXPECT_EQ(fibPrefixes(), (std::set<std::string>{"192.0.2.0/24"}));
}

TEST_F(CoreFixture, ReplayAfterReconnectChangesNothingAndSweepsTheRest) {
  core.sessionUp(now, torFib({}));
  frame(nh(16, "10.0.1.1", 2));
  frame(route("10.1.0.0/24", 16), route("10.2.0.0/24", 16), route("10.3.0.0/24", 16));
  advance(400ms);
  EXPECT_EQ(core.session(), FibCore::Session::Synced);
  size_t opsBefore = dp.log.size();
  // zebra reconnects; 10.2.0.0/24 was withdrawn while disconnected (never sent: FPM.md §0.5).
  core.sessionDown(now);
  advance(3s);
  core.sessionUp(now, torFib({"10.1.0.0/24", "10.3.0.0/24"}));
  frame(nh(16, "10.0.1.1", 2));
  frame(route("10.1.0.0/24", 16));
  advance(400ms);
  // Quiet, but 10.3.0.0/24 (in the ToR's kernel) has not been re-sent: no sweep yet.
  EXPECT_EQ(core.session(), FibCore::Session::Replaying);
  EXPECT_EQ(dp.log.size(), opsBefore);  // nothing programmed, nothing removed meanwhile
  frame(route("10.3.0.0/24", 16));
  advance(299ms);
  EXPECT_EQ(core.session(), FibCore::Session::Replaying);
  advance(2ms);
  EXPECT_EQ(core.session(), FibCore::Session::Synced);
  EXPECT_EQ(core.stats().sweepsConfirmed, 2u);
  // Only the stale route went; the re-sent ones were never touched.
  EXPECT_EQ(dp.log.size(), opsBefore + 1);
  EXPECT_EQ(dp.log.back().kind, DpOpKind::Delete);
  EXPECT_EQ(dp.log.back().key, key("10.2.0.0/24"));
}

TEST_F(CoreFixture, FallbackSweepWhenTheKernelConfirmationNeverComes) {
  core.sessionUp(now, torFib({"10.1.0.0/24", "10.9.0.0/24"}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}));
  advance(2900ms);
  EXPECT_EQ(core.session(), FibCore::Session::Replaying);
  ASSERT_TRUE(core.nextDeadline());
  EXPECT_EQ(*core.nextDeadline(), now + 100ms);
  advance(100ms);
  EXPECT_EQ(core.session(), FibCore::Session::Synced);
  EXPECT_EQ(core.stats().sweepsQuiet, 1u);
}

TEST_F(CoreFixture, BackPressurePauseForcesTheLongQuietTime) {
  core.sessionUp(now, torFib({}));
  core.setReadPaused(true, now);
  advance(10s);  // paused: quiet time does not count
  EXPECT_EQ(core.session(), FibCore::Session::Replaying);
  core.setReadPaused(false, now);
  advance(400ms);  // zebra may resume its walk up to 1 s later
  EXPECT_EQ(core.session(), FibCore::Session::Replaying);
  advance(2700ms);
  EXPECT_EQ(core.session(), FibCore::Session::Synced);
}

TEST_F(CoreFixture, DataPathContentFoundAtStartIsKeptUntilTheReplayThenReconciled) {
  // fpm_client restarted: the data path holds three routes from before.
  PathInterner in;
  auto spec = [&](const std::string& gw, const std::string& dev) {
    RouteSpec s;
    s.protocol = 186;
    s.paths = in.intern({Path{ip(gw), dev, 1, false}});
    return s;
  };
  core.onResynced(
      {{key("10.1.0.0/24"), spec("10.0.1.1", "swp1"), 0},
       {key("10.2.0.0/24"), spec("10.0.1.1", "swp1"), 0},
       {key("10.4.0.0/24"), spec("10.0.1.1", "swp1"), 0}},
      now);
  for (auto& [k, v] : std::map<FibKey, RouteSpec>{
           {key("10.1.0.0/24"), spec("10.0.1.1", "swp1")},
           {key("10.2.0.0/24"), spec("10.0.1.1", "swp1")},
           {key("10.4.0.0/24"), spec("10.0.1.1", "swp1")}}) {
    dp.fib[k] = v;
  }
  drain();
  EXPECT_TRUE(dp.log.empty());  // nothing deleted before zebra speaks
  core.sessionUp(now, torFib({"10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24"}));
  frame(nh(16, "10.0.1.1", 2));
  frame(route("10.1.0.0/24", 16));                    // identical: no op
  frame(route("10.2.0.0/24", 0, {{"10.0.2.1", 3}}));  // changed: one upsert
  frame(route("10.3.0.0/24", 16));                    // new: one upsert
  EXPECT_EQ(dp.log.size(), 2u);
  EXPECT_EQ(core.routeState(key("10.4.0.0/24")), "stale");
  advance(301ms);
  EXPECT_EQ(core.session(), FibCore::Session::Synced);
  EXPECT_EQ(fibPrefixes(), (std::set<std::string>{"10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24"}));
  EXPECT_EQ(core.stats().orphansDeleted, 1u);
}

TEST_F(CoreFixture, RejectedRoutesAreReportedAndRetriedWithBackoff) {
  core.sessionUp(now, torFib({}));
  dp.refuse[key("10.5.0.0/24")] = -EINVAL;
  frame(route("10.5.0.0/24", 0, {{"10.0.1.1", 2}}));
  EXPECT_EQ(core.routeState(key("10.5.0.0/24")), "rejected");
  size_t attempts = dp.log.size();
  advance(900ms);
  EXPECT_EQ(dp.log.size(), attempts);
  advance(200ms);
  EXPECT_EQ(dp.log.size(), attempts + 1);  // retried after 1 s
  dp.refuse.clear();
  advance(2s);
  EXPECT_EQ(core.routeState(key("10.5.0.0/24")), "software");
  auto notices = core.takeNotices();
  EXPECT_TRUE(std::any_of(notices.begin(), notices.end(), [](const Notice& n) {
    return n.text.find("event=dataplane_rejected") != std::string::npos;
  }));
}

TEST_F(CoreFixture, TinyProfileRefusesAndReports) {
  FibCoreConfig cfg;
  cfg.profile.name = "tiny";
  cfg.profile.capacity[static_cast<size_t>(Resource::LpmRoutes)] = 2;
  core.setConfig(cfg);
  core.sessionUp(now, torFib({}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}), route("10.2.0.0/24", 0, {{"10.0.1.1", 2}}));
  frame(route("10.0.0.0/16", 0, {{"10.0.1.1", 2}}));
  EXPECT_EQ(fibPrefixes(), (std::set<std::string>{"10.0.0.0/16", "10.1.0.0/24"}));
  EXPECT_EQ(core.routeState(key("10.2.0.0/24")), "refused");
  auto s = core.summaryJson(now);
  EXPECT_EQ(s["routes"]["refused"], 1);
  EXPECT_EQ(s["routes"]["software"], 2);
  auto r = core.routesJson("refused", std::nullopt, 10);
  ASSERT_EQ(r["routes"].size(), 1u);
  EXPECT_EQ(r["routes"][0]["reason"], "lpm-routes-full");
  // The profile grows: the refused route is programmed.
  cfg.profile.capacity[static_cast<size_t>(Resource::LpmRoutes)] = 10;
  core.setConfig(cfg);
  drain();
  EXPECT_EQ(fibPrefixes().size(), 3u);
}

TEST_F(CoreFixture, RoutesOfAFamilyTheDriverDoesNotOffloadAreSoftwareWithAReason) {
  FibCoreConfig cfg;
  cfg.profile.name = "prestera-ac3x";
  cfg.profile.driver = "prestera";
  cfg.profile.offload = true;
  cfg.profile.offloadIpv6 = false;
  cfg.profile.capacity[static_cast<size_t>(Resource::LpmRoutes)] = 1;
  core.setConfig(cfg);
  core.sessionUp(now, torFib({}));
  frame(
      route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}),
      route("2001:db8:100::/48", 0, {{"fe80::1", 2}}),
      route("2001:db8:101::/48", 0, {{"fe80::1", 2}}));
  EXPECT_EQ(
      fibPrefixes(),
      (std::set<std::string>{"10.1.0.0/24", "2001:db8:100::/48", "2001:db8:101::/48"}));
  EXPECT_EQ(core.routeState(key("2001:db8:100::/48")), "software");
  auto r = core.routesJson("software", pfx("2001:db8::/32"), 10);
  ASSERT_EQ(r["routes"].size(), 2u);
  EXPECT_EQ(
      r["routes"][0]["reason"],
      "not offloaded: the prestera driver offloads no IPv6 routes (profile prestera-ac3x); "
      "forwarded in software");
  auto s = core.summaryJson(now);
  EXPECT_EQ(s["profile"]["addressFamilies"], nlohmann::json::array({"ipv4"}));
  EXPECT_EQ(s["profile"]["softwareOnly"], 2);
  EXPECT_EQ(s["routes"]["refused"], 0);
}

TEST_F(CoreFixture, HardwareFlagsGiveTheState) {
  core.sessionUp(now, torFib({}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}));
  core.onHwFlags(key("10.1.0.0/24"), RTM_F_OFFLOAD);
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "offloaded");
  core.onHwFlags(key("10.1.0.0/24"), RTM_F_TRAP);
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "trap");
  core.onHwFlags(key("10.1.0.0/24"), RTM_F_OFFLOAD_FAILED);
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "offload-failed");
}

TEST_F(CoreFixture, MalformedFrameLeavesTheMirrorIntact) {
  core.sessionUp(now, torFib({}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}));
  auto p = payload(
      route("10.2.0.0/24", 0, {{"10.0.1.1", 2}}), route("10.3.0.0/24", 0, {{"10.0.1.1", 2}}));
  p[p.size() - 6] = 0xff;  // RTA_OIF of the second message: length 0xff.. runs off
  p[p.size() - 7] = 0xff;
  EXPECT_FALSE(core.onFrame(p, now));
  core.sessionDown(now);
  drain();
  EXPECT_EQ(fibPrefixes(), (std::set<std::string>{"10.1.0.0/24"}));  // nothing of the frame
  EXPECT_EQ(core.mirror().routeCount(), 1u);
}

TEST_F(CoreFixture, UnknownInterfaceHeldUntilTheLinkAppears) {
  core.sessionUp(now, torFib({}));
  frame(route("10.1.0.0/24", 0, {{"10.0.9.1", 9}}));
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "held");
  auto links = torLinks();
  links[9] = "swp9";
  core.setLinks(links);
  drain();
  EXPECT_EQ(dp.fib[key("10.1.0.0/24")].str(), "via 10.0.9.1 dev swp9 proto bgp");
}

// zebra's VRF "red" (kernel table 1001, a VRF device in zebra's namespace) is replayed like
// the main table and swept after a reconnect; `ip route ... table 1000` is never replayed
// and is taken from the ToR's kernel instead (FPM.md §0.6). VRF devices cannot be created
// on this project's kernels: the links are given here as LinkWatcher would report them.
TEST_F(CoreFixture, VrfTablesAreReplayedAndSweptPlainTablesComeFromTheKernel) {
  std::unordered_map<uint32_t, LinkInfo> zebraLinks = {
      {1, {1, "lo", true, true, "", 0}},
      {2, {2, "swp1", true, true, "veth", 0}},
      {7, {7, "red", true, true, "vrf", 1001}}};
  auto snapshot = [&](std::vector<FibKey> keys) {
    KernelSnapshot s;
    s.valid = true;
    s.replayedTables = {254};
    for (uint32_t t : vrfTablesOf(zebraLinks)) {
      s.replayedTables.insert(t);
    }
    s.replayedKeys = std::move(keys);
    ZRoute t1000;
    t1000.protocol = 196;
    t1000.paths = {ZPath{ip("10.0.2.1"), 3, 1, false}};
    t1000.fromKernel = true;
    s.otherTables = {{key("198.18.1.0/24", 1000), t1000}};
    return s;
  };
  auto red = [](const std::string& p) { return route(p, 0, {{"10.0.1.1", 2}}, 186, 1001); };
  core.sessionUp(
      now, snapshot({key("10.1.0.0/24"), key("10.11.0.0/24", 1001), key("10.12.0.0/24", 1001)}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}));
  frame(red("10.11.0.0/24"), red("10.12.0.0/24"));
  advance(301ms);
  ASSERT_EQ(core.session(), FibCore::Session::Synced);
  EXPECT_EQ(core.stats().sweepsConfirmed, 1u);  // the VRF's routes counted in the confirmation
  EXPECT_EQ(
      fibPrefixes(),
      (std::set<std::string>{
          "10.1.0.0/24",
          "10.11.0.0/24 table 1001",
          "10.12.0.0/24 table 1001",
          "198.18.1.0/24 table 1000"}));
  EXPECT_EQ(core.summaryJson(now)["replay"]["replayedTables"], (std::vector<uint32_t>{254, 1001}));
  // zebra reconnects; it withdrew 10.12.0.0/24 in red while disconnected (never sent).
  core.sessionDown(now);
  advance(3s);
  size_t opsBefore = dp.log.size();
  core.sessionUp(now, snapshot({key("10.1.0.0/24"), key("10.11.0.0/24", 1001)}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}));
  frame(red("10.11.0.0/24"));
  advance(301ms);
  ASSERT_EQ(core.session(), FibCore::Session::Synced);
  // Only the VRF's stale route was swept; table 1000 was neither replayed nor swept.
  ASSERT_EQ(dp.log.size(), opsBefore + 1);
  EXPECT_EQ(dp.log.back().kind, DpOpKind::Delete);
  EXPECT_EQ(dp.log.back().key, key("10.12.0.0/24", 1001));
  EXPECT_EQ(
      fibPrefixes(),
      (std::set<std::string>{
          "10.1.0.0/24", "10.11.0.0/24 table 1001", "198.18.1.0/24 table 1000"}));
}

// What the Linux backend writes for zebra's tables under backend/table and table-map: the
// VRF's table 1001 goes to the target's 2001 (RTA_TABLE), table 1000 to 100 (rtm_table),
// the main table to backend/table; and notifications map back to zebra's tables.
TEST_F(CoreFixture, TableMapPlacesEveryZebraTableInItsTargetTable) {
  DataplaneConfig cfg;
  cfg.table = 10;
  cfg.tableMap = {{1001, 2001}, {1000, 100}};
  core.sessionUp(now, torFib({}));
  frame(route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}));
  frame(route("10.11.0.0/24", 0, {{"10.0.1.1", 2}}, 186, 1001));
  frame(route("198.18.1.0/24", 0, {{"10.0.2.1", 3}}, 196, 1000));
  frame(route("10.21.0.0/24", 0, {{"10.0.1.1", 2}}, 186, 1002));  // not mapped: keeps its id
  std::map<FibKey, std::pair<uint8_t, std::optional<uint32_t>>> written;
  for (const auto& op : dp.log) {
    auto m = routeRequest(op, 5, cfg);
    EXPECT_EQ(m.priority, 20u);
    EXPECT_EQ(m.nhId, 5u);
    written[op.key] = {m.rtmTable, m.tableAttr};
    // The kernel's notification of that route maps back to zebra's key.
    std::vector<uint8_t> bytes;
    nl::encodeRoute(bytes, m);
    auto msgs = nl::split(bytes);
    ASSERT_TRUE(msgs);
    auto n = readRouteNotification(msgs->at(0), cfg);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->key, op.key);
  }
  using W = std::pair<uint8_t, std::optional<uint32_t>>;
  EXPECT_EQ(written[key("10.1.0.0/24")], W(10, std::nullopt));
  EXPECT_EQ(written[key("10.11.0.0/24", 1001)], W(RT_TABLE_UNSPEC, 2001));
  EXPECT_EQ(written[key("198.18.1.0/24", 1000)], W(100, std::nullopt));
  EXPECT_EQ(written[key("10.21.0.0/24", 1002)], W(RT_TABLE_UNSPEC, 1002));
}

TEST_F(CoreFixture, BackPressureThresholds) {
  FibCoreConfig cfg;
  cfg.maxBacklog = 4;
  core.setConfig(cfg);
  core.sessionUp(now, torFib({}));
  auto p = payload(
      route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}),
      route("10.2.0.0/24", 0, {{"10.0.1.1", 2}}),
      route("10.3.0.0/24", 0, {{"10.0.1.1", 2}}),
      route("10.4.0.0/24", 0, {{"10.0.1.1", 2}}));
  ASSERT_TRUE(core.onFrame(p, now));
  EXPECT_TRUE(core.shouldPause());
  auto ops = core.takeOps(3, now);
  EXPECT_EQ(core.backlog(), 4u);  // 1 queued + 3 in flight
  core.onResults(dp.apply(ops), now);
  EXPECT_TRUE(core.shouldResume());
}

}  // namespace
}  // namespace hr::fpm_client::test

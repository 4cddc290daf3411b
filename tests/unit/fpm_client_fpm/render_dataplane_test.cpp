// `hostroutectl show dataplane` as text (tools/render_dataplane.cpp): the JSON document is
// built the way fpm_client builds it (FibCore's summary and route list, the FPM server's and
// the backend's parts, as DataplaneService::summary() assembles them) and rendered.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include "fib_test_util.h"
#include "tools/render.h"

namespace hr::fpm_client::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct RenderFixture : ::testing::Test {
  TimePoint now = TimePoint{} + 1000s;
  FibCore core{FibCoreConfig{}};
  FakeDataplane dp;

  void SetUp() override {
    FibCoreConfig cfg;
    cfg.profile.name = "tiny";
    cfg.profile.driver = "prestera";
    cfg.profile.offload = true;
    cfg.profile.warnPercent = 50;
    cfg.profile.capacity[static_cast<size_t>(Resource::HostRoutes)] = 2;
    core.setConfig(cfg);
    core.setLinks(torLinks());
    core.sessionUp(now, KernelSnapshot{});
    auto p = payload(
        route("10.1.0.0/24", 0, {{"10.0.1.1", 2}, {"10.0.2.1", 3}}),
        route("100.64.0.1/32", 0, {{"10.0.1.1", 2}}),
        route("100.64.0.2/32", 0, {{"10.0.1.1", 2}}),
        route("100.64.0.3/32", 0, {{"10.0.1.1", 2}}),
        route("10.9.0.0/24", 0, {{"10.0.9.1", 9}}));
    EXPECT_TRUE(core.onFrame(p, now));
    auto ops = core.takeOps(100, now);
    core.onResults(dp.apply(ops), now);
    core.onHwFlags(key("10.1.0.0/24"), RTM_F_OFFLOAD);
    core.onHwFlags(key("100.64.0.1/32"), RTM_F_TRAP);
  }

  // As DataplaneService::summary() assembles it.
  json summary(bool connected, bool backendReady) {
    json j = core.summaryJson(now);
    j["enabled"] = true;
    json fpm = {
        {"listen", "127.0.0.1:2620"},
        {"connected", connected},
        {"peer", connected ? json("127.0.0.1:51012") : json(nullptr)},
        {"readPaused", false},
        {"lastDownReason", nullptr},
        {"accepts", 2},
        {"replaced", 0},
        {"closedByPeer", 0},
        {"resets", 1},
        {"bytes", 1800},
        {"frames", 32},
        {"pauses", 0},
        {"errors", {{"fpm_bad_version", 1}}}};
    if (connected) {
      fpm["upSeconds"] = 42.4;
    }
    fpm["listening"] = connected;
    fpm["listenError"] = connected ? json(nullptr) : json("bind 127.0.0.1:2620: in use");
    fpm["session"] = j["state"];
    fpm["replay"] = j["replay"];
    j.erase("replay");
    j["fpm"] = fpm;
    j["backend"] = {
        {"backend", "linux"},
        {"netns", "/run/netns/asic"},
        {"table", 254},
        {"metric", 20},
        {"ready", backendReady},
        {"error", backendReady ? json(nullptr) : json("no namespace /run/netns/asic")}};
    return j;
  }
};

TEST_F(RenderFixture, Summary) {
  EXPECT_EQ(
      cli::renderText("dataplane", summary(true, true)),
      "FPM session: up (zebra 127.0.0.1:51012, 42 s), listening on 127.0.0.1:2620\n"
      "  state replaying, generation 1, last replay - s (-), frames 32, bytes 1800, resets 1, "
      "read pauses 0\n"
      "  malformed input: fpm_bad_version=1\n"
      "Mirror of zebra's FIB: 5 routes, 0 next hops, 1 held\n"
      "Backend: linux ready, netns /run/netns/asic, table 254, metric 20\n"
      "Routes by state: offloaded 1 trap 1 software 1 offload-failed 0 rejected 0 refused 1 "
      "held 1 pending 0 stale 0\n"
      "Switch profile: tiny (driver prestera, offload expected), warning at 50%\n"
      "  Resource             Used   Capacity     Use\n"
      "  host-routes             2          2  100.0%  WARNING\n"
      "  lpm-routes              1          -       -\n"
      "  ecmp-groups             1          -       -\n"
      "  ecmp-members            2          -       -\n"
      "  neighbours              0          -       -\n"
      "Backlog: 0 queued, 0 in flight, 0 retrying (pause reading zebra at 50000)\n");
}

TEST_F(RenderFixture, SessionDownListenerAndBackendFailing) {
  auto text = cli::renderText("dataplane", summary(false, false));
  EXPECT_NE(
      text.find("FPM session: down, listening on 127.0.0.1:2620 (NOT listening: bind "
                "127.0.0.1:2620: in use)\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("Backend: linux NOT ready (no namespace /run/netns/asic), netns"),
      std::string::npos)
      << text;
  core.setReadPaused(true, now);
  text = cli::renderText("dataplane", summary(true, true));
  EXPECT_NE(text.find("(pause reading zebra at 50000): READING PAUSED\n"), std::string::npos)
      << text;
}

TEST_F(RenderFixture, RouteList) {
  json j = core.routesJson("", std::nullopt, 4);
  j["enabled"] = true;
  EXPECT_EQ(
      cli::renderText("dataplane", j),
      "Prefix                                        Table Protocol   State           Paths / "
      "reason\n"
      "10.1.0.0/24                                     254 bgp        offloaded       via 10.0.1.1 "
      "dev swp1, via 10.0.2.1 dev swp2\n"
      "10.9.0.0/24                                     254 bgp        held            (unknown-"
      "interface: ifindex 9 is not a link of zebra's namespace)\n"
      "100.64.0.1/32                                   254 bgp        trap            via 10.0.1.1 "
      "dev swp1\n"
      "100.64.0.2/32                                   254 bgp        software        via 10.0.1.1 "
      "dev swp1\n"
      "4 of 5 matching routes shown\n");
}

TEST_F(RenderFixture, RefusedRoutesGiveTheirReason) {
  json j = core.routesJson("refused", std::nullopt, 10);
  j["enabled"] = true;
  EXPECT_EQ(
      cli::renderText("dataplane", j),
      "Prefix                                        Table Protocol   State           Paths / "
      "reason\n"
      "100.64.0.3/32                                   254 bgp        refused         "
      "(host-routes-full)\n"
      "1 of 1 matching routes shown\n");
}

TEST(RenderDataplane, Disabled) {
  EXPECT_EQ(
      cli::renderText("dataplane", json{{"enabled", false}}),
      "Data path: disabled (dataplane/enabled is false)\n");
}

}  // namespace
}  // namespace hr::fpm_client::test

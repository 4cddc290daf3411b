// Hardware flags read back through the adapter/core path: canned kernel route notifications
// (RTM_NEWROUTE as the target's kernel echoes our writes, with RTM_F_OFFLOAD, RTM_F_TRAP or
// RTM_F_OFFLOAD_FAILED set by the driver) are read by the Linux backend's notification
// reader and handed to FibCore in the order the backend does it: the echo of a write comes
// right after the batch's acks, BEFORE the write's result (which the backend hands over on
// the next loop round). A driver that sets the flags while inserting the route sends no
// later change, so the echo is the only report.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include "fib_test_util.h"
#include "fpm_client/dataplane_config.h"
#include "fpm_client/dataplane_linux.h"

namespace hr::fpm_client::test {
namespace {

using namespace std::chrono_literals;

// The kernel's notification of a route of the target: bytes as they come off the socket.
std::vector<uint8_t> kernelRoute(
    bool isNew,
    const std::string& prefix,
    uint32_t flags,
    uint32_t table = 254,
    uint32_t metric = 20,
    uint32_t pid = 4242) {
  auto r = route(prefix, 0, {{"10.0.1.1", 3}}, 186, table);
  r.isNew = isNew;
  r.nlFlags = 0;
  r.pid = pid;
  r.rtmFlags = flags;
  r.priority = metric;
  if (!isNew) {
    r.gateway.reset();
    r.oif.reset();
  }
  std::vector<uint8_t> out;
  nl::encodeRoute(out, r);
  return out;
}

struct FlagsFixture : ::testing::Test {
  TimePoint now = TimePoint{} + 1000s;
  FibCore core{FibCoreConfig{}};
  DataplaneConfig cfg;
  // What the driver sets on a route at insert time (the echo of our write carries it).
  std::map<FibKey, uint32_t> driverFlags;
  size_t echoes = 0;

  void SetUp() override {
    core.setLinks(torLinks());
    core.sessionUp(now, KernelSnapshot{});
  }
  // Reads one notification through the backend's reader and hands it to the core.
  void deliver(const std::vector<uint8_t>& bytes) {
    auto msgs = nl::split(bytes);
    ASSERT_TRUE(msgs);
    for (const auto& m : *msgs) {
      auto n = readRouteNotification(m, cfg);
      if (n && n->isNew) {
        ++echoes;
        core.onHwFlags(n->key, n->rtmFlags);
      }
    }
  }
  // One round of the Linux backend: write, read the echoes, results on the next round.
  void runBackend() {
    for (int i = 0; i < 10; ++i) {
      auto ops = core.takeOps(1000, now);
      if (ops.empty()) {
        return;
      }
      std::vector<DpResult> results;
      for (const auto& op : ops) {
        bool add = op.kind == DpOpKind::Upsert;
        uint32_t f = add ? driverFlags[op.key] : 0;
        deliver(kernelRoute(add, op.key.prefix.str(), f, cfg.targetTable(op.key.table)));
        results.push_back(DpResult{op.key, op.kind, 0, {}});
      }
      core.onResults(results, now);
    }
    FAIL() << "backend never drained";
  }
  void zebraSends(const std::string& prefix, uint32_t ifindex = 2) {
    auto p = payload(route(prefix, 0, {{"10.0.1.1", ifindex}}));
    ASSERT_TRUE(core.onFrame(p, now));
  }
};

TEST_F(FlagsFixture, FlagsSetAtInsertTimeSurviveTheResult) {
  struct Case {
    const char* prefix;
    uint32_t flags;
    const char* state;
  } cases[] = {
      {"10.1.0.0/24", RTM_F_OFFLOAD, "offloaded"},
      {"10.2.0.0/24", RTM_F_TRAP, "trap"},
      {"10.3.0.0/24", RTM_F_OFFLOAD_FAILED, "offload-failed"},
      {"10.4.0.0/24", 0, "software"},
  };
  for (const auto& c : cases) {
    driverFlags[key(c.prefix)] = c.flags;
    zebraSends(c.prefix);
  }
  runBackend();
  EXPECT_EQ(echoes, 4u);
  for (const auto& c : cases) {
    EXPECT_EQ(core.routeState(key(c.prefix)), c.state) << c.prefix;
  }
  auto s = core.summaryJson(now);
  EXPECT_EQ(s["routes"]["offloaded"], 1);
  EXPECT_EQ(s["routes"]["trap"], 1);
  EXPECT_EQ(s["routes"]["offload-failed"], 1);
  EXPECT_EQ(s["routes"]["software"], 1);
}

TEST_F(FlagsFixture, AReplaceTakesTheFlagsOfItsOwnEcho) {
  driverFlags[key("10.1.0.0/24")] = RTM_F_OFFLOAD;
  zebraSends("10.1.0.0/24");
  runBackend();
  ASSERT_EQ(core.routeState(key("10.1.0.0/24")), "offloaded");
  // zebra moves the route to swp2; the driver cannot offload the new version.
  driverFlags[key("10.1.0.0/24")] = RTM_F_OFFLOAD_FAILED;
  zebraSends("10.1.0.0/24", 3);
  runBackend();
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "offload-failed");
  EXPECT_EQ(core.programmed(key("10.1.0.0/24"))->str(), "via 10.0.1.1 dev swp2 proto bgp");
}

TEST_F(FlagsFixture, LaterChangesFollowAndAWithdrawalForgetsThem) {
  zebraSends("10.1.0.0/24");
  runBackend();
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "software");
  // The driver programs the ASIC from its work queue: a flag-change notification later.
  deliver(kernelRoute(true, "10.1.0.0/24", RTM_F_OFFLOAD, 254, 20, 0));
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "offloaded");
  EXPECT_EQ(core.stats().hwChanges, 1u);
  // zebra withdraws it, then sends it again: the old flags do not come back with it.
  ASSERT_TRUE(core.onFrame(payload(delRoute("10.1.0.0/24")), now));
  runBackend();
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "absent");
  zebraSends("10.1.0.0/24");
  runBackend();
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "software");
}

TEST_F(FlagsFixture, EchoAfterTheResultCountsAsWell) {
  zebraSends("10.1.0.0/24");
  auto ops = core.takeOps(10, now);
  ASSERT_EQ(ops.size(), 1u);
  std::vector<DpResult> res{{ops[0].key, ops[0].kind, 0, {}}};
  core.onResults(res, now);
  deliver(kernelRoute(true, "10.1.0.0/24", RTM_F_TRAP));
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "trap");
}

TEST_F(FlagsFixture, NotificationsNotOursAreIgnoredAndTablesMapBack) {
  cfg.tableMap[1000] = 2000;
  zebraSends("10.1.0.0/24");
  ASSERT_TRUE(core.onFrame(payload(route("198.18.1.0/24", 0, {{"10.0.2.1", 3}}, 196, 1000)), now));
  runBackend();
  // Another metric (the kernel's own or an admin's route) and the local table: not ours.
  deliver(kernelRoute(true, "10.1.0.0/24", RTM_F_OFFLOAD, 254, 0, 0));
  deliver(kernelRoute(true, "10.1.0.0/24", RTM_F_OFFLOAD, RT_TABLE_LOCAL, 20, 0));
  EXPECT_EQ(core.routeState(key("10.1.0.0/24")), "software");
  // The target's table 2000 is zebra's 1000.
  auto bytes = kernelRoute(true, "198.18.1.0/24", RTM_F_OFFLOAD, 2000, 20, 0);
  auto msgs = nl::split(bytes);
  ASSERT_TRUE(msgs);
  auto n = readRouteNotification(msgs->at(0), cfg);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->key, key("198.18.1.0/24", 1000));
  EXPECT_EQ(n->rtmFlags, uint32_t{RTM_F_OFFLOAD});
  deliver(bytes);
  EXPECT_EQ(core.routeState(key("198.18.1.0/24", 1000)), "offloaded");
  // Flags the core does not report (RTM_F_NOTIFY, RTM_F_CLONED) are masked.
  auto other = kernelRoute(true, "10.1.0.0/24", RTM_F_NOTIFY | RTM_F_CLONED);
  msgs = nl::split(other);
  ASSERT_TRUE(msgs);
  EXPECT_EQ(readRouteNotification(msgs->at(0), cfg)->rtmFlags, 0u);
}

}  // namespace
}  // namespace hr::fpm_client::test

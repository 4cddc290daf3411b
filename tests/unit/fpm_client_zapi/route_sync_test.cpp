// RouteSync, fpm_client's pure injection core, driven by scripted events (learner intents,
// zebra's interface/VRF/notification/redistribution messages, time) with its RouteOps,
// status and remote-route signals checked after each step.
#include "fpm_client/route_sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/codec/zapi.h"

namespace hr::fpm_client {
namespace {

using namespace std::chrono_literals;
namespace zapi = codec::zapi;

constexpr uint32_t kBr10 = 7;

RouteKey key(const std::string& a, const std::string& vrf = "") {
  return RouteKey{vrf, *IpAddress::parse(a)};
}

Intent intent(
    const std::string& a,
    bool claim = false,
    const std::string& ifname = "br10",
    const std::string& vrf = "") {
  Intent i;
  i.key = key(a, vrf);
  i.ifname = ifname;
  i.ifindex = kBr10;
  i.claim = claim;
  return i;
}

std::string str(const RouteOp& op) {
  return fmt::format(
      "{} {} {} vrf={} if={} d={} t={}",
      op.kind == RouteOp::Kind::Add ? "add" : "del",
      backendName(op.backend),
      op.key.str(),
      op.vrfId,
      op.ifindex,
      op.distance,
      op.tag);
}

// Sorted: the core evaluates its dirty routes in no particular order.
std::vector<std::string> strs(const std::vector<RouteOp>& ops) {
  std::vector<std::string> v;
  for (const auto& o : ops) {
    v.push_back(str(o));
  }
  std::sort(v.begin(), v.end());
  return v;
}

class RouteSyncTest : public ::testing::Test {
 protected:
  RouteSyncTest() {
    Policy p;
    p.claimWindow = 2s;
    s = RouteSync(p);
  }
  // A session: VRF default, br10 up, dumps done.
  void up() {
    s.sessionReset();
    s.vrfAdded("default", 0);
    s.interfaceState(0, "br10", kBr10, true, now);
    s.zebraUp(now);
  }
  std::vector<std::string> ops() {
    return strs(s.takeOps(now));
  }
  RouteState state(const std::string& a, const std::string& vrf = "") {
    auto v = s.route(key(a, vrf));
    EXPECT_TRUE(v) << a;
    return v ? v->state : RouteState::Waiting;
  }
  TimePoint now = TimePoint{} + 1000s;
  RouteSync s;
};

TEST_F(RouteSyncTest, ClaimInstallRelaxWithdraw) {
  up();
  s.apply({intent("10.1.0.50", true)}, {}, now);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=7 d=10 t=1"});
  EXPECT_EQ(state("10.1.0.50"), RouteState::Pending);
  auto st = s.takeStatus();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, RouteState::Pending);

  s.notify(0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::Installed), now);
  EXPECT_EQ(state("10.1.0.50"), RouteState::Installed);
  EXPECT_EQ(s.route(key("10.1.0.50"))->mode, Mode::Claim);

  // The claim window ends: relaxed to hold (distance 250, tag 2).
  ASSERT_TRUE(s.nextDeadline());
  EXPECT_EQ(*s.nextDeadline(), now + 2s);
  now += 1999ms;
  s.tick(now);
  EXPECT_TRUE(ops().empty());
  now += 1ms;
  s.tick(now);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=7 d=250 t=2"});
  EXPECT_EQ(s.route(key("10.1.0.50"))->mode, Mode::Hold);
  EXPECT_EQ(s.stats().relaxed, 1u);

  s.apply({}, {key("10.1.0.50")}, now);
  EXPECT_EQ(ops(), std::vector<std::string>{"del zapi 10.1.0.50/32 vrf=0 if=7 d=250 t=2"});
  EXPECT_EQ(s.size(), 0u);
  auto last = s.takeStatus();
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.back().state, RouteState::Removed);
  // zebra's REMOVED for it is a late answer: counted, nothing else.
  s.notify(0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::Removed), now);
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(s.stats().notifyUnknownRoute, 1u);
}

TEST_F(RouteSyncTest, ABurstOfIntentsIsOneBatch) {
  up();
  std::vector<Intent> burst;
  for (int i = 0; i < 10000; ++i) {
    burst.push_back(intent(fmt::format("10.{}.{}.{}", 100 + i / 65536, (i / 256) % 256, i % 256)));
  }
  s.apply(burst, {}, now);
  auto out = s.takeOps(now);
  EXPECT_EQ(out.size(), 10000u);
  for (const auto& o : out) {
    ASSERT_EQ(o.kind, RouteOp::Kind::Add);
  }
  EXPECT_EQ(out.front().distance, 250);  // not claims: hold
  EXPECT_TRUE(s.takeOps(now).empty());
  EXPECT_EQ(s.takeStatus().size(), 10000u);
  EXPECT_EQ(s.pendingAnswers(), 10000u);
  for (int i = 0; i < 4000; ++i) {
    s.notify(
        0,
        burst[static_cast<size_t>(i)].key.prefix(),
        static_cast<uint32_t>(zapi::Note::Installed),
        now);
  }
  std::vector<RouteKey> gone;
  for (int i = 3000; i < 5000; ++i) {
    gone.push_back(burst[static_cast<size_t>(i)].key);
  }
  s.apply({}, gone, now);
  auto counts = s.stateCounts();
  EXPECT_EQ(counts[RouteState::Installed], 3000u);
  EXPECT_EQ(counts[RouteState::Pending], 5000u);
  EXPECT_EQ(s.pendingAnswers(), 5000u);
  size_t recount = 0;
  for (const auto& v : s.routes()) {
    recount += v.state == RouteState::Pending;
  }
  EXPECT_EQ(recount, 5000u);
}

TEST_F(RouteSyncTest, InterfaceDownWithdrawsAndUpRestores) {
  up();
  s.apply({intent("10.1.0.50"), intent("2001:db8:1::50")}, {}, now);
  EXPECT_EQ(ops().size(), 2u);
  s.interfaceState(0, "br10", kBr10, false, now);
  EXPECT_EQ(
      ops(),
      (std::vector<std::string>{
          "del zapi 10.1.0.50/32 vrf=0 if=7 d=250 t=2",
          "del zapi 2001:db8:1::50/128 vrf=0 if=7 d=250 t=2"}));
  EXPECT_EQ(state("10.1.0.50"), RouteState::Waiting);
  EXPECT_EQ(s.route(key("10.1.0.50"))->detail, "interface br10 is down");
  EXPECT_EQ(s.stats().interfaceWithdrawals, 2u);
  // A repeated DOWN changes nothing.
  s.interfaceState(0, "br10", kBr10, false, now);
  EXPECT_TRUE(ops().empty());
  s.interfaceState(0, "br10", kBr10, true, now);
  EXPECT_EQ(ops().size(), 2u);
  EXPECT_EQ(state("2001:db8:1::50"), RouteState::Pending);
}

TEST_F(RouteSyncTest, ZebraDownWaitsAndReconnectReplaysEverything) {
  s.apply({intent("10.1.0.50")}, {}, now);
  EXPECT_TRUE(ops().empty());  // not connected yet
  EXPECT_EQ(state("10.1.0.50"), RouteState::Waiting);
  up();
  EXPECT_EQ(ops().size(), 1u);
  s.notify(0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::Installed), now);
  s.zebraDown(now, "EOF");
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(state("10.1.0.50"), RouteState::Waiting);
  EXPECT_EQ(s.route(key("10.1.0.50"))->detail, "zebra not connected: EOF");
  // A withdrawal while zebra is away needs no delete: the replay simply does not re-send it.
  s.apply({intent("10.1.0.51")}, {key("10.1.0.50")}, now);
  EXPECT_TRUE(ops().empty());
  up();
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.51/32 vrf=0 if=7 d=250 t=2"});
  EXPECT_EQ(s.stats().replays, 2u);
}

TEST_F(RouteSyncTest, UnknownInterfaceOrVrfWaits) {
  up();
  s.apply({intent("10.1.0.50", false, "br99"), intent("10.2.0.5", false, "br20", "red")}, {}, now);
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(s.route(key("10.1.0.50"))->detail, "interface br99 unknown to zebra");
  EXPECT_EQ(s.route(key("10.2.0.5", "red"))->detail, "VRF red unknown to zebra");
  // The VRF appears (netns VRF backend: id 5), then its interface.
  s.vrfAdded("red", 5);
  EXPECT_TRUE(ops().empty());
  s.interfaceState(5, "br20", 3, true, now);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi red:10.2.0.5/32 vrf=5 if=3 d=250 t=2"});
  s.notify(5, *Prefix::parse("10.2.0.5/32"), static_cast<uint32_t>(zapi::Note::Installed), now);
  EXPECT_EQ(state("10.2.0.5", "red"), RouteState::Installed);
  // The same address in the default VRF is another route.
  s.notify(0, *Prefix::parse("10.2.0.5/32"), static_cast<uint32_t>(zapi::Note::Installed), now);
  EXPECT_EQ(s.stats().notifyUnknownRoute, 1u);
  // The VRF goes: its routes wait again.
  s.vrfDeleted(5, now);
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(state("10.2.0.5", "red"), RouteState::Waiting);
}

TEST_F(RouteSyncTest, FailInstallRetriesWithBackoff) {
  up();
  s.apply({intent("10.1.0.50")}, {}, now);
  EXPECT_EQ(ops().size(), 1u);
  auto fail = [&] {
    s.notify(
        0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::FailInstall), now);
  };
  fail();
  EXPECT_EQ(state("10.1.0.50"), RouteState::Failed);
  EXPECT_TRUE(ops().empty());
  now += 999ms;
  s.tick(now);
  EXPECT_TRUE(ops().empty());
  now += 1ms;
  s.tick(now);
  EXPECT_EQ(ops().size(), 1u);  // first retry after 1 s
  fail();
  now += 1999ms;
  s.tick(now);
  EXPECT_TRUE(ops().empty());
  now += 1ms;
  s.tick(now);
  EXPECT_EQ(ops().size(), 1u);  // then 2 s
  s.notify(0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::Installed), now);
  EXPECT_EQ(state("10.1.0.50"), RouteState::Installed);
  EXPECT_EQ(s.route(key("10.1.0.50"))->failures, 0u);
  EXPECT_EQ(s.stats().retries, 2u);
}

TEST_F(RouteSyncTest, UnsolicitedRemovedIsRepaired) {
  up();
  s.apply({intent("10.1.0.50")}, {}, now);
  (void)ops();
  s.notify(0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::Removed), now);
  EXPECT_EQ(state("10.1.0.50"), RouteState::Removed);
  now += 1s;
  s.tick(now);
  EXPECT_EQ(ops().size(), 1u);
}

TEST_F(RouteSyncTest, MarkAndSweep) {
  up();
  s.apply({intent("10.1.0.1"), intent("10.1.0.2"), intent("10.1.0.3")}, {}, now);
  EXPECT_EQ(ops().size(), 3u);
  EXPECT_FALSE(s.haveFullTable());
  s.syncBegin(7);
  EXPECT_TRUE(s.route(key("10.1.0.2"))->stale);
  s.apply({intent("10.1.0.1"), intent("10.1.0.3"), intent("10.1.0.4")}, {}, now);
  // Unchanged routes are not re-sent to zebra.
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.4/32 vrf=0 if=7 d=250 t=2"});
  EXPECT_EQ(s.syncEnd(6, now), 0u);  // another generation: ignored
  EXPECT_EQ(s.syncEnd(7, now), 1u);
  EXPECT_EQ(ops(), std::vector<std::string>{"del zapi 10.1.0.2/32 vrf=0 if=7 d=250 t=2"});
  EXPECT_TRUE(s.haveFullTable());
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.syncEnd(7, now), 0u);  // no SyncBegin: nothing swept
}

TEST_F(RouteSyncTest, ResyncNeverReclaimsButAMoveDoes) {
  up();
  s.apply({intent("10.1.0.50", false)}, {}, now);
  (void)ops();
  s.syncBegin(1);
  s.apply({intent("10.1.0.50", true)}, {}, now);
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(s.route(key("10.1.0.50"))->mode, Mode::Hold);
  s.syncEnd(1, now);
  // Outside a sync, a CLAIM of a held route (the host came back) claims again.
  s.apply({intent("10.1.0.50", true)}, {}, now);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=7 d=10 t=1"});
  // A move to another port during a sync is a change: it may claim.
  s.syncBegin(2);
  now += 5s;
  s.tick(now);
  (void)ops();
  s.interfaceState(0, "br20", 9, true, now);
  s.apply({intent("10.1.0.50", true, "br20")}, {}, now);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=9 d=10 t=1"});
}

TEST_F(RouteSyncTest, RemoteCopyOfAnOwnedHostIsTheMoveSignal) {
  up();
  s.apply({intent("10.1.0.50"), intent("2001:db8:1::50")}, {}, now);
  (void)ops();
  s.notify(0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::Installed), now);
  // Another ToR claims it: our hold loses (BETTER_ADMIN_WON), bgp's copy is redistributed.
  s.notify(
      0, *Prefix::parse("10.1.0.50/32"), static_cast<uint32_t>(zapi::Note::BetterAdminWon), now);
  s.redistributed(0, *Prefix::parse("10.1.0.50/32"), "bgp", 20, true, now);
  auto r = s.takeRemote();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].key, key("10.1.0.50"));
  EXPECT_EQ(r[0].protocol, "bgp");
  EXPECT_TRUE(r[0].present);
  EXPECT_EQ(state("10.1.0.50"), RouteState::Shadowed);
  EXPECT_EQ(s.remoteSnapshot().size(), 1u);
  EXPECT_EQ(*s.route(key("10.1.0.50"))->remoteProtocol, "bgp");
  // Not ours, not a host route, or a DEL of a copy that is not the best: no signal.
  s.redistributed(0, *Prefix::parse("10.1.0.77/32"), "bgp", 20, true, now);
  s.redistributed(0, *Prefix::parse("10.1.0.0/24"), "ospf", 110, true, now);
  s.redistributed(0, *Prefix::parse("10.1.0.50/32"), "ospf", 110, false, now);
  EXPECT_TRUE(s.takeRemote().empty());
  // The other ToR withdraws: present=false, and our route is evaluated again.
  s.redistributed(0, *Prefix::parse("10.1.0.50/32"), "bgp", 20, false, now);
  r = s.takeRemote();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].present);
  EXPECT_TRUE(s.remoteSnapshot().empty());
  // An IPv6 copy from ospf6.
  s.redistributed(0, *Prefix::parse("2001:db8:1::50/128"), "ospf6", 110, true, now);
  r = s.takeRemote();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].protocol, "ospf6");
}

TEST_F(RouteSyncTest, AHoldThatLosesFromTheStartIsShadowedNotPending) {
  up();
  s.redistributed(0, *Prefix::parse("10.1.0.60/32"), "ospf", 110, true, now);
  s.apply({intent("10.1.0.60")}, {}, now);
  EXPECT_EQ(ops().size(), 1u);
  EXPECT_EQ(state("10.1.0.60"), RouteState::Shadowed);
  EXPECT_EQ(s.route(key("10.1.0.60"))->detail, "ospf route selected (distance 110 < 250)");
  auto r = s.takeRemote();
  ASSERT_EQ(r.size(), 1u);  // already present when the learner took the host
  EXPECT_TRUE(r[0].present);
}

TEST_F(RouteSyncTest, WithdrawAndReAddInOneBatchSendsOnlyTheAdd) {
  up();
  s.apply({intent("10.1.0.50")}, {}, now);
  (void)ops();
  s.apply({}, {key("10.1.0.50")}, now);
  s.apply({intent("10.1.0.50")}, {}, now);
  EXPECT_TRUE(ops().empty());  // same route, still programmed
  s.apply({}, {key("10.1.0.50")}, now);
  s.interfaceState(0, "br20", 9, true, now);
  s.apply({intent("10.1.0.50", false, "br20")}, {}, now);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=9 d=250 t=2"});
}

TEST_F(RouteSyncTest, KernelTableMethodForIpv4) {
  Policy p;
  p.v4Backend = Backend::KernelTable;
  p.moveSignal = false;
  s.setPolicy(p);
  up();
  s.apply({intent("10.1.0.50"), intent("2001:db8:1::50")}, {}, now);
  EXPECT_EQ(
      ops(),
      (std::vector<std::string>{
          "add kernel-table 10.1.0.50/32 vrf=0 if=7 d=10 t=0",
          "add zapi 2001:db8:1::50/128 vrf=0 if=7 d=10 t=0"}));
  s.kernelDone(key("10.1.0.50"), true, now);
  EXPECT_EQ(state("10.1.0.50"), RouteState::Installed);
  // zebra restarts: kernel-table routes stay where they are, ZAPI routes wait.
  s.zebraDown(now, "EOF");
  EXPECT_EQ(state("10.1.0.50"), RouteState::Installed);
  EXPECT_EQ(state("2001:db8:1::50"), RouteState::Waiting);
  up();
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 2001:db8:1::50/128 vrf=0 if=7 d=10 t=0"});
  s.kernelFailed(key("10.1.0.50"), true, "No such device", now);
  EXPECT_EQ(state("10.1.0.50"), RouteState::Failed);
}

TEST_F(RouteSyncTest, KernelTableMethodKeepsVrfRoutesOnZapi) {
  Policy p;
  p.v4Backend = Backend::KernelTable;
  p.moveSignal = false;
  s.setPolicy(p);
  up();
  s.vrfAdded("red", 1);
  s.interfaceState(1, "br20", 3, true, now);
  s.apply({intent("10.1.0.50"), intent("10.1.0.50", false, "br20", "red")}, {}, now);
  EXPECT_EQ(
      ops(),
      (std::vector<std::string>{
          "add kernel-table 10.1.0.50/32 vrf=0 if=7 d=10 t=0",
          "add zapi red:10.1.0.50/32 vrf=1 if=3 d=10 t=0"}));
}

TEST_F(RouteSyncTest, PolicyChangeReprograms) {
  up();
  s.apply({intent("10.1.0.50")}, {}, now);
  (void)ops();
  Policy p = s.policy();
  p.holdDistance = 240;
  s.setPolicy(p);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=7 d=240 t=2"});
  p.moveSignal = false;
  p.distance = 15;
  s.setPolicy(p);
  EXPECT_EQ(ops(), std::vector<std::string>{"add zapi 10.1.0.50/32 vrf=0 if=7 d=15 t=0"});
  EXPECT_EQ(s.route(key("10.1.0.50"))->mode, Mode::Plain);
}

TEST_F(RouteSyncTest, ReconnectReportsRemoteChangesAfterTheDumps) {
  up();
  s.apply({intent("10.1.0.50"), intent("10.1.0.51")}, {}, now);
  s.redistributed(0, *Prefix::parse("10.1.0.50/32"), "bgp", 20, true, now);
  (void)s.takeRemote();
  s.zebraDown(now, "EOF");
  s.sessionReset();
  s.vrfAdded("default", 0);
  s.interfaceState(0, "br10", kBr10, true, now);
  // The replay of the new session: .51 is now remote, .50 is not.
  s.redistributed(0, *Prefix::parse("10.1.0.51/32"), "ospf", 110, true, now);
  EXPECT_TRUE(s.takeRemote().empty());  // nothing said during the dumps
  s.zebraUp(now);
  auto r = s.takeRemote();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].key, key("10.1.0.51"));
  EXPECT_TRUE(r[0].present);
  EXPECT_EQ(r[1].key, key("10.1.0.50"));
  EXPECT_FALSE(r[1].present);
}

}  // namespace
}  // namespace hr::fpm_client

namespace hr::fpm_client {
namespace {

TEST(RouteSyncOrphans, RoutesZebraKeptFromAPreviousRunAreDeletedAfterTheFullSync) {
  TimePoint now{};
  RouteSync s;
  s.sessionReset();
  s.vrfAdded("default", 0);
  s.interfaceState(0, "br10", 7, true, now);
  // zebra replays what it still holds of table/0 (graceful restart).
  s.ownRouteSeen(0, *Prefix::parse("10.1.0.50/32"), true);
  s.ownRouteSeen(0, *Prefix::parse("10.1.0.51/32"), true);
  s.ownRouteSeen(0, *Prefix::parse("10.1.0.0/24"), true);  // not a host route: not ours to judge
  s.zebraUp(now);
  s.syncBegin(1);
  Intent i;
  i.key = RouteKey{"", *IpAddress::parse("10.1.0.50")};
  i.ifname = "br10";
  s.apply({i}, {}, now);
  s.syncEnd(1, now);
  (void)s.takeOps(now);
  EXPECT_EQ(s.sweepOrphans(now), 1u);
  auto ops = s.takeOps(now);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, RouteOp::Kind::Delete);
  EXPECT_EQ(ops[0].key.address.str(), "10.1.0.51");
  EXPECT_EQ(s.sweepOrphans(now), 0u);  // once
  EXPECT_EQ(s.stats().orphansDeleted, 1u);
}

}  // namespace
}  // namespace hr::fpm_client

// RouteSync's shared mode (dual-attached hosts, MLAG/VLT): a route the learner marks
// HOST_ROUTE_SHARED is injected with the claim's distance and tag and kept there: it never
// relaxes into a hold that would yield to the other router's copy. Table of transitions,
// then the properties the fabric relies on (no relax, the hidden copy, resync, status).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/codec/zapi.h"
#include "fpm_client/route_sync.h"

namespace hr::fpm_client {
namespace {

using namespace std::chrono_literals;
namespace zapi = codec::zapi;

constexpr uint32_t kBr10 = 7;
const char* kAddr = "10.1.0.50";

RouteKey key(const std::string& a = kAddr) {
  return RouteKey{"", *IpAddress::parse(a)};
}

Intent intent(bool claim, bool shared, const std::string& ifname = "br10") {
  Intent i;
  i.key = key();
  i.ifname = ifname;
  i.ifindex = kBr10;
  i.claim = claim;
  i.shared = shared;
  return i;
}

std::vector<std::string> strs(const std::vector<RouteOp>& ops) {
  std::vector<std::string> v;
  for (const auto& op : ops) {
    v.push_back(fmt::format(
        "{} d={} t={}", op.kind == RouteOp::Kind::Add ? "add" : "del", op.distance, op.tag));
  }
  std::sort(v.begin(), v.end());
  return v;
}

struct Fixture {
  explicit Fixture(bool moveSignal = true) {
    Policy p;
    p.claimWindow = 2s;
    p.moveSignal = moveSignal;
    s = RouteSync(p);
    s.sessionReset();
    s.vrfAdded("default", 0);
    s.interfaceState(0, "br10", kBr10, true, now);
    s.interfaceState(0, "br11", kBr10 + 1, true, now);
    s.zebraUp(now);
  }
  std::vector<std::string> ops() {
    return strs(s.takeOps(now));
  }
  Mode mode() {
    return s.route(key())->mode;
  }
  void installed() {
    s.notify(0, Prefix::host(key().address), static_cast<uint32_t>(zapi::Note::Installed), now);
  }
  TimePoint now = TimePoint{} + 1000s;
  RouteSync s;
};

// Where the route starts before the step under test.
enum class From { None, Claim, Hold, Shared };

struct Case {
  const char* name;
  From from;
  bool resync;  // the step is part of a learner resynchronisation
  bool claim;   // the step's intent flags
  bool shared;
  const char* ifname;
  Mode want;
  std::vector<std::string> wantOps;
};

TEST(RouteSyncShared, Transitions) {
  const std::vector<Case> cases = {
      {"new shared host", From::None, false, false, true, "br10", Mode::Shared, {"add d=10 t=1"}},
      {"new host learned as claim+shared (was shared): never a claim",
       From::None,
       false,
       true,
       true,
       "br10",
       Mode::Shared,
       {"add d=10 t=1"}},
      {"hold becomes shared: raised to the claim's distance",
       From::Hold,
       false,
       false,
       true,
       "br10",
       Mode::Shared,
       {"add d=10 t=1"}},
      {"claim becomes shared within its window: nothing to send",
       From::Claim,
       false,
       false,
       true,
       "br10",
       Mode::Shared,
       {}},
      {"shared re-sent shared: nothing",
       From::Shared,
       false,
       false,
       true,
       "br10",
       Mode::Shared,
       {}},
      {"the learner clears shared: held again",
       From::Shared,
       false,
       false,
       false,
       "br10",
       Mode::Hold,
       {"add d=250 t=2"}},
      {"shared, then a claim without the flag: a claim",
       From::Shared,
       false,
       true,
       false,
       "br10",
       Mode::Claim,
       {}},
      {"resync re-sends it without the flag (restarted learner): kept shared",
       From::Shared,
       true,
       false,
       false,
       "br10",
       Mode::Shared,
       {}},
      {"resync re-sends it shared", From::Shared, true, false, true, "br10", Mode::Shared, {}},
      {"resync, moved to another interface without the flag: held",
       From::Shared,
       true,
       false,
       false,
       "br11",
       Mode::Hold,
       {"add d=250 t=2"}},
      {"resync marks a hold shared",
       From::Hold,
       true,
       false,
       true,
       "br10",
       Mode::Shared,
       {"add d=10 t=1"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Fixture f;
    switch (c.from) {
      case From::None:
        break;
      case From::Claim:
        f.s.apply({intent(true, false)}, {}, f.now);
        break;
      case From::Hold:
        f.s.apply({intent(false, false)}, {}, f.now);
        break;
      case From::Shared:
        f.s.apply({intent(false, true)}, {}, f.now);
        break;
    }
    (void)f.ops();
    if (c.resync) {
      f.s.syncBegin(7);
    }
    f.s.apply({intent(c.claim, c.shared, c.ifname)}, {}, f.now);
    EXPECT_EQ(f.ops(), c.wantOps);
    EXPECT_EQ(f.mode(), c.want);
    if (c.resync) {
      EXPECT_EQ(f.s.syncEnd(7, f.now), 0u);
      EXPECT_TRUE(f.ops().empty());
      EXPECT_EQ(f.mode(), c.want);
    }
  }
}

TEST(RouteSyncShared, NeverRelaxes) {
  Fixture f;
  f.s.apply({intent(true, false)}, {}, f.now);  // a claim ...
  (void)f.ops();
  f.now += 500ms;
  f.s.apply({intent(false, true)}, {}, f.now);  // ... found shared within its window
  f.installed();
  for (int i = 0; i < 10; ++i) {
    f.now += 1s;
    f.s.tick(f.now);
    EXPECT_TRUE(f.ops().empty()) << i;
  }
  EXPECT_EQ(f.mode(), Mode::Shared);
  EXPECT_EQ(f.s.stats().relaxed, 0u);
  auto v = f.s.route(key());
  EXPECT_EQ(v->distance, 10);
  EXPECT_EQ(v->tag, 1u);
  EXPECT_FALSE(v->claimUntil);
  EXPECT_EQ(v->state, RouteState::Installed);
  EXPECT_EQ(v->detail, "installed as shared (distance 10)");
}

TEST(RouteSyncShared, TheOtherRoutersCopyIsHiddenNotFought) {
  Fixture f;
  f.s.apply({intent(false, false)}, {}, f.now);  // held
  (void)f.ops();
  f.installed();
  // The other router of the pair advertises it: its eBGP copy (20) beats our hold (250).
  f.s.notify(
      0, Prefix::host(key().address), static_cast<uint32_t>(zapi::Note::BetterAdminWon), f.now);
  f.s.redistributed(0, Prefix::host(key().address), "bgp", 20, true, f.now);
  auto r = f.s.takeRemote();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].present);
  EXPECT_EQ(f.s.route(key())->state, RouteState::Shadowed);
  // The learner verified it: shared. Raised to 10, ours wins again and zebra stops
  // redistributing the other copy: reported as it is (present=false), the mode stays.
  f.s.apply({intent(false, true)}, {}, f.now);
  EXPECT_EQ(f.ops(), std::vector<std::string>{"add d=10 t=1"});
  f.installed();
  f.s.redistributed(0, Prefix::host(key().address), "bgp", 20, false, f.now);
  r = f.s.takeRemote();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].present);
  EXPECT_TRUE(f.ops().empty());
  EXPECT_EQ(f.mode(), Mode::Shared);
  EXPECT_EQ(f.s.route(key())->state, RouteState::Installed);
  // A copy that zebra shows again (e.g. a protocol with a better distance) changes nothing.
  f.s.redistributed(0, Prefix::host(key().address), "ospf", 110, true, f.now);
  EXPECT_TRUE(f.ops().empty());
  EXPECT_EQ(f.mode(), Mode::Shared);
  EXPECT_EQ(f.s.route(key())->state, RouteState::Installed);
}

TEST(RouteSyncShared, StatusTellsTheLearnerItIsShared) {
  Fixture f;
  f.s.apply({intent(false, true)}, {}, f.now);
  (void)f.ops();
  auto st = f.s.takeStatus();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_TRUE(st[0].shared);
  f.installed();
  st = f.s.takeStatus();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_TRUE(st[0].shared);
  auto snap = f.s.statusSnapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_TRUE(snap[0].shared);
  // Held again: the status says so.
  f.s.apply({intent(false, false)}, {}, f.now);
  (void)f.ops();
  st = f.s.takeStatus();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_FALSE(st[0].shared);
  EXPECT_EQ(f.s.stats().shared, 1u);
}

TEST(RouteSyncShared, ResyncKeepsItSharedAndCountsIt) {
  Fixture f;
  f.s.apply({intent(false, true)}, {}, f.now);
  (void)f.ops();
  f.s.syncBegin(1);
  f.s.apply({intent(false, false)}, {}, f.now);
  f.s.syncEnd(1, f.now);
  EXPECT_TRUE(f.ops().empty());
  EXPECT_EQ(f.mode(), Mode::Shared);
  EXPECT_EQ(f.s.stats().sharedKeptOnSync, 1u);
  // After the sync, the learner's word counts again.
  f.s.apply({intent(false, false)}, {}, f.now);
  EXPECT_EQ(f.ops(), std::vector<std::string>{"add d=250 t=2"});
}

TEST(RouteSyncShared, MoveSignalOffIsPlainAndComesBackShared) {
  Fixture f(false);
  f.s.apply({intent(false, true)}, {}, f.now);
  EXPECT_EQ(f.ops(), std::vector<std::string>{"add d=10 t=0"});
  EXPECT_EQ(f.mode(), Mode::Plain);
  Policy p = f.s.policy();
  p.moveSignal = true;
  f.s.setPolicy(p);
  EXPECT_EQ(f.ops(), std::vector<std::string>{"add d=10 t=1"});
  EXPECT_EQ(f.mode(), Mode::Shared);
}

}  // namespace
}  // namespace hr::fpm_client

// Dual-attached (MLAG/VLT) hosts in the host table: once a host is shared it stays shared
// while it answers here (the other router's copy, hidden or not, is no move signal), it is
// re-checked out of its own port when quiet and withdrawn when that goes unanswered, it comes
// back shared after its link here failed, a restarted learner adopts the flag from
// fpm_client, and the operator can clear it. docs/host-routing.md "Dual-attached hosts".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hostroute_learner/host_table.h"
#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

const char* kMac = "02:aa:00:00:00:01";
const char* kAddr = "10.1.0.11";

// baseConfig: hold 10 s, 3 probes 1 s apart, verify-time 300 ms: the shared recheck is
// max(10 x 300 ms, 3 x 1 s) = 3 s of quiet. br10 is dual-attached (an MLAG pair with tor2):
// only there is a host shared (remote_conflict_test.cpp has the other interfaces).
LearnerConfig pairConfig() {
  auto c = baseConfig();
  c.interfaces[0].dualAttached = DualAttached{"tor2", {}};
  return c;
}

// A host learned at 0 on port p1 (11), past its claim grace at 4 s, then found shared: the
// other router's route arrives and the host answers the verification.
void makeShared(Harness& h) {
  h.see(kAddr, kMac);
  h.advanceTo(4);
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  h.see(kAddr, kMac, Source::ArpReply);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].flags, kFlagShared);
  ASSERT_TRUE(h.table.hostJson("", ip(kAddr), h.now).value()["shared"].get<bool>());
  h.out.clear();
}

nlohmann::json host(Harness& h) {
  return h.table.hostJson("", ip(kAddr), h.now).value();
}

TEST(Shared, TheOtherCopyComingAndGoingChangesNothing) {
  Harness h(pairConfig());
  makeShared(h);
  // zebra hides the other copy behind our steady route (present=false), shows it again
  // (present=true), a remote snapshot re-lists it...: no probe, no publication.
  for (bool present : {false, true, false, true, true, false}) {
    h.table.remoteRoute("", ip(kAddr), present, "ospf", h.now, h.out);
    h.see(kAddr, kMac, Source::Neighbor);
  }
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  EXPECT_TRUE(host(h)["shared"].get<bool>());
  EXPECT_EQ(h.counter("mobility.shared"), 1u);
}

TEST(Shared, QuietHostIsRecheckedOutOfItsPortAndKeptWhileItAnswers) {
  Harness h(pairConfig());
  makeShared(h);  // last seen at 4 s
  h.advanceTo(6.99);
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  h.advanceTo(7);  // quiet for 3 s
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, ProbeReason::RecheckShared);
  EXPECT_EQ(p[0].sendIfindex, 11);  // its own port, not the bridge (a peer link could answer)
  EXPECT_EQ(p[0].ifindex, 10);
  h.see(kAddr, kMac, Source::ArpReply);
  h.out.clear();
  h.advanceTo(9.9);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  h.advanceTo(10);  // quiet again for 3 s: checked again, never aged by the hold time
  EXPECT_EQ(h.take<ProbeAction>().size(), 1u);
  h.see(kAddr, kMac, Source::ArpReply);
  EXPECT_EQ(h.counter("mobility.shared_rechecks"), 2u);
  EXPECT_EQ(host(h)["state"], "active");
}

TEST(Shared, ABusyHostIsNeverProbed) {
  Harness h(pairConfig());
  makeShared(h);
  for (double t = 5; t <= 30; t += 1) {
    h.advanceTo(t);
    h.see(kAddr, kMac, Source::ArpRequest);
  }
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_EQ(h.counter("mobility.shared_rechecks"), 0u);
}

TEST(Shared, NoAnswerOutOfItsPortWithdrawsWithinTheRecheckNotTheHoldTime) {
  Harness h(pairConfig());
  makeShared(h);
  h.advanceTo(7);  // recheck starts: 2 probes within verify-time
  h.advanceTo(7.29);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  h.advanceTo(7.3);
  auto w = h.take<PublishAction>();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_FALSE(w[0].add);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].reason, ProbeReason::RecheckShared);
  auto j = host(h);
  EXPECT_EQ(j["state"], "withdrawn");
  EXPECT_EQ(j["reason"], "aged");
  EXPECT_EQ(j["moves"], 0);  // not a move: it stopped answering here
  EXPECT_EQ(h.counter("mobility.shared_lost"), 1u);
}

TEST(Shared, BackAfterItsLinkFailedItIsSharedAtOnce) {
  Harness h(pairConfig());
  makeShared(h);
  h.advanceTo(7.3);  // withdrawn by the recheck
  h.out.clear();
  h.advanceTo(20);
  h.see(kAddr, kMac, Source::Garp);  // the link came back
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].add);
  // fpm_client injects it shared (never a claim that relaxes into a hold and yields).
  EXPECT_EQ(p[0].flags, kFlagClaim | kFlagShared);
  EXPECT_TRUE(host(h)["shared"].get<bool>());
  // And it is rechecked as before.
  h.out.clear();
  h.advanceTo(23);
  auto q = h.take<ProbeAction>();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].reason, ProbeReason::RecheckShared);
}

struct ForgetCase {
  const char* name;
  bool shared;        // shared when it left
  const char* how;    // "aged" (no answer), "moved-away" (remote signal), "cleared"
  uint32_t backWith;  // flags when learned again
};

TEST(Shared, WhatIsRememberedWhenTheHostLeaves) {
  const ForgetCase cases[] = {
      {"shared, stopped answering", true, "aged", kFlagClaim | kFlagShared},
      {"not shared, stopped answering", false, "aged", kFlagClaim},
      {"not shared, moved away on the signal", false, "moved-away", kFlagClaim},
      {"shared, forgotten by the operator", true, "cleared", kFlagClaim},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Harness h(pairConfig());
    if (c.shared) {
      makeShared(h);
    } else {
      h.see(kAddr, kMac);
      h.advanceTo(4);
    }
    std::string how = c.how;
    if (how == "aged") {
      h.advanceTo(30);
    } else if (how == "moved-away") {
      h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
      h.advanceTo(5);
    } else {
      ASSERT_TRUE(h.table.clear("", ip(kAddr), "all", h.now, h.out));
    }
    if (how != "cleared") {
      ASSERT_EQ(host(h)["state"], "withdrawn");
      EXPECT_EQ(host(h)["reason"], how);
    }
    h.out.clear();
    h.advanceTo(40);
    h.see(kAddr, kMac, Source::Garp);
    auto p = h.take<PublishAction>();
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].flags, c.backWith);
  }
}

TEST(Shared, ARestartedLearnerAdoptsTheFlagFromFpmClient) {
  Harness h(pairConfig());
  Observation o;
  o.ifindex = 10;
  o.port = 11;
  o.ip = ip(kAddr);
  o.mac = mac(kMac);
  o.source = Source::Neighbor;
  o.fromDump = true;  // found in the kernel's table at start-up: published without flags
  h.table.observe(o, h.now, h.out);
  ASSERT_EQ(h.take<PublishAction>()[0].flags, 0u);
  h.table.routeStatus("", ip(kAddr), RouteState::Installed, h.now, h.out, /*shared=*/true);
  EXPECT_TRUE(host(h)["shared"].get<bool>());
  auto snap = h.table.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].flags, kFlagShared);        // the resync says shared
  EXPECT_EQ(h.counter("mobility.shared"), 0u);  // adopted, not detected here
  // Only from the first status heard: a later one never re-flags a host (it may predate
  // an operator's clear).
  Harness g(pairConfig());
  g.table.observe(o, g.now, g.out);
  g.table.routeStatus("", ip(kAddr), RouteState::Installed, g.now, g.out, false);
  g.table.routeStatus("", ip(kAddr), RouteState::Pending, g.now, g.out, true);
  EXPECT_FALSE(g.table.hostJson("", ip(kAddr), g.now).value()["shared"].get<bool>());
}

TEST(Shared, TheOperatorClearsTheFlag) {
  Harness h(pairConfig());
  makeShared(h);
  auto r = h.table.clear("", ip(kAddr), "shared", h.now, h.out);
  ASSERT_TRUE(r) << r.error().str();
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, 0u);  // held again
  EXPECT_FALSE(host(h)["shared"].get<bool>());
  EXPECT_FALSE(h.table.clear("", ip(kAddr), "shared", h.now, h.out));  // not shared now
  // No recheck any more: it ages as any host (probing at hold - retries x interval - the
  // aging margin = 6.9 s of quiet).
  h.out.clear();
  h.advanceTo(10.89);
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  h.advanceTo(10.9);
  auto q = h.take<ProbeAction>();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].reason, ProbeReason::Aging);
  // The other router's copy is a move signal again.
  h.see(kAddr, kMac, Source::ArpReply);
  h.out.clear();
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  EXPECT_EQ(h.take<ProbeAction>().size(), 1u);
}

}  // namespace
}  // namespace hr::learner::test

// The host table's side of a learner restart and of its link to fpm_client:
//  - recover(): the routes fpm_client held across the restart that the table has no record of
//    (hosts known only from snooping) are probed before the sync ends; those that answer are
//    learned again (not a claim), the others are left to fpm_client's sweep;
//  - the timeline says "injected" only when the intent reaches fpm_client;
//  - the kernel neighbour entry of a host whose address a conflicting announcement pointed
//    elsewhere is set back to the verified binding;
//  - RARP from a host's MAC (a hypervisor after a live migration) is a hint for that host.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hostroute_learner/host_table.h"
#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

const char* kMac = "02:aa:00:00:00:01";
const char* kSpoof = "02:bb:00:00:00:02";

nlohmann::json host(Harness& h, const char* a) {
  return h.table.hostJson("", ip(a), h.now).value();
}

std::vector<std::string> eventNames(const nlohmann::json& j) {
  std::vector<std::string> r;
  for (const auto& e : j["timeline"]) {
    r.push_back(e["event"]);
  }
  return r;
}

// ---- recover ---------------------------------------------------------------------------

TEST(Recover, UnknownHeldRoutesAreProbedWhereTheyAreAdmitted) {
  Harness h;
  h.see("10.1.0.12", kMac, Source::Neighbor);  // known (the kernel's table had it)
  h.out.clear();
  h.table.recover(
      {{"", ip("10.1.0.11"), false},
       {"", ip("10.1.0.12"), false},       // known: not probed
       {"", ip("2001:db8:1::11"), false},  // IPv6: a multicast NS
       {"", ip("10.7.0.1"), false}},       // admitted nowhere: left to the sweep
      h.now,
      h.out);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].target, ip("10.1.0.11"));
  EXPECT_TRUE(p[0].broadcast);
  EXPECT_EQ(p[0].sendIfindex, 10);
  EXPECT_EQ(p[0].src, ip("10.1.0.2"));  // the switch's own address, never 0.0.0.0 here
  EXPECT_EQ(p[0].reason, ProbeReason::Recover);
  EXPECT_EQ(p[1].target, ip("2001:db8:1::11"));
  EXPECT_TRUE(p[1].broadcast);
  EXPECT_EQ(h.table.recovering(), 2u);
  EXPECT_EQ(h.counter("recover.probed"), 2u);
  // Asked twice within verify-time.
  h.out.clear();
  h.advanceTo(0.15);
  EXPECT_EQ(h.take<ProbeAction>().size(), 2u);
  // 10.1.0.11 answers: learned again, published without a claim (it was here).
  h.see("10.1.0.11", kMac, Source::ArpReply);
  auto pub = h.take<PublishAction>();
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub[0].flags, 0u);
  auto j = host(h, "10.1.0.11");
  EXPECT_NE(j["timeline"][0]["detail"].get<std::string>().find("recovered"), std::string::npos)
      << j["timeline"];
  EXPECT_EQ(h.table.recovering(), 1u);
  // The IPv6 host stays silent: given up at verify-time, nothing published.
  h.out.clear();
  h.advanceTo(0.29);
  EXPECT_EQ(h.table.recovering(), 1u);
  h.advanceTo(0.3);
  EXPECT_EQ(h.table.recovering(), 0u);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_EQ(h.counter("recover.recovered"), 1u);
  EXPECT_EQ(h.counter("recover.unanswered"), 1u);
  EXPECT_FALSE(h.table.nextDeadline() && *h.table.nextDeadline() <= h.now);
}

TEST(Recover, AWithdrawnHostIsNotRecoveredAndASharedOneComesBackShared) {
  auto cfg = baseConfig();
  cfg.interfaces[0].dualAttached = DualAttached{"tor2", {}};
  Harness h(cfg);
  h.see("10.1.0.13", kMac);
  ASSERT_TRUE(h.table.clear("", ip("10.1.0.13"), "all", h.now, h.out));  // forgotten
  h.see("10.1.0.14", kMac);
  h.advanceTo(30);  // aged out: withdrawn, remembered
  ASSERT_EQ(host(h, "10.1.0.14")["state"], "withdrawn");
  h.out.clear();
  h.table.recover(
      {{"", ip("10.1.0.13"), false}, {"", ip("10.1.0.14"), false}, {"", ip("10.1.0.15"), true}},
      h.now,
      h.out);
  ASSERT_EQ(h.take<ProbeAction>().size(), 2u);  // .13 (forgotten) and .15; never .14
  h.see("10.1.0.15", kMac, Source::ArpReply);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, kFlagShared);  // fpm_client had it shared; br10 is dual-attached
}

TEST(Recover, AnotherRoutersCopyReportedMeanwhileMakesItTheNewcomer) {
  Harness h;
  h.table.recover({{"", ip("10.1.0.16"), false}}, h.now, h.out);
  h.table.remoteRoute("", ip("10.1.0.16"), true, "bgp", h.now, h.out);  // the remote snapshot
  h.see("10.1.0.16", kMac, Source::ArpReply);
  auto j = host(h, "10.1.0.16");
  EXPECT_TRUE(j["contested"].get<bool>());
  EXPECT_TRUE(j["remoteRoute"].get<bool>());
  // At the end of its arrival grace it is verified: it answers and this router yields.
  h.out.clear();
  h.advanceTo(3);
  ASSERT_EQ(h.take<ProbeAction>().size(), 1u);
  h.see("10.1.0.16", kMac, Source::ArpReply);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_EQ(host(h, "10.1.0.16")["duplicateOf"]["role"], "newcomer");
}

TEST(Recover, TheProbeBudgetPacesABigRecovery) {
  auto cfg = baseConfig();
  cfg.probeRateLimit = 10;  // a burst of 1 token
  Harness h(cfg);
  std::vector<HeldRoute> held;
  for (int i = 1; i <= 20; ++i) {
    held.push_back({"", IpAddress::v4(0x0a010000u + static_cast<uint32_t>(100 + i)), false});
  }
  h.table.recover(held, h.now, h.out);
  EXPECT_LE(h.take<ProbeAction>().size(), 2u);
  h.advanceTo(10);
  EXPECT_EQ(h.table.recovering(), 0u);
  EXPECT_EQ(h.counter("recover.probed"), 20u);
  EXPECT_EQ(h.counter("recover.unanswered"), 20u);
  EXPECT_GE(h.counter("probes.deferred"), 1u);
}

// ---- the timeline tells the truth about intents ------------------------------------------

TEST(Timeline, IntentsHeldWhileFpmClientIsAwayThenSentWithTheSync) {
  Harness h;
  h.table.setSouthbound(false, h.now);
  h.see("10.1.0.11", kMac);
  auto j = host(h, "10.1.0.11");
  EXPECT_EQ(eventNames(j), (std::vector<std::string>{"learned", "intent-held"}));
  h.advanceTo(1);
  h.table.setSouthbound(true, h.now);
  h.table.syncSent(h.now);
  j = host(h, "10.1.0.11");
  EXPECT_EQ(eventNames(j), (std::vector<std::string>{"learned", "intent-held", "injected"}));
  EXPECT_NE(j["timeline"][2]["detail"].get<std::string>().find("sync"), std::string::npos);
  // Connected: "injected" at once; an intent the connection lost on the way is said so.
  h.see("10.1.0.12", kMac);
  h.table.intentDropped("", ip("10.1.0.12"), h.now);
  EXPECT_EQ(
      eventNames(host(h, "10.1.0.12")),
      (std::vector<std::string>{"learned", "injected", "intent-held"}));
  h.table.syncSent(h.now);
  EXPECT_EQ(eventNames(host(h, "10.1.0.12")).back(), "injected");
}

// ---- the kernel's neighbour entry after a local conflict -----------------------------------

TEST(NeighborRestore, TheVerifiedBindingIsWrittenBackAfterASpoofAndAfterEachRepoison) {
  Harness h;
  h.see("10.1.0.36", kMac, Source::ArpRequest, 11);
  h.advanceTo(1);
  h.out.clear();
  h.see("10.1.0.36", kSpoof, Source::Garp, 12);     // the spoofer, on port p2
  h.see("10.1.0.36", kSpoof, Source::Neighbor, 0);  // the kernel followed it
  EXPECT_TRUE(h.take<NeighborAction>().empty());    // not before the verification
  h.advanceTo(1.01);
  h.see("10.1.0.36", kMac, Source::ArpReply, 11);  // the real host answers
  auto n = h.take<NeighborAction>();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].ifindex, 10);
  EXPECT_EQ(n[0].ip, ip("10.1.0.36"));
  EXPECT_EQ(n[0].mac, mac(kMac));
  EXPECT_TRUE(host(h, "10.1.0.36")["duplicate"].get<bool>());
  // The spoofer keeps announcing: each time the kernel follows, the entry is set back.
  h.out.clear();
  for (int i = 0; i < 3; ++i) {
    h.see("10.1.0.36", kSpoof, Source::Garp, 12);
    h.see("10.1.0.36", kSpoof, Source::Neighbor, 0);
  }
  EXPECT_EQ(h.take<NeighborAction>().size(), 3u);
  EXPECT_EQ(h.counter("mobility.neighbor_restores"), 4u);
  // The restored entry itself (STALE, the real MAC) is no sign of life and no conflict.
  Observation o;
  o.ifindex = 10;
  o.ip = ip("10.1.0.36");
  o.mac = mac(kMac);
  o.confirms = false;
  h.out.clear();
  h.table.observe(o, h.now, h.out);
  EXPECT_TRUE(h.out.empty());
}

// ---- RARP ----------------------------------------------------------------------------------

Observation rarp(const char* m, int port) {
  Observation o;
  o.ifindex = 10;
  o.port = port;
  o.ip = IpAddress::v4(uint32_t{0});
  o.mac = mac(m);
  o.source = Source::Rarp;
  return o;
}

TEST(Rarp, FromWhereTheHostIsItIsASignOfLife) {
  Harness h;
  h.see("10.1.0.11", kMac, Source::ArpRequest, 11);
  h.see("2001:db8:1::11", kMac, Source::Ns, 11);
  h.advanceTo(5);
  h.out.clear();
  h.table.observe(rarp(kMac, 11), h.now, h.out);
  EXPECT_TRUE(h.out.empty());
  for (const char* a : {"10.1.0.11", "2001:db8:1::11"}) {
    auto j = host(h, a);
    EXPECT_EQ(j["lastSeenMsAgo"], 0);
    EXPECT_EQ(j["timeline"].back()["detail"], "rarp");
  }
  EXPECT_EQ(h.counter("mobility.rarp_hints"), 2u);
}

TEST(Rarp, OnAnotherPortTheOldBindingIsVerifiedAndTheHostMoves) {
  Harness h;
  h.see("10.1.0.11", kMac, Source::ArpRequest, 11);
  h.advanceTo(5);
  h.out.clear();
  h.table.observe(rarp(kMac, 12), h.now, h.out);  // migrated to the hypervisor on p2
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, ProbeReason::VerifyMove);
  EXPECT_EQ(p[0].sendIfindex, 11);  // the old port
  h.advanceTo(5.3);                 // silent there
  auto j = host(h, "10.1.0.11");
  EXPECT_EQ(j["port"], "p2");
  EXPECT_EQ(j["reason"], "moved");
  EXPECT_EQ(j["moves"], 1);
}

TEST(Rarp, AWithdrawnHostIsProbedOnThePortTheRarpCameFrom) {
  Harness h;
  h.see("10.1.0.11", kMac, Source::ArpRequest, 11);
  h.advanceTo(5);
  h.table.remoteRoute("", ip("10.1.0.11"), true, "bgp", h.now, h.out);
  h.advanceTo(5.3);
  ASSERT_EQ(host(h, "10.1.0.11")["reason"], "moved-away");
  h.out.clear();
  h.advanceTo(20);
  h.table.observe(rarp(kMac, 12), h.now, h.out);  // back, behind p2
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, ProbeReason::RarpHint);
  EXPECT_EQ(p[0].sendIfindex, 12);
  EXPECT_EQ(p[0].dstMac, mac(kMac));
  EXPECT_EQ(p[0].target, ip("10.1.0.11"));
  h.see("10.1.0.11", kMac, Source::ArpReply, 12);  // it answers: learned again at once
  auto pub = h.take<PublishAction>();
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub[0].flags, kFlagClaim);
  // An unknown MAC, a multicast one, or a flood: nothing, and a flood is throttled.
  h.out.clear();
  h.table.observe(rarp("02:cc:00:00:00:03", 12), h.now, h.out);
  for (int i = 0; i < 200; ++i) {
    h.table.observe(rarp("02:cc:00:00:00:03", 12), h.now, h.out);
  }
  EXPECT_TRUE(h.out.empty());
  EXPECT_GE(h.counter("mobility.rarp_throttled"), 100u);
}

}  // namespace
}  // namespace hr::learner::test

// The frr-hostroute-vrrp YANG module and vrrp_anycast's typed config: defaults, the
// checks YANG cannot express (each naming its path), the learner's XPath contract.
#include <gtest/gtest.h>
#include <libyang/libyang.h>

#include <string>

#include "core/config/yang.h"
#include "vrrp_anycast/tracking.h"
#include "vrrp_anycast/vmac_plan.h"
#include "vrrp_anycast/vrrp_config.h"

namespace hr::vrrp {
namespace {

std::shared_ptr<config::YangContext> ctx() {
  static auto c = config::YangContext::load(std::string(HR_SOURCE_DIR) + "/yang").value();
  return c;
}

config::ConfigResult<VrrpConfig> parse(const std::string& json) {
  auto t = config::parseString(ctx(), json, config::Format::Json);
  if (!t) {
    return Unexpected<config::ConfigError>(t.error());
  }
  return parseVrrpConfig(*t);
}

std::string doc(const std::string& group, const std::string& extra = "") {
  return R"({"frr-hostroute:hostroute": {"interface": [{"name": "br10", "frr-hostroute-vrrp:vrrp": {"group": [)" +
         group + "]}}]" + extra + "}}";
}

TEST(Config, DefaultsAndAllFields) {
  auto c = parse(doc(R"({"vrid": 10, "virtual-address": ["10.1.0.1", "2001:db8:1::1"]})"));
  ASSERT_TRUE(c) << c.error().str();
  ASSERT_EQ(c->groups.size(), 1u);
  const auto& g = c->groups[0];
  EXPECT_EQ(g.interface, "br10");
  EXPECT_EQ(g.vrid, 10);
  EXPECT_EQ(g.version, 3);
  EXPECT_EQ(g.priority, 100);
  EXPECT_EQ(g.adverIntCs, 100);
  EXPECT_TRUE(g.preempt);
  EXPECT_TRUE(g.anycast);
  EXPECT_EQ(g.checksum, codec::vrrp::ChecksumForm::PseudoHeader);
  EXPECT_EQ(g.refreshSeconds, 0u);
  EXPECT_EQ(g.withdraw, WithdrawPolicy::WhenAllDown);
  EXPECT_EQ(g.restoreDelaySeconds, 0u);
  ASSERT_EQ(g.v4.size(), 1u);
  ASSERT_EQ(g.v6.size(), 1u);
  EXPECT_EQ(g.v6[0].str(), "2001:db8:1::1");
  EXPECT_EQ(c->onStop, OnStop::Keep);

  c = parse(doc(
      R"({"vrid": 7, "virtual-address": ["10.1.0.1"], "priority": 200, "advertisement-interval": 50,
          "preempt": false, "checksum": "without-pseudo-header", "anycast": false,
          "gratuitous-refresh-interval": 30,
          "track": {"interface": [{"name": "swp1", "priority-decrement": 150}],
                    "route": [{"prefix": "0.0.0.0/0", "priority-decrement": 20}, {"prefix": "::/0", "table": 100}],
                    "withdraw-anycast": "when-any-down", "restore-delay": 15}})",
      R"(, "frr-hostroute-vrrp:vrrp-anycast": {"on-stop": "remove"})"));
  ASSERT_TRUE(c) << c.error().str();
  const auto& h = c->groups[0];
  EXPECT_EQ(h.priority, 200);
  EXPECT_EQ(h.adverIntCs, 50);
  EXPECT_FALSE(h.preempt);
  EXPECT_FALSE(h.anycast);
  EXPECT_EQ(h.checksum, codec::vrrp::ChecksumForm::NoPseudoHeader);
  EXPECT_EQ(h.refreshSeconds, 30u);
  ASSERT_EQ(h.trackInterfaces.size(), 1u);
  EXPECT_EQ(h.trackInterfaces[0], (TrackInterface{"swp1", 150}));
  ASSERT_EQ(h.trackRoutes.size(), 2u);
  EXPECT_EQ(h.trackRoutes[0].prefix.str(), "0.0.0.0/0");
  EXPECT_EQ(h.trackRoutes[1].table, 100u);
  EXPECT_EQ(h.trackRoutes[1].decrement, 10);
  EXPECT_EQ(h.withdraw, WithdrawPolicy::WhenAnyDown);
  EXPECT_EQ(h.restoreDelaySeconds, 15u);
  EXPECT_EQ(c->onStop, OnStop::Remove);
}

struct Bad {
  const char* what;
  std::string json;
  const char* path;     // expected in the error
  const char* message;  // expected in the error
};

TEST(Config, RefusalsNameThePath) {
  const Bad bad[] = {
      {"no address", doc(R"({"vrid": 10})"), "group/virtual-address", "Too few"},
      {"vrid 0", doc(R"({"vrid": 0, "virtual-address": ["10.1.0.1"]})"), "vrid", "range"},
      {"priority 255",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "priority": 255})"),
       "priority",
       "range"},
      {"interval 0",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "advertisement-interval": 0})"),
       "advertisement-interval",
       "range"},
      {"interval 4096",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "advertisement-interval": 4096})"),
       "advertisement-interval",
       "range"},
      {"accept-mode false",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "accept-mode": false})"),
       "accept-mode",
       "not supported"},
      {"v2 with IPv6",
       doc(R"({"vrid": 1, "virtual-address": ["2001:db8:1::1"], "version": 2})"),
       "group[vrid='1']/version",
       "IPv4 only"},
      {"v2 odd interval",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "version": 2, "advertisement-interval": 150})"),
       "advertisement-interval",
       "whole seconds"},
      {"multicast VIP",
       doc(R"({"vrid": 1, "virtual-address": ["224.0.0.5"]})"),
       "virtual-address",
       "cannot be a gateway"},
      {"duplicate VIP",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"]}, {"vrid": 2, "virtual-address": ["10.1.0.1"]})"),
       "group[vrid='2']/virtual-address",
       "already a virtual address"},
      {"tracking itself",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "track": {"interface": [{"name": "br10"}]}})"),
       "track/interface",
       "own interface"},
      {"unknown leaf",
       doc(R"({"vrid": 1, "virtual-address": ["10.1.0.1"], "colour": "red"})"),
       "",
       "colour"},
  };
  for (const auto& b : bad) {
    auto c = parse(b.json);
    ASSERT_FALSE(c) << b.what;
    std::string s = c.error().str();
    EXPECT_NE(s.find(b.path), std::string::npos) << b.what << ": " << s;
    EXPECT_NE(s.find(b.message), std::string::npos) << b.what << ": " << s;
  }
}

TEST(Config, XPathsExistInTheSchema) {
  // The learner reads kVirtualAddressPath: it must name a schema node.
  for (const char* xp : {kGroupPath, kVirtualAddressPath, kOnStopPath}) {
    const lysc_node* n = lys_find_path(ctx()->raw(), nullptr, xp, 0);
    EXPECT_NE(n, nullptr) << xp;
  }
  const lysc_node* n = lys_find_path(ctx()->raw(), nullptr, kVirtualAddressPath, 0);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->nodetype, LYS_LEAFLIST);
}

TEST(Config, ExampleValidates) {
  auto t = config::parseFile(ctx(), std::string(HR_SOURCE_DIR) + "/yang/examples/vrrp-tor.json");
  ASSERT_TRUE(t) << t.error().str();
  auto c = parseVrrpConfig(*t);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_FALSE(c->groups.empty());
}

TEST(VmacNames, ShortAndHashed) {
  EXPECT_EQ(vmacInterfaceName("br10", Family::V4, 10), "br10-v4-10");
  EXPECT_EQ(vmacInterfaceName("br10", Family::V6, 255), "br10-v6-255");
  std::string longName = vmacInterfaceName("vlan1000bridge", Family::V4, 200);
  EXPECT_LE(longName.size(), 15u);
  EXPECT_EQ(longName.rfind("hrv4-200-", 0), 0u);
  EXPECT_EQ(longName, vmacInterfaceName("vlan1000bridge", Family::V4, 200));  // deterministic
  EXPECT_NE(longName, vmacInterfaceName("vlan1001bridge", Family::V4, 200));
}

// --- tracking -------------------------------------------------------------------------------

TEST(Tracking, Table) {
  using K = TrackedObject::Kind;
  auto objs = [](bool a, bool b) {
    return std::vector<TrackedObject>{
        {K::Interface, "swp1", 60, a}, {K::Route, "0.0.0.0/0", 150, b}};
  };
  struct Row {
    bool a, b;
    WithdrawPolicy policy;
    uint8_t effective;
    bool withdraw;
  };
  const Row rows[] = {
      {true, true, WithdrawPolicy::WhenAllDown, 200, false},
      {false, true, WithdrawPolicy::WhenAllDown, 140, false},
      {false, false, WithdrawPolicy::WhenAllDown, 1, true},  // 200-60-150 < 1: clamped
      {false, true, WithdrawPolicy::WhenAnyDown, 140, true},
      {true, false, WithdrawPolicy::WhenAnyDown, 50, true},
      {false, false, WithdrawPolicy::Never, 1, false},
  };
  for (const auto& r : rows) {
    auto t = computeTracking(200, objs(r.a, r.b), r.policy);
    EXPECT_EQ(t.effective, r.effective) << r.a << r.b;
    EXPECT_EQ(t.withdraw, r.withdraw) << r.a << r.b;
    EXPECT_EQ(t.objects.size(), 2u);
  }
  auto none = computeTracking(100, {}, WithdrawPolicy::WhenAllDown);
  EXPECT_FALSE(none.withdraw);  // nothing tracked: never withdrawn
  EXPECT_EQ(none.effective, 100);
}

TEST(Tracking, RoutesCountForTheirOwnFamilyOnly) {
  GroupConfig g;
  g.trackInterfaces = {{"swp1", 10}};
  g.trackRoutes = {
      {Prefix::parse("0.0.0.0/0").value(), 254, 10}, {Prefix::parse("::/0").value(), 254, 10}};
  auto ifUp = [](const std::string&) { return true; };
  // The IPv4 default is back, the IPv6 one not yet (BGP re-establishes its sessions apart).
  auto routeUp = [](const TrackRoute& r) { return r.prefix.family() == Family::V4; };
  auto v4 = trackedObjects(g, Family::V4, ifUp, routeUp);
  auto v6 = trackedObjects(g, Family::V6, ifUp, routeUp);
  ASSERT_EQ(v4.size(), 2u);
  ASSERT_EQ(v6.size(), 2u);
  EXPECT_EQ(v4[0].name, "swp1");
  EXPECT_EQ(v4[1].name, "0.0.0.0/0");
  EXPECT_EQ(v6[1].name, "::/0");
  // Interface down too: IPv6 withdrawn (every object down), IPv4 still serves.
  auto ifDown = [](const std::string&) { return false; };
  auto t4 = computeTracking(
      200, trackedObjects(g, Family::V4, ifDown, routeUp), WithdrawPolicy::WhenAllDown);
  auto t6 = computeTracking(
      200, trackedObjects(g, Family::V6, ifDown, routeUp), WithdrawPolicy::WhenAllDown);
  EXPECT_FALSE(t4.withdraw);
  EXPECT_EQ(t4.effective, 190);
  EXPECT_TRUE(t6.withdraw);
  EXPECT_EQ(t6.effective, 180);
}

TEST(Tracking, RestoreDelayHoldsTheReturnNotTheWithdrawal) {
  using std::chrono::seconds;
  const TimePoint t0{};
  WithdrawHold h;
  EXPECT_FALSE(stepWithdrawal(h, false, t0, seconds(10)));  // nothing to restore
  EXPECT_TRUE(stepWithdrawal(h, true, t0, seconds(10)));    // withdrawn at once
  EXPECT_TRUE(h.withdrawn);
  // The objects come back at 20 s: still withdrawn until 30 s.
  EXPECT_FALSE(stepWithdrawal(h, false, t0 + seconds(20), seconds(10)));
  ASSERT_TRUE(h.restoreAt);
  EXPECT_EQ(*h.restoreAt, t0 + seconds(30));
  EXPECT_FALSE(stepWithdrawal(h, false, t0 + seconds(29), seconds(10)));
  EXPECT_TRUE(h.withdrawn);
  // They flap at 29 s: the hold starts over when they are back.
  EXPECT_FALSE(stepWithdrawal(h, true, t0 + seconds(29), seconds(10)));
  EXPECT_FALSE(h.restoreAt);
  EXPECT_FALSE(stepWithdrawal(h, false, t0 + seconds(31), seconds(10)));
  EXPECT_FALSE(stepWithdrawal(h, false, t0 + seconds(40), seconds(10)));
  EXPECT_TRUE(stepWithdrawal(h, false, t0 + seconds(41), seconds(10)));
  EXPECT_FALSE(h.withdrawn);
  EXPECT_FALSE(h.restoreAt);
  // Without a delay the return is immediate.
  WithdrawHold z;
  stepWithdrawal(z, true, t0, seconds(0));
  EXPECT_TRUE(stepWithdrawal(z, false, t0 + seconds(1), seconds(0)));
  EXPECT_FALSE(z.withdrawn);
}

// --- the data-plane plan ----------------------------------------------------------------------

TEST(Plan, AnycastAndClassic) {
  GroupConfig g;
  g.interface = "br10";
  g.vrid = 10;
  g.v4 = {IpAddress::parse("10.1.0.1").value()};
  struct Row {
    bool anycast;
    State state;
    bool masterKnown;
    bool withdrawn;
    bool up, fdb, arp;
    const char* role;
  };
  const Row rows[] = {
      {true, State::Master, false, false, true, true, true, "master"},
      {true, State::Backup, true, false, true, true, false, "anycast-forwarding"},
      {true,
       State::Backup,
       false,
       false,
       true,
       true,
       true,
       "anycast-forwarding"},  // no master heard (restart)
      {true, State::Initialize, false, false, true, true, true, "anycast-forwarding"},
      {true, State::Backup, false, true, false, false, true, "out-of-service"},
      {true, State::Backup, true, true, false, false, false, "out-of-service"},
      // Withdrawn and master: the last resort (no other router serves), it serves.
      {true, State::Master, false, true, true, true, true, "last-resort-master"},
      {false, State::Master, false, true, true, true, true, "last-resort-master"},
      {false, State::Backup, true, true, false, false, true, "out-of-service"},
      {false, State::Master, false, false, true, true, true, "master"},
      {false, State::Backup, true, false, false, false, true, "backup"},
      {false, State::Initialize, false, false, false, false, true, "initialize"},
  };
  for (const auto& r : rows) {
    g.anycast = r.anycast;
    auto p = planVmac(g, Family::V4, r.state, r.masterKnown, r.withdrawn, true);
    EXPECT_EQ(p.name, "br10-v4-10");
    EXPECT_EQ(p.mac.str(), "00:00:5e:00:01:0a");
    ASSERT_EQ(p.addresses.size(), 1u);
    EXPECT_EQ(p.addresses[0].str(), "10.1.0.1/32");
    EXPECT_EQ(p.up, r.up) << r.role;
    EXPECT_EQ(p.fdbLocal, r.fdb) << r.role;
    EXPECT_EQ(p.answerArp, r.arp) << r.role;
    EXPECT_EQ(roleName(g, r.state, r.withdrawn), r.role);
  }
  g.anycast = true;
  EXPECT_FALSE(
      planVmac(g, Family::V4, State::Master, false, false, false).fdbLocal);  // not a bridge
}

}  // namespace
}  // namespace hr::vrrp

// The codec against bytes captured from the real zebra (FRR 8.4.4, Debian 12) by
// tests/unit/zapi/data/capture_zebra.py: every message decodes, re-encodes to the same bytes,
// and the fields we rely on carry what the scripted session did.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/codec/zapi.h"
#include "tests/unit/zapi/hex.h"

namespace hr::codec::zapi {
namespace {

struct Captured {
  bool fromZebra;
  Decoded d;
  std::vector<uint8_t> bytes;
};

std::vector<Captured> load() {
  std::vector<Captured> out;
  for (const auto& e : std::filesystem::directory_iterator(HR_TEST_DATA_DIR)) {
    auto name = e.path().filename().string();
    if (name.rfind("frr-", 0) != 0 || e.path().extension() != ".zapi") {
      continue;
    }
    for (auto& m : test::readCapture(e.path().string())) {
      out.push_back({m.fromZebra, decodeMessage(m.bytes, frr84()), m.bytes});
    }
  }
  return out;
}

const std::vector<Captured>& capture() {
  static const std::vector<Captured> all = load();
  return all;
}

class ZapiCapture : public ::testing::Test {
 protected:
  template <class T>
  static std::vector<std::pair<const Message*, const T*>> find(Command c, bool fromZebra = true) {
    std::vector<std::pair<const Message*, const T*>> r;
    for (const auto& m : capture()) {
      if (m.fromZebra == fromZebra && m.d.outcome == Outcome::Ok && m.d.message.command == c) {
        r.emplace_back(&m.d.message, std::get_if<T>(&m.d.message.body));
      }
    }
    return r;
  }
  static const Route* redist(Command c, uint8_t type, const std::string& prefix) {
    for (auto [m, r] : find<Route>(c)) {
      if (r && r->type == type && r->prefix.str() == prefix) {
        return r;
      }
    }
    return nullptr;
  }
  static const NotifyOwner* notify(Note note, const std::string& prefix) {
    for (auto [m, n] : find<NotifyOwner>(Command::RouteNotifyOwner)) {
      if (n && n->note == static_cast<uint32_t>(note) && n->prefix.str() == prefix) {
        return n;
      }
    }
    return nullptr;
  }
};

TEST_F(ZapiCapture, EveryMessageDecodesAndRoundTrips) {
  ASSERT_GT(capture().size(), 50u) << "no capture in " << HR_TEST_DATA_DIR;
  std::map<std::string, int> seen;
  for (const auto& m : capture()) {
    if (m.d.outcome == Outcome::Ignore) {
      // The only one: the unknown command number the capture sent on purpose.
      EXPECT_FALSE(m.fromZebra);
      EXPECT_EQ(m.d.reason, "unknown_command");
      continue;
    }
    ASSERT_EQ(m.d.outcome, Outcome::Ok)
        << test::toHex(m.bytes) << ": " << m.d.reason << " " << m.d.detail;
    std::vector<uint8_t> again;
    ASSERT_TRUE(encode(again, m.d.message, frr84()));
    EXPECT_EQ(test::toHex(again), test::toHex(m.bytes)) << commandName(m.d.message.command);
    if (m.fromZebra) {
      ++seen[std::string(commandName(m.d.message.command))];
    }
  }
  for (const char* c :
       {"CAPABILITIES",
        "VRF_ADD",
        "INTERFACE_ADD",
        "INTERFACE_ADDRESS_ADD",
        "INTERFACE_ADDRESS_DELETE",
        "INTERFACE_UP",
        "INTERFACE_DOWN",
        "ROUTER_ID_UPDATE",
        "ROUTE_NOTIFY_OWNER",
        "REDISTRIBUTE_ROUTE_ADD",
        "REDISTRIBUTE_ROUTE_DEL",
        "ERROR",
        "CLIENT_CLOSE_NOTIFY"}) {
    EXPECT_GT(seen[c], 0) << c << " missing from the capture";
  }
}

TEST_F(ZapiCapture, CapabilitiesAndDefaultVrf) {
  auto caps = find<Capabilities>(Command::Capabilities);
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0].second->multipathNum, 256u);  // Debian builds --enable-multipath=256
  EXPECT_EQ(caps[0].second->mplsEnabled, 0);
  auto vrfs = find<Vrf>(Command::VrfAdd);
  ASSERT_EQ(vrfs.size(), 1u);
  EXPECT_EQ(vrfs[0].first->vrfId, 0u);
  EXPECT_EQ(vrfs[0].second->name, "default");
  EXPECT_EQ(vrfs[0].second->tableId, 254u);
}

TEST_F(ZapiCapture, InterfacesAndTheirState) {
  std::map<std::string, const Interface*> added;
  for (auto [m, i] : find<Interface>(Command::InterfaceAdd)) {
    added[i->name] = i;
  }
  for (const char* n : {"lo", "br10", "swp1"}) {
    ASSERT_TRUE(added.count(n)) << n;
  }
  EXPECT_TRUE(added["br10"]->operative());
  EXPECT_EQ(added["br10"]->hwAddr.size(), 6u);
  EXPECT_EQ(added["br10"]->mtu, 1500u);
  auto down = find<Interface>(Command::InterfaceDown);
  ASSERT_FALSE(down.empty());
  EXPECT_EQ(down[0].second->name, "br10");
  EXPECT_FALSE(down[0].second->operative());
  EXPECT_EQ(down[0].second->ifindex, added["br10"]->ifindex);
  auto up = find<Interface>(Command::InterfaceUp);
  ASSERT_FALSE(up.empty());
  EXPECT_EQ(up.back().second->name, "br10");
  EXPECT_TRUE(up.back().second->operative());
  bool sawBr10Address = false;
  for (auto [m, a] : find<InterfaceAddress>(Command::InterfaceAddressAdd)) {
    if (a->ifindex == added["br10"]->ifindex && a->address.str() == "10.1.0.2") {
      sawBr10Address = true;
      EXPECT_EQ(a->prefixLen, 24);
    }
  }
  EXPECT_TRUE(sawBr10Address);
}

TEST_F(ZapiCapture, RouterId) {
  auto r = find<RouterIdUpdate>(Command::RouterIdUpdate);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].second->prefix.str(), "10.0.0.11/32");
}

TEST_F(ZapiCapture, NotificationsForOurRoutes) {
  auto v4 = notify(Note::Installed, "10.1.0.50/32");
  ASSERT_NE(v4, nullptr);
  EXPECT_EQ(v4->tableId, 254u);
  EXPECT_EQ(v4->afi, kAfiIp);
  auto v6 = notify(Note::Installed, "2001:db8:1::50/128");
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(v6->afi, kAfiIp6);
  EXPECT_NE(notify(Note::BetterAdminWon, "10.1.0.78/32"), nullptr);
  EXPECT_NE(notify(Note::Removed, "10.1.0.50/32"), nullptr);
  EXPECT_NE(notify(Note::FailInstall, "10.1.0.99/32"), nullptr);
}

TEST_F(ZapiCapture, RedistributedRemoteHostRoutes) {
  auto bgp4 = redist(Command::RedistributeRouteAdd, route_type::kBgp, "10.1.0.77/32");
  ASSERT_NE(bgp4, nullptr);
  EXPECT_EQ(bgp4->distance, 20);
  EXPECT_EQ(bgp4->flags & kFlagSelected, kFlagSelected);
  EXPECT_EQ(
      bgp4->message & (kMsgDistance | kMsgMetric | kMsgMtu), kMsgDistance | kMsgMetric | kMsgMtu);
  ASSERT_EQ(bgp4->nexthops.size(), 1u);
  EXPECT_EQ(bgp4->nexthops[0].gate.str(), "10.0.1.1");  // the spine
  EXPECT_EQ(bgp4->nexthops[0].weight, 1u);
  auto ospf4 = redist(Command::RedistributeRouteAdd, route_type::kOspf, "10.1.0.77/32");
  ASSERT_NE(ospf4, nullptr);
  EXPECT_EQ(ospf4->distance, 110);
  auto bgp6 = redist(Command::RedistributeRouteAdd, route_type::kBgp, "2001:db8:1::77/128");
  ASSERT_NE(bgp6, nullptr);
  EXPECT_TRUE(bgp6->nexthops[0].gate.isLinkLocal());
  EXPECT_NE(
      redist(Command::RedistributeRouteAdd, route_type::kOspf6, "2001:db8:1::77/128"), nullptr);
  auto del = redist(Command::RedistributeRouteDel, route_type::kBgp, "10.1.0.77/32");
  ASSERT_NE(del, nullptr);
  // Unlike ZAPI.md §4.2 says, zebra 8.4.4 leaves SELECTED set on REDISTRIBUTE_ROUTE_DEL
  // (re->flags of the route being withdrawn): the command, not the flag, means "gone".
  EXPECT_EQ(del->flags & kFlagSelected, kFlagSelected);
  // The move signal of ZAPI.md §9: our route at distance 250 loses to tor2's copy.
  EXPECT_NE(redist(Command::RedistributeRouteAdd, route_type::kBgp, "10.1.0.78/32"), nullptr);
}

TEST_F(ZapiCapture, ErrorAndCloseNotify) {
  auto e = find<ErrorMsg>(Command::Error);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].second->code, kErrorInvalidMsgType);
  auto c = find<ClientCloseNotify>(Command::ClientCloseNotify);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].second->proto, route_type::kStatic);
}

TEST_F(ZapiCapture, WhatTheClientSentDecodesToo) {
  auto hellos = find<Hello>(Command::Hello, false);
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_EQ(hellos[0].second->proto, route_type::kTable);
  auto caps = find<ClientCapabilities>(Command::ClientCapabilities, false);
  ASSERT_GE(caps.size(), 3u);
  EXPECT_EQ(caps[0].second->cap, static_cast<uint32_t>(Cap::GracefulRestart));
  EXPECT_EQ(caps[0].second->staleTime, 60u);
  auto adds = find<Route>(Command::RouteAdd, false);
  ASSERT_FALSE(adds.empty());
  EXPECT_EQ(adds[0].second->distance, 10);
}

}  // namespace
}  // namespace hr::codec::zapi

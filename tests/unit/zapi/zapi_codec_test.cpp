// The ZAPI codec against the byte examples of shared/ZAPI.md (captured in the experiments
// that established the facts) and hand-built edge cases: decode, field checks, and the
// round trip encode(decode(b)) == b.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/codec/zapi.h"
#include "tests/unit/zapi/hex.h"

namespace hr::codec::zapi {
namespace {

using test::hex;

Decoded dec(const std::vector<uint8_t>& b) {
  return decodeMessage(b, frr84());
}

std::vector<uint8_t> enc(const Message& m) {
  std::vector<uint8_t> out;
  auto st = encode(out, m, frr84());
  EXPECT_TRUE(st) << st.error().str();
  return out;
}

void expectRoundTrip(const std::vector<uint8_t>& b) {
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.reason << ": " << d.detail;
  EXPECT_EQ(test::toHex(enc(d.message)), test::toHex(b));
}

TEST(ZapiCommands, Frr84TableMatchesZclientH) {
  const auto& t = frr84();
  // Positions in zebra_message_types_t of frr-8.4.4 (ZAPI.md §1.4).
  EXPECT_EQ(t.toWire(Command::InterfaceAdd), 0);
  EXPECT_EQ(t.toWire(Command::InterfaceUp), 4);
  EXPECT_EQ(t.toWire(Command::InterfaceDown), 5);
  EXPECT_EQ(t.toWire(Command::RouteAdd), 8);
  EXPECT_EQ(t.toWire(Command::RouteDelete), 9);
  EXPECT_EQ(t.toWire(Command::RouteNotifyOwner), 10);
  EXPECT_EQ(t.toWire(Command::RedistributeAdd), 11);
  EXPECT_EQ(t.toWire(Command::RouterIdAdd), 15);
  EXPECT_EQ(t.toWire(Command::RouterIdUpdate), 17);
  EXPECT_EQ(t.toWire(Command::Hello), 18);
  EXPECT_EQ(t.toWire(Command::Capabilities), 19);
  EXPECT_EQ(t.toWire(Command::RedistributeRouteAdd), 30);
  EXPECT_EQ(t.toWire(Command::RedistributeRouteDel), 31);
  EXPECT_EQ(t.toWire(Command::VrfAdd), 33);
  EXPECT_EQ(t.toWire(Command::VrfDelete), 34);
  EXPECT_EQ(t.toWire(Command::InterfaceLinkParams), 42);
  EXPECT_EQ(t.toWire(Command::Error), 118);
  EXPECT_EQ(t.toWire(Command::ClientCapabilities), 119);
  EXPECT_EQ(t.toWire(Command::RouteNotifyRequest), 124);
  EXPECT_EQ(t.toWire(Command::ClientCloseNotify), 125);
  // Every logical command has a distinct number and maps back.
  for (size_t i = 0; i < kCommandCount; ++i) {
    auto c = static_cast<Command>(i);
    ASSERT_EQ(t.fromWire(t.toWire(c)), c) << commandName(c);
  }
  EXPECT_FALSE(t.fromWire(200).has_value());
}

TEST(ZapiVersion, ParsesTheOutputsWeRead) {
  auto v =
      parseVersionOutput("zebra version 8.4.4\nCopyright 1996-2005 Kunihiro Ishiguro, et al.\n");
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_EQ(v->text, "8.4.4");
  EXPECT_TRUE(tableForVersion(*v));
  auto s = parseVersionOutput("FRRouting 9.1 (tor1) on Linux(6.1.0).\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->major, 9);
  EXPECT_EQ(s->minor, 1);
  auto t = tableForVersion(*s);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "zapi.unsupported_frr");
  EXPECT_NE(t.error().message.find("9.1"), std::string::npos);
  auto deb = parseFrrVersion("8.4.4-1.1~deb12u2");
  ASSERT_TRUE(deb);
  EXPECT_EQ(deb->text, "8.4.4");
  EXPECT_FALSE(parseVersionOutput("vtysh: command not found"));
  EXPECT_FALSE(parseFrrVersion("x.y"));
}

// ZAPI.md §2.1: HELLO as table/0 with notify on.
TEST(ZapiGolden, Hello) {
  auto b = hex("00 13 fe 06 00 00 00 00 00 12 0f 00 00 00 00 00 00 01 00");
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  EXPECT_EQ(d.message.command, Command::Hello);
  auto& h = std::get<Hello>(d.message.body);
  EXPECT_EQ(h.proto, route_type::kTable);
  EXPECT_EQ(h.instance, 0);
  EXPECT_EQ(h.receiveNotify, 1);
  EXPECT_EQ(h.synchronous, 0);
  EXPECT_EQ(test::toHex(enc(Message{Command::Hello, 0, Hello{}})), test::toHex(b));
}

// ZAPI.md §2.2: /32 with one IFINDEX nexthop (ifindex 3), as sent in the lab.
TEST(ZapiGolden, RouteAddIfindexV4) {
  auto b =
      hex("00 28 fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 02 20 0a 09 00 0a"
          " 00 01 00 00 00 00 01 00 00 00 00 03");
  ASSERT_EQ(b.size(), 40u);
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  EXPECT_EQ(d.message.command, Command::RouteAdd);
  auto& r = std::get<Route>(d.message.body);
  EXPECT_EQ(r.type, route_type::kTable);
  EXPECT_EQ(r.message, kMsgNexthop);
  EXPECT_EQ(r.prefix.str(), "10.9.0.10/32");
  ASSERT_EQ(r.nexthops.size(), 1u);
  EXPECT_EQ(r.nexthops[0].type, NexthopType::Ifindex);
  EXPECT_EQ(r.nexthops[0].ifindex, 3u);
  expectRoundTrip(b);

  // The same message built from fields.
  Route built;
  built.prefix = *Prefix::parse("10.9.0.10/32");
  Nexthop nh;
  nh.ifindex = 3;
  built.nexthops.push_back(nh);
  EXPECT_EQ(test::toHex(enc(Message{Command::RouteAdd, 0, built})), test::toHex(b));
}

// ZAPI.md §2.2: /128 IFINDEX (52 bytes).
TEST(ZapiGolden, RouteAddIfindexV6) {
  Route r;
  r.prefix = *Prefix::parse("2001:db8:9::10/128");
  Nexthop nh;
  nh.ifindex = 3;
  r.nexthops.push_back(nh);
  auto b = enc(Message{Command::RouteAdd, 0, r});
  EXPECT_EQ(b.size(), 52u);
  EXPECT_EQ(
      test::toHex(b),
      test::toHex(hex("00 34 fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 0a 80"
                      " 20 01 0d b8 00 09 00 00 00 00 00 00 00 00 00 10"
                      " 00 01 00 00 00 00 01 00 00 00 00 03")));
  expectRoundTrip(b);
}

// ZAPI.md §2.2: /32 IPV4_IFINDEX with ONLINK, distance 10, metric 7, tag 4242 (53 bytes).
TEST(ZapiGolden, RouteAddOnlinkDistanceMetricTag) {
  auto b =
      hex("00 35 fe 06 00 00 00 00 00 08  0f 00 00 00 00 00 00 00 00 00 0f 01  02 20 0a 09 00 0f"
          " 00 01  00 00 00 00 03 01 0a 09 00 0f 00 00 00 03  0a  00 00 00 07  00 00 10 92");
  ASSERT_EQ(b.size(), 53u);
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  auto& r = std::get<Route>(d.message.body);
  EXPECT_EQ(r.message, kMsgNexthop | kMsgDistance | kMsgMetric | kMsgTag);
  EXPECT_EQ(r.distance, 10);
  EXPECT_EQ(r.metric, 7u);
  EXPECT_EQ(r.tag, 4242u);
  ASSERT_EQ(r.nexthops.size(), 1u);
  EXPECT_EQ(r.nexthops[0].type, NexthopType::Ipv4Ifindex);
  EXPECT_EQ(r.nexthops[0].flags, kNhOnlink);
  EXPECT_EQ(r.nexthops[0].gate.str(), "10.9.0.15");
  expectRoundTrip(b);
}

// ZAPI.md §2.2: ROUTE_DELETE /32 (28 bytes, no nexthops).
TEST(ZapiGolden, RouteDelete) {
  auto b =
      hex("00 1c fe 06 00 00 00 00 00 09 0f 00 00 00 00 00 00 00 00 00 00 01 02 20 0a 09 00 0a");
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  EXPECT_EQ(d.message.command, Command::RouteDelete);
  EXPECT_TRUE(std::get<Route>(d.message.body).nexthops.empty());
  expectRoundTrip(b);
}

// ZAPI.md §2.3: INSTALLED 10.9.0.10/32; the note is in host order.
TEST(ZapiGolden, NotifyOwnerInstalled) {
  auto b = hex("00 1a fe 06 00 00 00 00 00 0a 02 00 00 00 02 20 0a 09 00 0a 00 00 00 fe 01 01");
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  auto& n = std::get<NotifyOwner>(d.message.body);
  EXPECT_EQ(n.note, static_cast<uint32_t>(Note::Installed));
  EXPECT_EQ(noteName(n.note), "INSTALLED");
  EXPECT_EQ(n.prefix.str(), "10.9.0.10/32");
  EXPECT_EQ(n.tableId, 254u);
  EXPECT_EQ(n.afi, kAfiIp);
  expectRoundTrip(b);
}

// ZAPI.md §4.1 and §2.3 and §5.1: subscriptions and capabilities we send.
TEST(ZapiGolden, RedistributeNotifyRequestClientCapabilities) {
  EXPECT_EQ(
      test::toHex(
          enc(Message{Command::RedistributeAdd, 0, Redistribute{kAfiIp, route_type::kBgp, 0}})),
      "000efe0600000000000b01090000");
  EXPECT_EQ(
      test::toHex(
          enc(Message{Command::RedistributeAdd, 0, Redistribute{kAfiIp6, route_type::kBgp, 0}})),
      "000efe0600000000000b02090000");
  EXPECT_EQ(
      test::toHex(enc(Message{Command::RouteNotifyRequest, 0, RouteNotifyRequest{1}})),
      "000bfe0600000000007c01");
  ClientCapabilities gr;
  gr.cap = static_cast<uint32_t>(Cap::GracefulRestart);
  gr.staleTime = 60;
  auto b = hex("00 16 fe 06 00 00 00 00 00 77 00 00 00 01 00 00 00 3c 00 00 00 00");
  EXPECT_EQ(test::toHex(enc(Message{Command::ClientCapabilities, 0, gr})), test::toHex(b));
  expectRoundTrip(b);
  ClientCapabilities pending;
  pending.cap = static_cast<uint32_t>(Cap::RouteUpdatePending);
  pending.afi = kAfiIp6;
  pending.safi = kSafiUnicast;
  auto p = enc(Message{Command::ClientCapabilities, 0, pending});
  EXPECT_EQ(p.size(), 10u + 16u);
  expectRoundTrip(p);
}

TEST(ZapiGolden, ErrorIsHostOrder) {
  // ZAPI.md §1.3: unknown command -> ZEBRA_ERROR with ZEBRA_INVALID_MSG_TYPE (2), host order.
  auto b = hex("00 0e fe 06 00 00 00 00 00 76 02 00 00 00");
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  EXPECT_EQ(std::get<ErrorMsg>(d.message.body).code, kErrorInvalidMsgType);
  expectRoundTrip(b);
}

TEST(ZapiGolden, RouterIdUpdatePrefixBeforeLength) {
  // ZAPI.md §7.4: u8 family, addr, u8 prefixlen; observed 1.1.1.1/32.
  auto b = hex("00 10 fe 06 00 00 00 00 00 11 02 01 01 01 01 20");
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  EXPECT_EQ(std::get<RouterIdUpdate>(d.message.body).prefix.str(), "1.1.1.1/32");
  expectRoundTrip(b);
}

TEST(ZapiGolden, InterfaceDumpRequestIsEmpty) {
  auto b = enc(Message{Command::InterfaceAdd, 0, Empty{}});
  EXPECT_EQ(test::toHex(b), "000afe06000000000000");
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok);
  EXPECT_TRUE(std::holds_alternative<Empty>(d.message.body));
}

// ZAPI.md §4.2: what zebra redistributes (always DISTANCE|METRIC|MTU, WEIGHT on each nexthop).
TEST(ZapiRoute, RedistributedRouteWithWeightRoundTrips) {
  Route r;
  r.type = route_type::kBgp;
  r.flags = kFlagSelected;
  r.message = kMsgNexthop | kMsgDistance | kMsgMetric | kMsgMtu;
  r.prefix = *Prefix::parse("2001:db8:9::20/128");
  Nexthop nh;
  nh.type = NexthopType::Ipv6Ifindex;
  nh.gate = *IpAddress::parse("fe80::e0b8:d8ff:fe13:b1b1");
  nh.ifindex = 2;
  nh.weight = 1;
  r.nexthops.push_back(nh);
  r.distance = 20;
  auto b = enc(Message{Command::RedistributeRouteAdd, 0, r});
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  auto& back = std::get<Route>(d.message.body);
  EXPECT_EQ(back.nexthops[0].flags, kNhWeight);
  EXPECT_EQ(back.nexthops[0].weight, 1u);
  EXPECT_EQ(back.distance, 20);
  EXPECT_EQ(back.message, r.message);
  expectRoundTrip(b);
}

TEST(ZapiRoute, EveryOptionalPartRoundTrips) {
  Route r;
  r.type = route_type::kStatic;
  r.instance = 7;
  r.message = kMsgSrcPfx | kMsgNhg | kMsgDistance | kMsgMetric | kMsgTag | kMsgMtu | kMsgTableId |
              kMsgOpaque | kMsgSrte;
  r.prefix = *Prefix::parse("2001:db8::/33");
  r.srcPrefix = *Prefix::parse("2001:db8:1::/48");
  r.nhgId = 99;
  Nexthop a;
  a.type = NexthopType::Ipv6;
  a.gate = *IpAddress::parse("2001:db8::1");
  a.labels = {16, 17};
  a.flags = kNhEvpn | kNhHasBackup;
  a.rmac = {1, 2, 3, 4, 5, 6};
  a.backupIdx = {0};
  a.srteColor = 5;
  Nexthop bh;
  bh.type = NexthopType::Blackhole;
  bh.blackholeType = 2;
  bh.srteColor = 5;
  r.nexthops = {a, bh};
  Nexthop backup;
  backup.type = NexthopType::Ipv6Ifindex;
  backup.gate = *IpAddress::parse("fe80::1");
  backup.ifindex = 9;
  backup.srteColor = 5;
  r.backupNexthops = {backup};
  r.distance = 200;
  r.metric = 1;
  r.tag = 2;
  r.mtu = 1500;
  r.tableId = 10;
  r.opaque = {0xde, 0xad};
  auto b = enc(Message{Command::RouteAdd, 5, r});
  auto d = dec(b);
  ASSERT_EQ(d.outcome, Outcome::Ok) << d.detail;
  EXPECT_EQ(d.message.vrfId, 5u);
  auto back = std::get<Route>(d.message.body);
  EXPECT_EQ(back.nexthops[0].labels, (std::vector<uint32_t>{16, 17}));
  EXPECT_EQ(back.nexthops[0].flags, kNhEvpn | kNhHasBackup | kNhLabel);
  back.nexthops[0].flags = a.flags;                     // encode adds LABEL when labels are present
  back.message &= ~(kMsgNexthop | kMsgBackupNexthops);  // encode adds them too
  EXPECT_EQ(back, r);
  expectRoundTrip(b);
}

TEST(ZapiRoute, PartialPrefixBytesArePsize) {
  Route r;
  r.prefix = *Prefix::parse("10.128.0.0/9");
  r.message = kMsgDistance;
  r.distance = 1;
  auto b = enc(Message{Command::RouteDelete, 0, r});
  // header 10 + 14 fixed + 2 prefix bytes + 1 distance
  EXPECT_EQ(b.size(), 10u + 14u + 2u + 1u);
  expectRoundTrip(b);
}

TEST(ZapiSort, NexthopsInFrrOrder) {
  std::vector<Nexthop> nhs(3);
  nhs[0].type = NexthopType::Ipv4Ifindex;
  nhs[0].gate = *IpAddress::parse("10.0.0.2");
  nhs[0].ifindex = 1;
  nhs[1].type = NexthopType::Ifindex;
  nhs[1].ifindex = 7;
  nhs[2].type = NexthopType::Ipv4Ifindex;
  nhs[2].gate = *IpAddress::parse("10.0.0.1");
  nhs[2].ifindex = 9;
  sortNexthops(nhs);
  EXPECT_EQ(nhs[0].type, NexthopType::Ifindex);
  EXPECT_EQ(nhs[1].gate.str(), "10.0.0.1");
  EXPECT_EQ(nhs[2].gate.str(), "10.0.0.2");
}

// ---- malformed input: every case counted by reason, none crashes -------------------------

struct BadCase {
  const char* name;
  const char* hex;
  Outcome outcome;
  const char* reason;
};

TEST(ZapiMalformed, DecodeRefusesWithAReason) {
  const BadCase cases[] = {
      {"short header", "00 0a fe 06 00", Outcome::Error, "short_header"},
      {"bad marker", "00 0a ff 06 00 00 00 00 00 12", Outcome::Error, "bad_marker"},
      {"version 5", "00 0a fe 05 00 00 00 00 00 12", Outcome::Error, "bad_version"},
      {"version 7", "00 0a fe 07 00 00 00 00 00 12", Outcome::Error, "bad_version"},
      {"length below header", "00 04 fe 06 00 00 00 00 00 12", Outcome::Error, "bad_length"},
      {"length above 16384", "40 01 fe 06 00 00 00 00 00 12", Outcome::Error, "too_long"},
      {"length beyond bytes", "00 20 fe 06 00 00 00 00 00 12 0f", Outcome::Error, "truncated"},
      {"hello truncated", "00 0c fe 06 00 00 00 00 00 12 0f 00", Outcome::Error, "truncated"},
      {"hello trailing",
       "00 14 fe 06 00 00 00 00 00 12 0f 00 00 00 00 00 00 01 00 ff",
       Outcome::Error,
       "trailing_bytes"},
      {"route bad type",
       "00 1c fe 06 00 00 00 00 00 08 ff 00 00 00 00 00 00 00 00 00 00 01 02 20 0a 09 00 0a",
       Outcome::Error,
       "bad_route_type"},
      {"route bad safi",
       "00 1c fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 00 09 02 20 0a 09 00 0a",
       Outcome::Error,
       "bad_safi"},
      {"route bad family",
       "00 1c fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 00 01 07 20 0a 09 00 0a",
       Outcome::Error,
       "bad_family"},
      {"route plen 33",
       "00 1c fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 00 01 02 21 0a 09 00 0a",
       Outcome::Error,
       "bad_prefix_length"},
      {"route prefix cut",
       "00 1a fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 00 01 02 20 0a 09",
       Outcome::Error,
       "truncated"},
      {"route 65535 nexthops",
       "00 1e fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 02 20 0a 09 00 0a ff ff",
       Outcome::Error,
       "too_many_nexthops"},
      {"route 300 nexthops, no bytes",
       "00 1e fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 02 20 0a 09 00 0a 01 2c",
       Outcome::Error,
       "truncated"},
      {"nexthop type 9",
       "00 28 fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 02 20 0a 09 00 0a 00 01 "
       "00 00 00 00 09 00 00 00 00 03",
       Outcome::Error,
       "bad_nexthop_type"},
      {"17 labels",
       "00 29 fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 02 20 0a 09 00 0a 00 01 "
       "00 00 00 00 01 02 00 00 00 03 11",
       Outcome::Error,
       "too_many_labels"},
      {"srv6 nexthop",
       "00 28 fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 00 01 01 02 20 0a 09 00 0a 00 01 "
       "00 00 00 00 01 10 00 00 00 03",
       Outcome::Ignore,
       "unsupported_srv6"},
      {"opaque 2000",
       "00 1e fe 06 00 00 00 00 00 08 0f 00 00 00 00 00 00 00 00 04 00 01 02 20 0a 09 00 0a 07 d0",
       Outcome::Error,
       "opaque_too_long"},
      {"notify bad family",
       "00 1a fe 06 00 00 00 00 00 0a 02 00 00 00 05 20 0a 09 00 0a 00 00 00 fe 01 01",
       Outcome::Error,
       "bad_family"},
      {"notify plen 40",
       "00 1a fe 06 00 00 00 00 00 0a 02 00 00 00 02 28 0a 09 00 0a 00 00 00 fe 01 01",
       Outcome::Error,
       "bad_prefix_length"},
      {"unknown command", "00 0a fe 06 00 00 00 00 00 c8", Outcome::Ignore, "unknown_command"},
      {"unused command", "00 0b fe 06 00 00 00 00 00 2a 00", Outcome::Ignore, "unused_command"},
      {"capability 9",
       "00 0e fe 06 00 00 00 00 00 77 00 00 00 09",
       Outcome::Error,
       "bad_capability"},
      {"interface hw len",
       "00 49 fe 06 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 "
       "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
       "00 00 00 00 00 00 00 00 00 ff ff ff ff",
       Outcome::Error,
       "bad_hwaddr_length"},
  };
  for (const auto& c : cases) {
    auto d = dec(hex(c.hex));
    EXPECT_EQ(d.outcome, c.outcome) << c.name << ": " << d.reason << " " << d.detail;
    EXPECT_EQ(d.reason, c.reason) << c.name << ": " << d.detail;
  }
}

TEST(ZapiSplitter, PartialReadsAndSeveralMessagesPerRead) {
  std::vector<uint8_t> stream;
  auto a = hex("00 1a fe 06 00 00 00 00 00 0a 02 00 00 00 02 20 0a 09 00 0a 00 00 00 fe 01 01");
  auto b = hex("00 13 fe 06 00 00 00 00 00 12 0f 00 00 00 00 00 00 01 00");
  for (int i = 0; i < 3; ++i) {
    stream.insert(stream.end(), a.begin(), a.end());
    stream.insert(stream.end(), b.begin(), b.end());
  }
  // Feed one byte at a time, then everything at once: the same 6 frames.
  for (size_t chunk : {size_t{1}, size_t{7}, stream.size()}) {
    Splitter s;
    std::vector<std::string> frames;
    for (size_t off = 0; off < stream.size(); off += chunk) {
      s.feed(std::span<const uint8_t>(stream).subspan(off, std::min(chunk, stream.size() - off)));
      for (;;) {
        auto f = s.next();
        ASSERT_TRUE(f) << f.error().str();
        if (!*f) {
          break;
        }
        frames.push_back(test::toHex(std::vector<uint8_t>((*f)->bytes.begin(), (*f)->bytes.end())));
        EXPECT_EQ(decode(**f, frr84()).outcome, Outcome::Ok);
      }
    }
    ASSERT_EQ(frames.size(), 6u) << "chunk " << chunk;
    EXPECT_EQ(frames[0], test::toHex(a));
    EXPECT_EQ(frames[5], test::toHex(b));
    EXPECT_EQ(s.buffered(), 0u);
  }
}

TEST(ZapiSplitter, BadHeaderBreaksTheStreamForGood) {
  Splitter s;
  s.feed(hex("00 13 fe 06 00 00 00 00 00 12 0f 00 00 00 00 00 00 01 00"));
  s.feed(hex("00 13 fe 07 00 00 00 00 00 12 0f 00 00 00 00 00 00 01 00"));
  auto first = s.next();
  ASSERT_TRUE(first && *first);
  auto second = s.next();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, "zapi.bad_version");
  s.feed(hex("00 13 fe 06 00 00 00 00 00 12 0f 00 00 00 00 00 00 01 00"));
  EXPECT_FALSE(s.next());
  EXPECT_TRUE(s.failed());
}

TEST(ZapiSplitter, OversizedLengthIsRefusedBeforeBuffering) {
  Splitter s;
  s.feed(hex("ff ff fe 06 00 00 00 00 00 08"));
  auto f = s.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, "zapi.too_long");
}

TEST(ZapiEncode, RefusesWhatCannotBeSent) {
  std::vector<uint8_t> out = {1, 2, 3};
  Route r;
  r.prefix = *Prefix::parse("10.0.0.1/32");
  r.nexthops.resize(2000);  // 2000 * 10 bytes > 16384
  EXPECT_FALSE(encode(out, Message{Command::RouteAdd, 0, r}, frr84()));
  EXPECT_EQ(out.size(), 3u);
  EXPECT_FALSE(encode(out, Message{Command::RouteAdd, 0, Hello{}}, frr84()));
  Interface i;
  i.name = "a-name-longer-than-16";
  EXPECT_FALSE(encode(out, Message{Command::InterfaceAdd, 0, i}, frr84()));
  EXPECT_EQ(out.size(), 3u);
}

TEST(ZapiInterface, OperativeFollowsZebra) {
  Interface i;
  i.flags = kIffUp | kIffRunning;
  i.status = kIfStatusActive | kIfStatusLinkDetection;
  EXPECT_TRUE(i.operative());
  i.flags = kIffUp;
  EXPECT_FALSE(i.operative());  // no carrier
  i.status = kIfStatusActive;   // link detection off: admin state only
  EXPECT_TRUE(i.operative());
  i.flags = 0;
  EXPECT_FALSE(i.operative());
}

}  // namespace
}  // namespace hr::codec::zapi

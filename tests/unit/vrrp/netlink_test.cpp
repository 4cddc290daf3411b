// vrrp_netlink codec: the requests decode back to what iproute2 would send, and the event
// decoders accept well-formed messages and refuse malformed ones. (The kernel itself checks
// the requests in the integration tests.)
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "core/codec/vrrp_netlink.h"

namespace hr::codec::vrrpnl {
namespace {

const MacAddress kVmac = MacAddress::parse("00:00:5e:00:01:0a").value();

nl::Message only(const std::vector<uint8_t>& buf) {
  auto msgs = nl::split(buf);
  EXPECT_TRUE(msgs);
  EXPECT_EQ(msgs->size(), 1u);
  return (*msgs)[0];
}

TEST(VrrpNetlink, MacvlanCreate) {
  std::vector<uint8_t> buf;
  encodeMacvlanCreate(
      buf,
      7,
      MacvlanSpec{"br10-v4-10", 5, kVmac, MacvlanMode::Bridge, "frr-hostroute:vrrp_anycast"});
  auto m = only(buf);
  EXPECT_EQ(m.hdr.type, RTM_NEWLINK);
  EXPECT_EQ(m.hdr.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  EXPECT_EQ(m.hdr.seq, 7u);
  auto link = nl::decodeLink(m);
  ASSERT_TRUE(link) << link.error().str();
  EXPECT_EQ(link->name, "br10-v4-10");
  EXPECT_EQ(link->link, 5u);
  EXPECT_EQ(link->mac, kVmac);
  EXPECT_EQ(link->kind, "macvlan");
  auto d = decodeLinkDetails(m);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->alias, "frr-hostroute:vrrp_anycast");
  EXPECT_EQ(d->macvlanMode, MacvlanMode::Bridge);
  EXPECT_FALSE(d->addrGenMode);
}

TEST(VrrpNetlink, AddrGenModeAndUp) {
  std::vector<uint8_t> buf;
  encodeLinkAddrGenMode(buf, 1, 9, AddrGenMode::Random);
  auto d = decodeLinkDetails(only(buf));
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->addrGenMode, AddrGenMode::Random);

  buf.clear();
  encodeLinkSetAlias(buf, 5, 9, "frr-hostroute:vrrp_anycast");
  d = decodeLinkDetails(only(buf));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->alias, "frr-hostroute:vrrp_anycast");

  buf.clear();
  encodeLinkSetUp(buf, 2, 9, true);
  auto l = nl::decodeLink(only(buf));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->ifindex, 9);
  EXPECT_TRUE(l->up());
  buf.clear();
  encodeLinkSetUp(buf, 3, 9, false);
  auto m = only(buf);
  EXPECT_FALSE(nl::decodeLink(m)->up());
  uint32_t change;
  std::memcpy(&change, m.payload.data() + 12, 4);
  EXPECT_EQ(change, static_cast<uint32_t>(IFF_UP));  // only IFF_UP changes

  buf.clear();
  encodeLinkDelete(buf, 4, 9);
  EXPECT_EQ(only(buf).hdr.type, RTM_DELLINK);
}

TEST(VrrpNetlink, Addresses) {
  std::vector<uint8_t> buf;
  encodeAddress(buf, 1, true, 9, Prefix::parse("10.1.0.1/32").value(), true);
  auto m = only(buf);
  EXPECT_EQ(m.hdr.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  auto a = nl::decodeAddr(m);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->prefix().str(), "10.1.0.1/32");
  EXPECT_EQ(a->flags, 0);  // NODAD is for IPv6 only
  EXPECT_EQ(a->ifindex, 9u);

  buf.clear();
  encodeAddress(buf, 2, true, 9, Prefix::parse("2001:db8:1::1/128").value(), true);
  a = nl::decodeAddr(only(buf));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, Family::V6);
  EXPECT_EQ(a->flags, IFA_F_NODAD);

  buf.clear();
  encodeAddress(buf, 3, false, 9, Prefix::parse("2001:db8:1::1/128").value(), true);
  EXPECT_EQ(only(buf).hdr.type, RTM_DELADDR);
}

TEST(VrrpNetlink, BridgeLocalFdbRoundTrip) {
  std::vector<uint8_t> buf;
  encodeBridgeLocalFdb(buf, 1, true, 4, kVmac);
  auto m = only(buf);
  EXPECT_EQ(m.hdr.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  auto f = decodeFdb(m);
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(f->ifindex, 4);
  EXPECT_EQ(f->mac, kVmac);
  EXPECT_EQ(f->flags, NTF_SELF);
  EXPECT_TRUE(f->local());
  buf.clear();
  encodeBridgeLocalFdb(buf, 2, false, 4, kVmac);
  EXPECT_EQ(only(buf).hdr.type, RTM_DELNEIGH);
}

std::vector<uint8_t> routeMsg(
    uint8_t family,
    uint8_t dstLen,
    std::span<const uint8_t> dst,
    uint32_t table,
    bool withDst = true) {
  std::vector<uint8_t> buf;
  nl::Builder b(buf, RTM_NEWROUTE, 0, 1);
  uint8_t h[12] = {
      family,
      dstLen,
      0,
      0,
      static_cast<uint8_t>(table < 256 ? table : RT_TABLE_UNSPEC),
      RTPROT_BGP,
      RT_SCOPE_UNIVERSE,
      RTN_UNICAST};
  b.fixed(h);
  if (withDst) {
    b.attr(RTA_DST, dst);
  }
  b.attrU32(RTA_TABLE, table);
  b.attrU32(RTA_PRIORITY, 20);
  b.finish();
  return buf;
}

TEST(VrrpNetlink, Routes) {
  auto def = routeMsg(AF_INET, 0, {}, 254, false);
  auto r = decodeRoute(only(def));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->prefix().str(), "0.0.0.0/0");
  EXPECT_EQ(r->table, 254u);
  EXPECT_EQ(r->priority, 20u);
  EXPECT_EQ(r->protocol, RTPROT_BGP);

  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  auto p6 = routeMsg(AF_INET6, 32, v6, 1000);
  r = decodeRoute(only(p6));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->prefix().str(), "2001:db8::/32");
  EXPECT_EQ(r->table, 1000u);

  // Malformed: a v4 route with a 16-byte RTA_DST, a /33, a /24 without RTA_DST.
  const uint8_t four[4] = {10, 0, 0, 0};
  EXPECT_FALSE(decodeRoute(only(routeMsg(AF_INET, 24, v6, 254))));
  EXPECT_FALSE(decodeRoute(only(routeMsg(AF_INET, 33, four, 254))));
  EXPECT_FALSE(decodeRoute(only(routeMsg(AF_INET, 24, {}, 254, false))));
  EXPECT_FALSE(decodeRoute(only(routeMsg(AF_BRIDGE, 0, {}, 254, false))));
}

TEST(VrrpNetlink, FdbRefusesIpNeighboursAndShortMessages) {
  std::vector<uint8_t> buf;
  nl::Builder b(buf, RTM_NEWNEIGH, 0, 1);
  uint8_t h[12] = {AF_INET};
  b.fixed(h);
  b.finish();
  auto f = decodeFdb(only(buf));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, "not_bridge");

  buf.clear();
  nl::Builder b2(buf, RTM_NEWNEIGH, 0, 1);
  uint8_t h2[12] = {AF_BRIDGE};
  b2.fixed(h2);
  const uint8_t shortMac[4] = {1, 2, 3, 4};
  b2.attr(NDA_LLADDR, shortMac);
  b2.finish();
  EXPECT_FALSE(decodeFdb(only(buf)));
}

}  // namespace
}  // namespace hr::codec::vrrpnl

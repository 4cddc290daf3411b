// KernelView: rtnetlink messages folded into the daemon's view of links, addresses and the
// tracked routes (built with nl::Builder, as the kernel lays them out).
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "vrrp_anycast/track_watcher.h"

namespace hr::vrrp {
namespace {

std::vector<uint8_t> link(
    uint16_t type,
    int32_t idx,
    const char* name,
    uint32_t flags,
    const char* kind = nullptr,
    const char* alias = nullptr,
    uint32_t parent = 0) {
  std::vector<uint8_t> buf;
  codec::nl::Builder b(buf, type, 0, 0);
  uint8_t h[16] = {};
  std::memcpy(h + 4, &idx, 4);
  std::memcpy(h + 8, &flags, 4);
  b.fixed(h);
  b.attrString(IFLA_IFNAME, name);
  if (alias) {
    b.attrString(IFLA_IFALIAS, alias);
  }
  if (parent) {
    b.attrU32(IFLA_LINK, parent);
  }
  if (kind) {
    auto n = b.beginNested(IFLA_LINKINFO);
    b.attrString(IFLA_INFO_KIND, kind);
    b.endNested(n);
  }
  b.finish();
  return buf;
}

std::vector<uint8_t> addr(
    uint16_t type, int32_t idx, const char* a, uint8_t len, uint8_t flags = 0) {
  auto ip = IpAddress::parse(a).value();
  std::vector<uint8_t> buf;
  codec::nl::Builder b(buf, type, 0, 0);
  uint8_t h[8] = {static_cast<uint8_t>(ip.isV4() ? AF_INET : AF_INET6), len, flags, 0};
  std::memcpy(h + 4, &idx, 4);
  b.fixed(h);
  b.attrAddress(IFA_ADDRESS, ip);
  b.finish();
  return buf;
}

std::vector<uint8_t> route(
    uint16_t type, uint8_t family, uint8_t len, uint32_t table, uint32_t metric) {
  std::vector<uint8_t> buf;
  codec::nl::Builder b(buf, type, 0, 0);
  uint8_t h[12] = {family, len, 0, 0, RT_TABLE_UNSPEC, RTPROT_BGP, 0, RTN_UNICAST};
  b.fixed(h);
  b.attrU32(RTA_TABLE, table);
  b.attrU32(RTA_PRIORITY, metric);
  b.finish();
  return buf;
}

uint32_t feed(KernelView& v, const std::vector<uint8_t>& buf) {
  auto msgs = codec::nl::split(buf).value();
  auto r = v.apply(msgs.at(0));
  EXPECT_TRUE(r) << r.error().str();
  return r ? *r : 0;
}

TEST(KernelView, LinksRenamesAndDeletes) {
  KernelView v;
  EXPECT_EQ(
      feed(v, link(RTM_NEWLINK, 4, "br10", IFF_UP | IFF_RUNNING, "bridge")), KernelView::Links);
  ASSERT_NE(v.link("br10"), nullptr);
  EXPECT_TRUE(v.link("br10")->isBridge());
  EXPECT_TRUE(v.link("br10")->operUp());
  feed(v, link(RTM_NEWLINK, 9, "br10-v4-10", IFF_UP, "macvlan", "frr-hostroute:vrrp_anycast", 4));
  EXPECT_EQ(v.link(9)->details.alias, "frr-hostroute:vrrp_anycast");
  EXPECT_EQ(v.link(9)->link, 4u);
  EXPECT_FALSE(v.link(9)->operUp());  // no carrier
  // A notification without IFLA_LINKINFO keeps the kind.
  EXPECT_EQ(
      feed(v, link(RTM_NEWLINK, 4, "br10", IFF_UP)), KernelView::Links | KernelView::LinkDown);
  EXPECT_TRUE(v.link("br10")->isBridge());
  EXPECT_FALSE(v.link("br10")->operUp());
  feed(v, link(RTM_NEWLINK, 4, "br11", IFF_UP));
  EXPECT_EQ(v.link("br10"), nullptr);
  EXPECT_NE(v.link("br11"), nullptr);
  feed(v, addr(RTM_NEWADDR, 4, "10.1.0.2", 24));
  EXPECT_EQ(
      feed(v, link(RTM_DELLINK, 4, "br11", 0)),
      KernelView::Links | KernelView::Addresses);  // was down already
  EXPECT_EQ(v.link(4), nullptr);
  EXPECT_TRUE(v.addresses(4).empty());
}

TEST(KernelView, PrimaryAddresses) {
  KernelView v;
  feed(v, addr(RTM_NEWADDR, 4, "192.0.2.1", 24));
  feed(v, addr(RTM_NEWADDR, 4, "10.1.0.2", 24));
  feed(v, addr(RTM_NEWADDR, 4, "10.1.0.5", 24, IFA_F_SECONDARY));
  feed(v, addr(RTM_NEWADDR, 4, "fe80::1", 64, IFA_F_TENTATIVE));
  feed(v, addr(RTM_NEWADDR, 4, "2001:db8:1::2", 64));
  auto vip = IpAddress::parse("10.1.0.1").value();
  EXPECT_EQ(v.primaryAddress(4, Family::V4, {vip})->str(), "10.1.0.2");  // in the VIP's subnet
  EXPECT_EQ(v.primaryAddress(4, Family::V4)->str(), "192.0.2.1");        // else the first primary
  EXPECT_FALSE(v.primaryAddress(4, Family::V6));  // tentative link-local only
  feed(v, addr(RTM_NEWADDR, 4, "fe80::1", 64));
  EXPECT_EQ(v.primaryAddress(4, Family::V6)->str(), "fe80::1");
  feed(v, addr(RTM_DELADDR, 4, "fe80::1", 64));
  EXPECT_FALSE(v.primaryAddress(4, Family::V6));
  EXPECT_FALSE(v.primaryAddress(5, Family::V4));
}

TEST(KernelView, TrackedRoutesOnlyAndEveryCopyCounts) {
  KernelView v;
  RouteKey def4{Prefix::parse("0.0.0.0/0").value(), 254};
  v.setRouteInterest({def4});
  EXPECT_FALSE(v.routePresent(def4));
  EXPECT_EQ(feed(v, route(RTM_NEWROUTE, AF_INET, 0, 254, 20)), KernelView::Routes);
  EXPECT_TRUE(v.routePresent(def4));
  EXPECT_EQ(feed(v, route(RTM_NEWROUTE, AF_INET, 0, 254, 200)), KernelView::None);  // second copy
  EXPECT_EQ(feed(v, route(RTM_DELROUTE, AF_INET, 0, 254, 20)), KernelView::None);
  EXPECT_TRUE(v.routePresent(def4));
  EXPECT_EQ(feed(v, route(RTM_DELROUTE, AF_INET, 0, 254, 200)), KernelView::Routes);
  EXPECT_FALSE(v.routePresent(def4));
  // Other tables and prefixes are not kept.
  EXPECT_EQ(feed(v, route(RTM_NEWROUTE, AF_INET, 0, 10, 20)), KernelView::None);
  EXPECT_EQ(feed(v, route(RTM_NEWROUTE, AF_INET6, 0, 254, 20)), KernelView::None);
  EXPECT_FALSE(v.routePresent(RouteKey{Prefix::parse("::/0").value(), 254}));
}

TEST(KernelView, MalformedLeavesTheViewAlone) {
  KernelView v;
  feed(v, link(RTM_NEWLINK, 4, "br10", IFF_UP, "bridge"));
  auto bad = link(RTM_NEWLINK, 4, "br10", 0, "bridge");
  bad.resize(20);  // cut inside ifinfomsg
  bad[0] = 20;
  auto msgs = codec::nl::split(bad).value();
  EXPECT_FALSE(v.apply(msgs.at(0)));
  EXPECT_TRUE(v.link("br10")->adminUp());
}

}  // namespace
}  // namespace hr::vrrp

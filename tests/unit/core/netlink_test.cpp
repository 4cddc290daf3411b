#include "core/codec/netlink.h"

#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace hr::codec::nl {
namespace {

std::vector<uint8_t> neighMsg(
    uint16_t type,
    uint8_t family,
    int ifindex,
    uint16_t state,
    uint8_t flags,
    const IpAddress& dst,
    const std::string& mac) {
  std::vector<uint8_t> out;
  Builder b(out, type, 0, 1, 0);
  uint8_t ndm[12] = {family, 0, 0, 0};
  std::memcpy(ndm + 4, &ifindex, 4);
  std::memcpy(ndm + 8, &state, 2);
  ndm[10] = flags;
  ndm[11] = 1;
  b.fixed(ndm);
  b.attrAddress(NDA_DST, dst);
  if (!mac.empty()) {
    b.attr(NDA_LLADDR, MacAddress::parse(mac)->bytes());
  }
  b.attrU32(NDA_PROBES, 0);  // not in our policy: skipped
  b.finish();
  return out;
}

TEST(Netlink, NeighbourRoundTrip) {
  auto buf = neighMsg(
      RTM_NEWNEIGH,
      AF_INET,
      5,
      NUD_REACHABLE,
      NTF_EXT_LEARNED,
      *IpAddress::parse("10.1.0.11"),
      "02:00:00:00:00:11");
  auto v6 =
      neighMsg(RTM_DELNEIGH, AF_INET6, 6, NUD_STALE, 0, *IpAddress::parse("2001:db8:1::11"), "");
  buf.insert(buf.end(), v6.begin(), v6.end());
  auto msgs = split(buf);
  ASSERT_TRUE(msgs) << msgs.error().message;
  ASSERT_EQ(msgs->size(), 2u);
  auto n = decodeNeigh((*msgs)[0]);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_TRUE(n->isNew);
  EXPECT_EQ(n->ifindex, 5);
  EXPECT_EQ(n->state, NUD_REACHABLE);
  EXPECT_TRUE(n->externallyLearned());
  EXPECT_EQ(n->dst.str(), "10.1.0.11");
  ASSERT_TRUE(n->lladdr);
  EXPECT_EQ(n->lladdr->str(), "02:00:00:00:00:11");
  auto d = decodeNeigh((*msgs)[1]);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->isNew);
  EXPECT_EQ(d->dst.str(), "2001:db8:1::11");
  EXPECT_FALSE(d->lladdr);
}

TEST(Netlink, RejectsTruncationAtEveryLength) {
  auto buf = neighMsg(
      RTM_NEWNEIGH,
      AF_INET,
      5,
      NUD_REACHABLE,
      0,
      *IpAddress::parse("10.1.0.11"),
      "02:00:00:00:00:11");
  for (size_t n = 1; n < buf.size(); ++n) {
    std::vector<uint8_t> cut(buf.begin(), buf.begin() + static_cast<long>(n));
    auto msgs = split(cut);
    if (!msgs) {
      continue;  // header says longer than the buffer
    }
    for (const auto& m : *msgs) {
      (void)decodeNeigh(m);  // must not crash; ASan checks the bounds
    }
  }
  // A length shorter than the header is an error, not a loop.
  std::vector<uint8_t> bad(16, 0);
  bad[0] = 4;
  EXPECT_FALSE(split(bad));
}

TEST(Netlink, AttributePolicyChecksSizes) {
  // NDA_DST of 3 bytes for an IPv4 neighbour.
  std::vector<uint8_t> out;
  Builder b(out, RTM_NEWNEIGH, 0, 1);
  uint8_t ndm[12] = {AF_INET};
  b.fixed(ndm);
  const uint8_t three[3] = {10, 1, 0};
  b.attr(NDA_DST, three);
  b.finish();
  auto msgs = split(out);
  ASSERT_TRUE(msgs);
  auto n = decodeNeigh((*msgs)[0]);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, "bad_attr_len");
  // An attribute whose length runs past the message.
  std::vector<uint8_t> over;
  Builder c(over, RTM_NEWNEIGH, 0, 1);
  c.fixed(ndm);
  c.finish();
  const uint8_t hdr[4] = {0x40, 0x00, 0x01, 0x00};  // len 64, type NDA_DST
  over.insert(over.end(), hdr, hdr + 4);
  ByteWriter w(over);
  w.patchU32host(0, static_cast<uint32_t>(over.size()));
  auto m2 = split(over);
  ASSERT_TRUE(m2);
  EXPECT_EQ(decodeNeigh((*m2)[0]).error().code, "truncated");
}

TEST(Netlink, LinkWithNestedInfo) {
  std::vector<uint8_t> out;
  Builder b(out, RTM_NEWLINK, 0, 1);
  uint8_t ifi[16] = {0};
  int idx = 7;
  std::memcpy(ifi + 4, &idx, 4);
  uint32_t flags = 0x1 | 0x40;  // IFF_UP | IFF_RUNNING
  std::memcpy(ifi + 8, &flags, 4);
  b.fixed(ifi);
  b.attrString(IFLA_IFNAME, "br10");
  b.attr(IFLA_ADDRESS, MacAddress::parse("02:aa:bb:cc:dd:ee")->bytes());
  b.attrU32(IFLA_MASTER, 3);
  auto li = b.beginNested(IFLA_LINKINFO);
  b.attrString(IFLA_INFO_KIND, "bridge");
  b.endNested(li);
  b.finish();
  auto msgs = split(out);
  ASSERT_TRUE(msgs);
  auto l = decodeLink((*msgs)[0]);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->ifindex, 7);
  EXPECT_EQ(l->name, "br10");
  EXPECT_EQ(l->kind, "bridge");
  EXPECT_EQ(l->master, 3u);
  EXPECT_TRUE(l->up());
  EXPECT_TRUE(l->running());
  EXPECT_EQ(l->mac->str(), "02:aa:bb:cc:dd:ee");
}

TEST(Netlink, AddressPrefersLocal) {
  std::vector<uint8_t> out;
  Builder b(out, RTM_NEWADDR, 0, 1);
  uint8_t ifa[8] = {AF_INET, 24, 0, 0};
  int idx = 4;
  std::memcpy(ifa + 4, &idx, 4);
  b.fixed(ifa);
  b.attrAddress(IFA_ADDRESS, *IpAddress::parse("10.1.0.99"));
  b.attrAddress(IFA_LOCAL, *IpAddress::parse("10.1.0.2"));
  b.finish();
  auto msgs = split(out);
  auto a = decodeAddr((*msgs)[0]);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->address.str(), "10.1.0.2");
  EXPECT_EQ(a->prefix().canonical().str(), "10.1.0.0/24");
  EXPECT_EQ(a->ifindex, 4u);
}

TEST(Netlink, FdbEntriesAreNotIpNeighbours) {
  auto buf =
      neighMsg(RTM_NEWNEIGH, AF_BRIDGE, 5, NUD_PERMANENT, 0, *IpAddress::parse("10.1.0.1"), "");
  auto msgs = split(buf);
  ASSERT_TRUE(msgs);
  EXPECT_EQ(decodeNeigh((*msgs)[0]).error().code, "not_ip");
}

}  // namespace
}  // namespace hr::codec::nl

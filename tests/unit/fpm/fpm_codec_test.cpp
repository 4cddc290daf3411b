// FPM framing and rtnetlink route / next-hop codecs: golden frames (the byte dumps of
// /work/shared/FPM.md §2.2, taken from zebra 8.4.4), round trips, truncation at every
// length, frames split at every byte boundary, and the header checks.
#include <gtest/gtest.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <set>
#include <string>
#include <vector>

#include "core/codec/fpm.h"
#include "core/codec/netlink.h"
#include "core/codec/netlink_route.h"

namespace hr::codec {
namespace {

std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// FPM.md §2.2: NHG mode, 10.201.0.0/24 from BGP via NHG 16.
const char* kNhgRoute =
    "01 01 00 38"
    "34 00 00 00 18 00 01 05 00 00 00 00 eb 2e dc e2"
    "02 18 00 00 fe ba 00 01 00 00 00 00"
    "08 00 01 00 0a c9 00 00"
    "08 00 06 00 14 00 00 00"
    "08 00 1e 00 10 00 00 00";

// The route becomes ECMP: DEL + NEW in one frame.
const char* kUpdatePair =
    "01 01 00 64"
    "2c 00 00 00 19 00 01 04 00 00 00 00 eb 2e dc e2  02 18 00 00 fe ba 00 00 00 00 00 00"
    "08 00 01 00 0a c9 00 00  08 00 06 00 14 00 00 00"
    "34 00 00 00 18 00 01 05 00 00 00 00 eb 2e dc e2  02 18 00 00 fe ba 00 01 00 00 00 00"
    "08 00 01 00 0a c9 00 00  08 00 06 00 14 00 00 00  08 00 1e 00 1c 00 00 00";

// IPv6 2001:db8:201::/48, flags 0x401 (no REPLACE), NH 31.
const char* kV6Route =
    "01 01 00 44  40 00 00 00 18 00 01 04 00 00 00 00 eb 2e dc e2  0a 30 00 00 fe ba 00 01 00 00 "
    "00 00"
    "14 00 01 00 20 01 0d b8 02 01 00 00 00 00 00 00 00 00 00 00  08 00 06 00 14 00 00 00  08 00 "
    "1e 00 "
    "1f 00 00 00";

const char* kNhSingleV4 =
    "01 01 00 34  30 00 00 00 68 00 01 05 00 00 00 00 eb 2e dc e2  02 00 0b 00 00 00 00 00"
    "08 00 01 00 10 00 00 00  08 00 06 00 0a 00 01 01  08 00 05 00 02 00 00 00";

const char* kNhGroup =
    "01 01 00 38  34 00 00 00 68 00 01 05 00 00 00 00 eb 2e dc e2  00 00 0b 00 00 00 00 00"
    "08 00 01 00 36 00 00 00  14 00 02 00 10 00 00 00 00 00 00 00 12 00 00 00 00 00 00 00";

const char* kNhBlackhole =
    "01 01 00 28  24 00 00 00 68 00 01 05 00 00 00 00 eb 2e dc e2  02 00 0b 00 00 00 00 00"
    "08 00 01 00 0f 00 00 00  04 00 04 00";

const char* kNhDelete =
    "01 01 00 24  20 00 00 00 69 00 01 04 00 00 00 00 eb 2e dc e2  00 00 00 00 00 00 00 00"
    "08 00 01 00 1c 00 00 00";

// Inline mode, IPv4 single path.
const char* kInlineSingle =
    "01 01 00 40  3c 00 00 00 18 00 01 05 00 00 00 00 eb 2e dc e2  02 18 00 00 fe ba 00 01 00 00 "
    "00 00"
    "08 00 01 00 0a c9 00 00  08 00 06 00 14 00 00 00  08 00 05 00 0a 00 01 01  08 00 04 00 02 00 "
    "00 00";

// Inline ECMP NEWROUTE with RTA_MULTIPATH (type 0x8009, NLA_F_NESTED).
const char* kInlineEcmp =
    "01 01 00 54  50 00 00 00 18 00 01 05 00 00 00 00 eb 2e dc e2  02 18 00 00 fe ba 00 01 00 00 "
    "00 00"
    "08 00 01 00 0a c9 00 00  08 00 06 00 14 00 00 00"
    "24 00 09 80"
    "10 00 00 00 02 00 00 00  08 00 05 00 0a 00 01 01"
    "10 00 00 00 03 00 00 00  08 00 05 00 0a 00 02 01";

// Table 1000 static route: rtm_table 0 + RTA_TABLE.
const char* kTable1000 =
    "01 01 00 48  44 00 00 00 18 00 01 05 00 00 00 00 eb 2e dc e2  02 18 00 00 00 c4 00 01 00 00 "
    "00 00"
    "08 00 01 00 c6 12 04 00  08 00 06 00 14 00 00 00  08 00 0f 00 e8 03 00 00"
    "08 00 05 00 0a 00 02 01  08 00 04 00 03 00 00 00";

std::vector<std::vector<uint8_t>> allGolden() {
  return {
      hex(kNhgRoute),
      hex(kUpdatePair),
      hex(kV6Route),
      hex(kNhSingleV4),
      hex(kNhGroup),
      hex(kNhBlackhole),
      hex(kNhDelete),
      hex(kInlineSingle),
      hex(kInlineEcmp),
      hex(kTable1000)};
}

// Frame -> netlink messages.
std::vector<nl::Message> messagesOf(const std::vector<uint8_t>& frame) {
  auto h = fpm::decodeHeader(frame);
  EXPECT_TRUE(h) << h.error().str();
  EXPECT_EQ(h->length, frame.size());
  auto msgs = nl::split(std::span<const uint8_t>(frame).subspan(fpm::kHeaderLen));
  EXPECT_TRUE(msgs) << msgs.error().str();
  return *msgs;
}

// Re-encodes every message of a frame and wraps it again.
std::vector<uint8_t> reencode(const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> payload;
  for (const auto& m : messagesOf(frame)) {
    if (m.hdr.type == RTM_NEWROUTE || m.hdr.type == RTM_DELROUTE) {
      auto r = nl::decodeRoute(m);
      EXPECT_TRUE(r) << r.error().str();
      nl::encodeRoute(payload, *r);
    } else {
      auto n = nl::decodeNexthop(m);
      EXPECT_TRUE(n) << n.error().str();
      nl::encodeNexthop(payload, *n);
    }
  }
  std::vector<uint8_t> out;
  EXPECT_TRUE(fpm::encodeFrame(out, payload));
  return out;
}

TEST(FpmGolden, NhgModeRoute) {
  auto frame = hex(kNhgRoute);  // the messages are views into it
  auto msgs = messagesOf(frame);
  ASSERT_EQ(msgs.size(), 1u);
  auto r = nl::decodeRoute(msgs[0]);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->isNew);
  EXPECT_EQ(r->nlFlags, 0x501);
  EXPECT_EQ(r->pid, 0xe2dc2eebu);
  EXPECT_EQ(r->family, Family::V4);
  EXPECT_EQ(r->prefix().str(), "10.201.0.0/24");
  EXPECT_EQ(r->table(), 254u);
  EXPECT_EQ(r->protocol, 186);  // bgp
  EXPECT_EQ(r->type, RTN_UNICAST);
  EXPECT_EQ(r->priority, 20u);
  EXPECT_EQ(r->nhId, 16u);
  EXPECT_FALSE(r->gateway);
  EXPECT_TRUE(r->multipath.empty());
}

TEST(FpmGolden, UpdateIsDeleteAndNewInOneFrame) {
  auto frame = hex(kUpdatePair);  // the messages are views into it
  auto msgs = messagesOf(frame);
  ASSERT_EQ(msgs.size(), 2u);
  auto del = nl::decodeRoute(msgs[0]);
  auto add = nl::decodeRoute(msgs[1]);
  ASSERT_TRUE(del && add);
  EXPECT_FALSE(del->isNew);
  EXPECT_EQ(del->type, 0);
  EXPECT_FALSE(del->nhId);
  EXPECT_TRUE(add->isNew);
  EXPECT_EQ(del->prefix(), add->prefix());
  EXPECT_EQ(add->nhId, 28u);
}

TEST(FpmGolden, Ipv6Route) {
  auto frame = hex(kV6Route);  // the messages are views into it
  auto msgs = messagesOf(frame);
  auto r = nl::decodeRoute(msgs.at(0));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->family, Family::V6);
  EXPECT_EQ(r->nlFlags, 0x401);
  EXPECT_EQ(r->prefix().str(), "2001:db8:201::/48");
  EXPECT_EQ(r->nhId, 31u);
}

TEST(FpmGolden, NexthopObjects) {
  auto single = nl::decodeNexthop(messagesOf(hex(kNhSingleV4)).at(0));
  ASSERT_TRUE(single) << single.error().str();
  EXPECT_EQ(single->id, 16u);
  EXPECT_EQ(single->family, AF_INET);
  EXPECT_EQ(single->protocol, 11);
  EXPECT_EQ(single->gateway->str(), "10.0.1.1");
  EXPECT_EQ(single->oif, 2u);
  EXPECT_FALSE(single->isGroup());

  auto group = nl::decodeNexthop(messagesOf(hex(kNhGroup)).at(0));
  ASSERT_TRUE(group) << group.error().str();
  EXPECT_EQ(group->id, 54u);
  ASSERT_EQ(group->group.size(), 2u);
  EXPECT_EQ(group->group[0], (nl::NexthopGroupEntry{16, 1}));
  EXPECT_EQ(group->group[1], (nl::NexthopGroupEntry{18, 1}));
  EXPECT_FALSE(group->groupType);

  auto bh = nl::decodeNexthop(messagesOf(hex(kNhBlackhole)).at(0));
  ASSERT_TRUE(bh);
  EXPECT_TRUE(bh->blackhole);
  EXPECT_EQ(bh->id, 15u);

  auto del = nl::decodeNexthop(messagesOf(hex(kNhDelete)).at(0));
  ASSERT_TRUE(del);
  EXPECT_FALSE(del->isNew);
  EXPECT_EQ(del->id, 28u);
}

TEST(FpmGolden, InlineSingleAndEcmp) {
  auto single = nl::decodeRoute(messagesOf(hex(kInlineSingle)).at(0));
  ASSERT_TRUE(single);
  EXPECT_EQ(single->gateway->str(), "10.0.1.1");
  EXPECT_EQ(single->oif, 2u);

  auto ecmp = nl::decodeRoute(messagesOf(hex(kInlineEcmp)).at(0));
  ASSERT_TRUE(ecmp) << ecmp.error().str();
  ASSERT_EQ(ecmp->multipath.size(), 2u);
  EXPECT_EQ(ecmp->multipath[0].ifindex, 2u);
  EXPECT_EQ(ecmp->multipath[0].gateway->str(), "10.0.1.1");
  EXPECT_EQ(ecmp->multipath[1].ifindex, 3u);
  EXPECT_EQ(ecmp->multipath[1].gateway->str(), "10.0.2.1");
  EXPECT_EQ(ecmp->multipath[1].weight(), 1);
}

TEST(FpmGolden, TableAbove255UsesRtaTable) {
  auto r = nl::decodeRoute(messagesOf(hex(kTable1000)).at(0));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rtmTable, 0);
  EXPECT_EQ(r->table(), 1000u);
  EXPECT_EQ(r->protocol, 196);  // static
  EXPECT_EQ(r->prefix().str(), "198.18.4.0/24");
}

TEST(FpmRoundTrip, EveryGoldenFrameReencodesToTheSameBytes) {
  for (const auto& f : allGolden()) {
    EXPECT_EQ(reencode(f), f);
  }
}

TEST(FpmRoundTrip, EncoderOutputDecodesBack) {
  nl::RouteMsg r;
  r.family = Family::V6;
  r.dstLen = 64;
  r.dst = *IpAddress::parse("2001:db8:5::");
  r.rtmTable = 0;
  r.tableAttr = 4242;
  r.protocol = 186;
  r.type = RTN_UNICAST;
  r.priority = 20;
  r.multipath = {
      nl::RouteNexthop{0, 0, 7, *IpAddress::parse("fe80::1"), false},
      nl::RouteNexthop{RTNH_F_ONLINK, 2, 9, *IpAddress::parse("fe80::2"), false},
  };
  r.prefsrc = *IpAddress::parse("2001:db8::1");
  std::vector<uint8_t> buf;
  nl::encodeRoute(buf, r);
  auto msgs = nl::split(buf);
  ASSERT_TRUE(msgs);
  auto back = nl::decodeRoute(msgs->at(0));
  ASSERT_TRUE(back) << back.error().str();
  // The encoder always sets NLA_F_NESTED on RTA_MULTIPATH; the decoder masks it.
  EXPECT_EQ(*back, r);

  nl::RouteMsg via;
  via.family = Family::V4;
  via.dstLen = 32;
  via.dst = *IpAddress::parse("192.0.2.7");
  via.gateway = *IpAddress::parse("fe80::9");
  via.gatewayIsVia = true;
  via.oif = 4;
  buf.clear();
  nl::encodeRoute(buf, via);
  auto vb = nl::decodeRoute(nl::split(buf)->at(0));
  ASSERT_TRUE(vb) << vb.error().str();
  EXPECT_EQ(*vb, via);

  nl::NexthopMsg g;
  g.id = 99;
  g.group = {{1, 1}, {2, 3}, {3, 300}};
  g.groupType = NEXTHOP_GRP_TYPE_MPATH;
  buf.clear();
  nl::encodeNexthop(buf, g);
  auto gb = nl::decodeNexthop(nl::split(buf)->at(0));
  ASSERT_TRUE(gb) << gb.error().str();
  EXPECT_EQ(*gb, g);
}

TEST(FpmFraming, FramesSplitAtEveryByteBoundary) {
  std::vector<uint8_t> stream;
  size_t frames = 0;
  for (const auto& f : allGolden()) {
    stream.insert(stream.end(), f.begin(), f.end());
    ++frames;
  }
  std::vector<std::vector<uint8_t>> want;
  {
    fpm::FrameReader r;
    ASSERT_TRUE(r.append(stream));
    while (true) {
      auto f = r.next();
      ASSERT_TRUE(f);
      if (!*f) {
        break;
      }
      want.emplace_back((*f)->begin(), (*f)->end());
    }
    ASSERT_EQ(want.size(), frames);
  }
  // Two reads, split at every offset; then one byte at a time.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    fpm::FrameReader r;
    std::vector<std::vector<uint8_t>> got;
    auto drain = [&] {
      while (true) {
        auto f = r.next();
        ASSERT_TRUE(f);
        if (!*f) {
          break;
        }
        got.emplace_back((*f)->begin(), (*f)->end());
      }
    };
    ASSERT_TRUE(r.append(std::span<const uint8_t>(stream).first(cut)));
    drain();
    ASSERT_TRUE(r.append(std::span<const uint8_t>(stream).subspan(cut)));
    drain();
    ASSERT_EQ(got, want) << "split at " << cut;
    EXPECT_EQ(r.buffered(), 0u);
  }
  fpm::FrameReader r;
  std::vector<std::vector<uint8_t>> got;
  for (uint8_t b : stream) {
    ASSERT_TRUE(r.append(std::span<const uint8_t>(&b, 1)));
    while (true) {
      auto f = r.next();
      ASSERT_TRUE(f);
      if (!*f) {
        break;
      }
      got.emplace_back((*f)->begin(), (*f)->end());
    }
  }
  EXPECT_EQ(got, want);
}

TEST(FpmFraming, BadHeadersAreErrorsAndSticky) {
  auto frame = hex(kNhgRoute);
  struct Case {
    size_t at;
    uint8_t value;
    const char* code;
  } cases[] = {
      {0, 2, "bad_version"},
      {0, 0, "bad_version"},
      {1, 2, "bad_type"},  // protobuf: not sent by dplane_fpm_nl
      {1, 0, "bad_type"},
      {3, 0, "bad_length"},   // length 0x0000
      {3, 19, "bad_length"},  // shorter than header + nlmsghdr
  };
  for (const auto& c : cases) {
    auto bad = frame;
    if (c.at == 3) {
      bad[2] = 0;
    }
    bad[c.at] = c.value;
    fpm::FrameReader r;
    ASSERT_TRUE(r.append(bad));
    auto f = r.next();
    ASSERT_FALSE(f) << c.code;
    EXPECT_EQ(f.error().code, c.code);
    EXPECT_TRUE(r.failed());
    EXPECT_FALSE(r.next());  // sticky until reset
    r.reset();
    ASSERT_TRUE(r.append(frame));
    auto ok = r.next();
    ASSERT_TRUE(ok && *ok);
  }
}

TEST(FpmFraming, BoundedBuffer) {
  fpm::FrameReader r(100);
  std::vector<uint8_t> big(101, 0);
  EXPECT_FALSE(r.append(big));
  EXPECT_EQ(r.buffered(), 0u);
  std::vector<uint8_t> half(60, 0);
  EXPECT_TRUE(r.append(half));
  EXPECT_EQ(r.room(), 40u);
  EXPECT_FALSE(r.append(half));
}

TEST(FpmFraming, EncodeRefusesOversizedPayload) {
  std::vector<uint8_t> out;
  std::vector<uint8_t> payload(fpm::kMaxFrameLen - 3, 0);
  EXPECT_FALSE(fpm::encodeFrame(out, payload));
  payload.resize(fpm::kMaxFrameLen - 4);
  EXPECT_TRUE(fpm::encodeFrame(out, payload));
  EXPECT_EQ(out.size(), fpm::kMaxFrameLen);
}

// Decodes a whole frame as fpm_client does: header, messages, every route and next hop.
Status decodeFrame(std::span<const uint8_t> frame) {
  HR_TRY(auto h, fpm::decodeHeader(frame));
  if (h.length != frame.size()) {
    return fail("length_mismatch", "header says {}, frame has {}", h.length, frame.size());
  }
  HR_TRY(auto msgs, nl::split(frame.subspan(fpm::kHeaderLen)));
  for (const auto& m : msgs) {
    if (m.hdr.type == RTM_NEWROUTE || m.hdr.type == RTM_DELROUTE) {
      HR_TRY_VOID(nl::decodeRoute(m));
    } else {
      HR_TRY_VOID(nl::decodeNexthop(m));
    }
  }
  return ok();
}

// Every golden frame cut at every length. On the stream, an incomplete frame is never
// delivered (the reader waits for the rest). A frame whose header claims the cut length is
// an error at every cut, except where the cut falls exactly between two messages of the
// frame: that is a well-formed shorter frame (zebra's DEL of a DEL+NEW pair alone).
TEST(FpmMalformed, TruncatedAtEveryLengthIsAnError) {
  size_t errors = 0;
  size_t boundaries = 0;
  for (const auto& f : allGolden()) {
    std::set<size_t> ends;  // payload offsets where a message ends
    size_t off = 0;
    for (const auto& m : messagesOf(f)) {
      off += nl::align4(m.hdr.len);
      ends.insert(off);
    }
    ASSERT_TRUE(decodeFrame(f));
    for (size_t n = 0; n < f.size(); ++n) {
      fpm::FrameReader r;
      ASSERT_TRUE(r.append(std::span<const uint8_t>(f).first(n)));
      auto got = r.next();
      ASSERT_TRUE(got) << "cut at " << n;
      EXPECT_FALSE(*got) << "an incomplete frame was delivered, cut at " << n;
      if (n < fpm::kHeaderLen) {
        continue;
      }
      auto cut = std::vector<uint8_t>(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
      cut[2] = static_cast<uint8_t>(n >> 8);
      cut[3] = static_cast<uint8_t>(n & 0xff);
      auto st = decodeFrame(cut);
      if (ends.contains(n - fpm::kHeaderLen)) {
        EXPECT_TRUE(st) << "cut between messages at " << n << ": " << st.error().str();
        ++boundaries;
      } else {
        ASSERT_FALSE(st) << "frame of " << f.size() << " bytes cut at " << n << " decoded";
        EXPECT_FALSE(st.error().code.empty());
        ++errors;
      }
    }
  }
  EXPECT_EQ(boundaries, 1u);  // the DEL of the DEL+NEW pair
  EXPECT_GT(errors, 500u);
}

// Patches a golden frame's message and expects a decode error with `code`.
void expectRouteError(std::vector<uint8_t> frame, const char* code) {
  auto msgs = nl::split(std::span<const uint8_t>(frame).subspan(fpm::kHeaderLen));
  if (!msgs) {
    EXPECT_EQ(msgs.error().code, code);
    return;
  }
  auto r = nl::decodeRoute(msgs->at(0));
  ASSERT_FALSE(r) << "expected " << code;
  EXPECT_EQ(r.error().code, code) << r.error().str();
}

TEST(FpmMalformed, RouteAttributes) {
  // RTA_DST of 3 bytes (attribute length 7): the policy allows 4..16, then family size.
  auto f = hex(kNhgRoute);
  f[4 + 16 + 12] = 7;
  expectRouteError(f, "bad_attr_len");
  // RTA_DST of 5 bytes in an IPv4 route.
  f = hex(kNhgRoute);
  f[4 + 16 + 12] = 9;
  expectRouteError(f, "truncated");  // 9 bytes + pad runs into RTA_PRIORITY ... past the end
  // Attribute length 2 (< 4).
  f = hex(kNhgRoute);
  f[4 + 16 + 12] = 2;
  expectRouteError(f, "bad_attr_len");
  // RTA_PRIORITY of 8 bytes.
  f = hex(kInlineSingle);
  f[4 + 16 + 12 + 8] = 12;
  expectRouteError(f, "bad_attr_len");
  // Prefix length 33.
  f = hex(kNhgRoute);
  f[4 + 16 + 1] = 33;
  expectRouteError(f, "bad_prefix_len");
  // rtnexthop length 4 inside RTA_MULTIPATH (nested attribute truncated).
  f = hex(kInlineEcmp);
  size_t rtnh = 4 + 16 + 12 + 8 + 8 + 4;
  f[rtnh] = 4;
  expectRouteError(f, "bad_multipath");
  // rtnexthop length running past RTA_MULTIPATH.
  f = hex(kInlineEcmp);
  f[rtnh + 16] = 0x40;
  expectRouteError(f, "bad_multipath");
  // Gateway inside the multipath of the wrong size.
  f = hex(kInlineEcmp);
  f[rtnh + 8] = 7;
  expectRouteError(f, "bad_attr_len");
  // AF_MPLS (LSPs in zebra's replay): skipped by the caller.
  f = hex(kNhgRoute);
  f[4 + 16] = 28;
  expectRouteError(f, "not_ip");
}

TEST(FpmMalformed, NexthopAttributes) {
  auto decode = [](std::vector<uint8_t> f) {
    return nl::decodeNexthop(nl::split(std::span<const uint8_t>(f).subspan(4))->at(0));
  };
  // Group payload not a multiple of 8.
  auto f = hex(kNhGroup);
  f[4 + 16 + 8 + 8] = 0x13;
  auto r = decode(f);
  ASSERT_FALSE(r);
  // NHA_GROUP listing itself.
  f = hex(kNhGroup);
  f[4 + 16 + 8 + 8 + 4] = 0x36;
  r = decode(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_group");
  // Duplicate member.
  f = hex(kNhGroup);
  f[4 + 16 + 8 + 8 + 4 + 8] = 0x10;
  r = decode(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_group");
  // Missing NHA_ID (rename the attribute to NHA_UNSPEC).
  f = hex(kNhSingleV4);
  f[4 + 16 + 8 + 2] = 0;
  r = decode(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "missing_attr");
  // A v4 next hop with a 16-byte gateway: attribute length change makes it run off.
  f = hex(kNhSingleV4);
  f[4 + 16 + 8 + 8] = 20;
  r = decode(f);
  ASSERT_FALSE(r);
  // Blackhole flag with a payload.
  f = hex(kNhBlackhole);
  f[4 + 16 + 8 + 8] = 8;
  r = decode(f);
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace hr::codec

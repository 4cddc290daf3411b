#include "core/codec/netlink_route.h"

#include <linux/lwtunnel.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace hr::codec::nl {

static_assert(rt::kNewRoute == RTM_NEWROUTE && rt::kDelRoute == RTM_DELROUTE);
static_assert(rt::kNewNexthop == RTM_NEWNEXTHOP && rt::kDelNexthop == RTM_DELNEXTHOP);
static_assert(rt::kUnicast == RTN_UNICAST && rt::kBlackhole == RTN_BLACKHOLE);
static_assert(rt::kUnreachable == RTN_UNREACHABLE && rt::kProhibit == RTN_PROHIBIT);
static_assert(rt::kOffload == RTM_F_OFFLOAD && rt::kTrap == RTM_F_TRAP);
static_assert(rt::kOffloadFailed == RTM_F_OFFLOAD_FAILED && rt::kOnlink == RTNH_F_ONLINK);
namespace {

constexpr size_t kRtmsgLen = 12;
constexpr size_t kNhmsgLen = 8;
constexpr size_t kRtnhLen = 8;
constexpr size_t kNhGrpLen = 8;

Result<IpAddress> addrIn(const Attr& a, Family f, const char* what) {
  size_t want = f == Family::V4 ? 4 : 16;
  if (a.data.size() != want) {
    return fail(
        "bad_attr_len",
        "{} has {} bytes, an {} address has {}",
        what,
        a.data.size(),
        f == Family::V4 ? "IPv4" : "IPv6",
        want);
  }
  return IpAddress::fromBytes(a.data);
}

// RTA_VIA: { u16 family; address }.
Result<IpAddress> viaAddr(const Attr& a) {
  if (a.data.size() < 2) {
    return fail("bad_attr_len", "RTA_VIA of {} bytes", a.data.size());
  }
  ByteReader r(a.data);
  uint16_t fam = r.u16host();
  auto rest = r.rest();
  if (fam == AF_INET && rest.size() == 4) {
    return IpAddress::fromBytes(rest);
  }
  if (fam == AF_INET6 && rest.size() == 16) {
    return IpAddress::fromBytes(rest);
  }
  return fail("bad_attr_len", "RTA_VIA family {} with a {}-byte address", fam, rest.size());
}

Result<std::vector<RouteNexthop>> decodeMultipath(std::span<const uint8_t> buf, Family f) {
  static constexpr AttrPolicy kNhPolicy[] = {
      {RTA_GATEWAY, AttrKind::Binary, 4, 16},
      {RTA_VIA, AttrKind::Binary, 2, 18},
      {RTA_ENCAP_TYPE, AttrKind::U16},
      {RTA_ENCAP, AttrKind::Nested},
  };
  std::vector<RouteNexthop> out;
  size_t off = 0;
  while (off < buf.size()) {
    size_t left = buf.size() - off;
    if (left < kRtnhLen) {
      return fail("bad_multipath", "{} bytes left in RTA_MULTIPATH, an rtnexthop needs 8", left);
    }
    ByteReader r(buf.subspan(off, kRtnhLen));
    uint16_t len = r.u16host();
    RouteNexthop nh;
    nh.flags = r.u8();
    nh.hops = r.u8();
    nh.ifindex = r.u32host();
    if (len < kRtnhLen || len > left) {
      return fail("bad_multipath", "rtnexthop length {} with {} bytes left", len, left);
    }
    HR_TRY(auto attrs, parseAttrs(buf.subspan(off + kRtnhLen, len - kRtnhLen), kNhPolicy));
    nh.hasEncap = attrs.has(RTA_ENCAP) || attrs.has(RTA_ENCAP_TYPE);
    if (const auto* g = attrs.get(RTA_GATEWAY)) {
      HR_TRY(nh.gateway, addrIn(*g, f, "multipath RTA_GATEWAY"));
    } else if (const auto* v = attrs.get(RTA_VIA)) {
      HR_TRY(nh.gateway, viaAddr(*v));
      nh.gatewayIsVia = true;
    }
    out.push_back(nh);
    off += std::min(align4(len), left);
  }
  if (out.empty()) {
    return fail("bad_multipath", "empty RTA_MULTIPATH");
  }
  return out;
}

void putVia(Builder& b, uint16_t type, const IpAddress& a) {
  std::vector<uint8_t> v;
  ByteWriter w(v);
  w.u16host(a.isV4() ? AF_INET : AF_INET6);
  w.bytes(a.bytes());
  b.attr(type, v);
}

}  // namespace

Prefix RouteMsg::prefix() const {
  IpAddress a = dst ? *dst : (family == Family::V4 ? IpAddress::v4(0u) : IpAddress::v6({}));
  return Prefix(a, dstLen);
}

Result<RouteMsg> decodeRoute(const Message& m) {
  if (m.hdr.type != RTM_NEWROUTE && m.hdr.type != RTM_DELROUTE) {
    return fail("bad_type", "message type {} is not a route message", m.hdr.type);
  }
  RouteMsg rt;
  rt.isNew = m.hdr.type == RTM_NEWROUTE;
  rt.nlFlags = m.hdr.flags;
  rt.seq = m.hdr.seq;
  rt.pid = m.hdr.pid;
  if (m.payload.size() < kRtmsgLen) {
    return fail(
        "truncated", "route message of {} bytes, rtmsg needs {}", m.payload.size(), kRtmsgLen);
  }
  ByteReader r(m.payload);
  uint8_t fam = r.u8();
  rt.dstLen = r.u8();
  rt.srcLen = r.u8();
  rt.tos = r.u8();
  rt.rtmTable = r.u8();
  rt.protocol = r.u8();
  rt.scope = r.u8();
  rt.type = r.u8();
  rt.rtmFlags = r.u32host();
  if (fam != AF_INET && fam != AF_INET6) {
    return fail("not_ip", "route family {} is neither AF_INET nor AF_INET6", fam);
  }
  rt.family = fam == AF_INET ? Family::V4 : Family::V6;
  uint8_t maxLen = rt.family == Family::V4 ? 32 : 128;
  if (rt.dstLen > maxLen || rt.srcLen > maxLen) {
    return fail("bad_prefix_len", "prefix length {}/{} beyond {}", rt.dstLen, rt.srcLen, maxLen);
  }
  static constexpr AttrPolicy kPolicy[] = {
      {RTA_DST, AttrKind::Binary, 4, 16},
      {RTA_SRC, AttrKind::Binary, 4, 16},
      {RTA_OIF, AttrKind::U32},
      {RTA_GATEWAY, AttrKind::Binary, 4, 16},
      {RTA_PRIORITY, AttrKind::U32},
      {RTA_PREFSRC, AttrKind::Binary, 4, 16},
      {RTA_MULTIPATH, AttrKind::Nested, kRtnhLen, 0},
      {RTA_TABLE, AttrKind::U32},
      {RTA_VIA, AttrKind::Binary, 2, 18},
      {RTA_ENCAP_TYPE, AttrKind::U16},
      {RTA_ENCAP, AttrKind::Nested},
      {RTA_NH_ID, AttrKind::U32},
  };
  HR_TRY(auto attrs, parseAttrs(r.rest(), kPolicy));
  if (const auto* a = attrs.get(RTA_DST)) {
    HR_TRY(rt.dst, addrIn(*a, rt.family, "RTA_DST"));
  } else if (rt.dstLen != 0) {
    return fail("missing_attr", "route /{} without RTA_DST", rt.dstLen);
  }
  if (const auto* a = attrs.get(RTA_SRC)) {
    HR_TRY(rt.src, addrIn(*a, rt.family, "RTA_SRC"));
  }
  if (const auto* a = attrs.get(RTA_PRIORITY)) {
    rt.priority = a->u32();
  }
  if (const auto* a = attrs.get(RTA_TABLE)) {
    rt.tableAttr = a->u32();
  }
  if (const auto* a = attrs.get(RTA_NH_ID)) {
    rt.nhId = a->u32();
  }
  if (const auto* a = attrs.get(RTA_OIF)) {
    rt.oif = a->u32();
  }
  if (const auto* a = attrs.get(RTA_PREFSRC)) {
    HR_TRY(rt.prefsrc, addrIn(*a, rt.family, "RTA_PREFSRC"));
  }
  if (const auto* a = attrs.get(RTA_GATEWAY)) {
    HR_TRY(rt.gateway, addrIn(*a, rt.family, "RTA_GATEWAY"));
  } else if (const auto* v = attrs.get(RTA_VIA)) {
    HR_TRY(rt.gateway, viaAddr(*v));
    rt.gatewayIsVia = true;
  }
  if (const auto* a = attrs.get(RTA_MULTIPATH)) {
    HR_TRY(rt.multipath, decodeMultipath(a->data, rt.family));
  }
  rt.hasEncap = attrs.has(RTA_ENCAP) || attrs.has(RTA_ENCAP_TYPE);
  for (const auto& nh : rt.multipath) {
    rt.hasEncap = rt.hasEncap || nh.hasEncap;
  }
  // The kernel reports a route that uses a next-hop object with RTA_NH_ID AND the expanded
  // RTA_GATEWAY/RTA_OIF or RTA_MULTIPATH (for old readers); zebra sends one or the other.
  // Users prefer nhId.
  if (!rt.multipath.empty() && (rt.gateway || rt.oif)) {
    return fail("conflicting_attrs", "route with RTA_MULTIPATH and RTA_GATEWAY/RTA_OIF");
  }
  return rt;
}

Result<NexthopMsg> decodeNexthop(const Message& m) {
  if (m.hdr.type != RTM_NEWNEXTHOP && m.hdr.type != RTM_DELNEXTHOP) {
    return fail("bad_type", "message type {} is not a next-hop message", m.hdr.type);
  }
  NexthopMsg nh;
  nh.isNew = m.hdr.type == RTM_NEWNEXTHOP;
  nh.nlFlags = m.hdr.flags;
  nh.seq = m.hdr.seq;
  nh.pid = m.hdr.pid;
  if (m.payload.size() < kNhmsgLen) {
    return fail(
        "truncated", "next-hop message of {} bytes, nhmsg needs {}", m.payload.size(), kNhmsgLen);
  }
  ByteReader r(m.payload);
  nh.family = r.u8();
  nh.scope = r.u8();
  nh.protocol = r.u8();
  r.u8();
  nh.nhFlags = r.u32host();
  if (nh.family != AF_UNSPEC && nh.family != AF_INET && nh.family != AF_INET6) {
    return fail("not_ip", "next-hop family {}", nh.family);
  }
  static constexpr AttrPolicy kPolicy[] = {
      {NHA_ID, AttrKind::U32},
      {NHA_GROUP, AttrKind::Binary, kNhGrpLen, 0},
      {NHA_GROUP_TYPE, AttrKind::U16},
      {NHA_BLACKHOLE, AttrKind::Flag},
      {NHA_OIF, AttrKind::U32},
      {NHA_GATEWAY, AttrKind::Binary, 4, 16},
      {NHA_ENCAP_TYPE, AttrKind::U16},
      {NHA_ENCAP, AttrKind::Nested},
      {NHA_FDB, AttrKind::Flag},
  };
  HR_TRY(auto attrs, parseAttrs(r.rest(), kPolicy));
  const auto* id = attrs.get(NHA_ID);
  if (id == nullptr || id->u32() == 0) {
    return fail("missing_attr", "next-hop message without an NHA_ID");
  }
  nh.id = id->u32();
  nh.blackhole = attrs.has(NHA_BLACKHOLE);
  nh.fdb = attrs.has(NHA_FDB);
  nh.hasEncap = attrs.has(NHA_ENCAP) || attrs.has(NHA_ENCAP_TYPE);
  if (const auto* a = attrs.get(NHA_OIF)) {
    nh.oif = a->u32();
  }
  if (const auto* a = attrs.get(NHA_GROUP_TYPE)) {
    nh.groupType = a->u16();
  }
  if (const auto* a = attrs.get(NHA_GATEWAY)) {
    if (nh.family == AF_UNSPEC) {
      return fail("bad_family", "next hop {} has a gateway but no address family", nh.id);
    }
    HR_TRY(nh.gateway, addrIn(*a, nh.family == AF_INET ? Family::V4 : Family::V6, "NHA_GATEWAY"));
  }
  if (const auto* g = attrs.get(NHA_GROUP)) {
    if (g->data.size() % kNhGrpLen != 0) {
      return fail(
          "bad_group", "NHA_GROUP of {} bytes is not a whole number of entries", g->data.size());
    }
    ByteReader gr(g->data);
    while (gr.remaining() >= kNhGrpLen) {
      NexthopGroupEntry e;
      e.id = gr.u32host();
      uint8_t w = gr.u8();
      uint8_t wHigh = gr.u8();
      gr.u16host();
      e.weight = (uint32_t{wHigh} << 8 | w) + 1;
      if (e.id == 0 || e.id == nh.id) {
        return fail("bad_group", "group {} lists member id {}", nh.id, e.id);
      }
      for (const auto& prev : nh.group) {
        if (prev.id == e.id) {
          return fail("bad_group", "group {} lists member {} twice", nh.id, e.id);
        }
      }
      nh.group.push_back(e);
    }
  }
  if (nh.isNew) {
    int kinds = (nh.isGroup() ? 1 : 0) + (nh.blackhole ? 1 : 0) + ((nh.gateway || nh.oif) ? 1 : 0);
    if (kinds > 1) {
      return fail(
          "conflicting_attrs", "next hop {} mixes group, blackhole and gateway/device", nh.id);
    }
    if (kinds == 0 && !nh.fdb) {
      return fail("missing_attr", "next hop {} has no group, blackhole, gateway or device", nh.id);
    }
  }
  return nh;
}

void encodeRoute(std::vector<uint8_t>& out, const RouteMsg& rt) {
  Builder b(out, rt.isNew ? RTM_NEWROUTE : RTM_DELROUTE, rt.nlFlags, rt.seq, rt.pid);
  uint8_t hdr[kRtmsgLen] = {
      static_cast<uint8_t>(rt.family == Family::V4 ? AF_INET : AF_INET6),
      rt.dstLen,
      rt.srcLen,
      rt.tos,
      rt.rtmTable,
      rt.protocol,
      rt.scope,
      rt.type};
  std::memcpy(hdr + 8, &rt.rtmFlags, 4);
  b.fixed(hdr);
  if (rt.dst) {
    b.attrAddress(RTA_DST, *rt.dst);
  }
  if (rt.src) {
    b.attrAddress(RTA_SRC, *rt.src);
  }
  if (rt.priority) {
    b.attrU32(RTA_PRIORITY, *rt.priority);
  }
  if (rt.tableAttr) {
    b.attrU32(RTA_TABLE, *rt.tableAttr);
  }
  if (rt.nhId) {
    b.attrU32(RTA_NH_ID, *rt.nhId);
  }
  if (rt.gateway) {
    if (rt.gatewayIsVia) {
      putVia(b, RTA_VIA, *rt.gateway);
    } else {
      b.attrAddress(RTA_GATEWAY, *rt.gateway);
    }
  }
  if (rt.oif) {
    b.attrU32(RTA_OIF, *rt.oif);
  }
  if (!rt.multipath.empty()) {
    size_t mp = b.beginNested(RTA_MULTIPATH);
    for (const auto& nh : rt.multipath) {
      size_t start = out.size();
      ByteWriter w(out);
      w.u16host(0);
      w.u8(nh.flags);
      w.u8(nh.hops);
      w.u32host(nh.ifindex);
      if (nh.gateway) {
        std::vector<uint8_t> attr;
        ByteWriter aw(attr);
        std::vector<uint8_t> payload;
        if (nh.gatewayIsVia) {
          ByteWriter pw(payload);
          pw.u16host(nh.gateway->isV4() ? AF_INET : AF_INET6);
          pw.bytes(nh.gateway->bytes());
        } else {
          payload.assign(nh.gateway->bytes().begin(), nh.gateway->bytes().end());
        }
        aw.u16host(static_cast<uint16_t>(4 + payload.size()));
        aw.u16host(nh.gatewayIsVia ? RTA_VIA : RTA_GATEWAY);
        aw.bytes(payload);
        attr.resize(align4(attr.size()), 0);
        w.bytes(attr);
      }
      w.patchU16host(start, static_cast<uint16_t>(out.size() - start));
    }
    b.endNested(mp);
  }
  if (rt.prefsrc) {
    b.attrAddress(RTA_PREFSRC, *rt.prefsrc);
  }
  b.finish();
}

void encodeNexthop(std::vector<uint8_t>& out, const NexthopMsg& nh) {
  Builder b(out, nh.isNew ? RTM_NEWNEXTHOP : RTM_DELNEXTHOP, nh.nlFlags, nh.seq, nh.pid);
  uint8_t hdr[kNhmsgLen] = {nh.family, nh.scope, nh.protocol, 0};
  std::memcpy(hdr + 4, &nh.nhFlags, 4);
  b.fixed(hdr);
  b.attrU32(NHA_ID, nh.id);
  if (!nh.group.empty()) {
    std::vector<uint8_t> g;
    ByteWriter w(g);
    for (const auto& e : nh.group) {
      uint32_t wm1 = e.weight - 1;
      w.u32host(e.id);
      w.u8(static_cast<uint8_t>(wm1 & 0xff));
      w.u8(static_cast<uint8_t>(wm1 >> 8));
      w.u16host(0);
    }
    b.attr(NHA_GROUP, g);
  }
  if (nh.groupType) {
    b.attrU16(NHA_GROUP_TYPE, *nh.groupType);
  }
  if (nh.blackhole) {
    b.attrFlag(NHA_BLACKHOLE);
  }
  if (nh.gateway) {
    b.attrAddress(NHA_GATEWAY, *nh.gateway);
  }
  if (nh.oif) {
    b.attrU32(NHA_OIF, *nh.oif);
  }
  if (nh.fdb) {
    b.attrFlag(NHA_FDB);
  }
  b.finish();
}

}  // namespace hr::codec::nl

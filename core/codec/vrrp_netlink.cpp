#include "core/codec/vrrp_netlink.h"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace hr::codec::vrrpnl {
namespace {

constexpr uint16_t kReqAck = NLM_F_REQUEST | NLM_F_ACK;

void ifinfo(nl::Builder& b, int32_t ifindex, uint32_t flags = 0, uint32_t change = 0) {
  uint8_t h[16] = {};
  h[0] = AF_UNSPEC;
  std::memcpy(h + 4, &ifindex, 4);
  std::memcpy(h + 8, &flags, 4);
  std::memcpy(h + 12, &change, 4);
  b.fixed(h);
}

}  // namespace

void encodeMacvlanCreate(std::vector<uint8_t>& out, uint32_t seq, const MacvlanSpec& spec) {
  nl::Builder b(out, RTM_NEWLINK, kReqAck | NLM_F_CREATE | NLM_F_EXCL, seq);
  ifinfo(b, 0);
  b.attrString(IFLA_IFNAME, spec.name);
  b.attrU32(IFLA_LINK, static_cast<uint32_t>(spec.parent));
  b.attr(IFLA_ADDRESS, spec.mac.bytes());
  if (!spec.alias.empty()) {
    b.attrString(IFLA_IFALIAS, spec.alias);
  }
  size_t info = b.beginNested(IFLA_LINKINFO);
  b.attrString(IFLA_INFO_KIND, "macvlan");
  size_t data = b.beginNested(IFLA_INFO_DATA);
  b.attrU32(IFLA_MACVLAN_MODE, static_cast<uint32_t>(spec.mode));
  b.endNested(data);
  b.endNested(info);
  b.finish();
}

void encodeLinkAddrGenMode(
    std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex, AddrGenMode mode) {
  nl::Builder b(out, RTM_NEWLINK, kReqAck, seq);
  ifinfo(b, ifindex);
  size_t spec = b.beginNested(IFLA_AF_SPEC);
  size_t inet6 = b.beginNested(AF_INET6);
  b.attrU8(IFLA_INET6_ADDR_GEN_MODE, static_cast<uint8_t>(mode));
  b.endNested(inet6);
  b.endNested(spec);
  b.finish();
}

void encodeLinkSetAlias(
    std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex, const std::string& alias) {
  nl::Builder b(out, RTM_NEWLINK, kReqAck, seq);
  ifinfo(b, ifindex);
  b.attrString(IFLA_IFALIAS, alias);
  b.finish();
}

void encodeLinkSetUp(std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex, bool up) {
  nl::Builder b(out, RTM_NEWLINK, kReqAck, seq);
  ifinfo(b, ifindex, up ? IFF_UP : 0, IFF_UP);
  b.finish();
}

void encodeLinkDelete(std::vector<uint8_t>& out, uint32_t seq, int32_t ifindex) {
  nl::Builder b(out, RTM_DELLINK, kReqAck, seq);
  ifinfo(b, ifindex);
  b.finish();
}

void encodeAddress(
    std::vector<uint8_t>& out,
    uint32_t seq,
    bool add,
    int32_t ifindex,
    const Prefix& p,
    bool nodad) {
  uint16_t flags = kReqAck | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  nl::Builder b(out, add ? RTM_NEWADDR : RTM_DELADDR, flags, seq);
  uint32_t ifaFlags = (nodad && p.family() == Family::V6) ? IFA_F_NODAD : 0;
  uint8_t h[8] = {};
  h[0] = p.family() == Family::V4 ? AF_INET : AF_INET6;
  h[1] = p.length();
  h[2] = static_cast<uint8_t>(ifaFlags);
  h[3] = RT_SCOPE_UNIVERSE;
  std::memcpy(h + 4, &ifindex, 4);
  b.fixed(h);
  if (p.family() == Family::V4) {
    b.attrAddress(IFA_LOCAL, p.address());
  }
  b.attrAddress(IFA_ADDRESS, p.address());
  if (add) {
    b.attrU32(IFA_FLAGS, ifaFlags);
  }
  b.finish();
}

void encodeBridgeLocalFdb(
    std::vector<uint8_t>& out,
    uint32_t seq,
    bool add,
    int32_t bridgeIfindex,
    const MacAddress& mac) {
  uint16_t flags = kReqAck | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  nl::Builder b(out, add ? RTM_NEWNEIGH : RTM_DELNEIGH, flags, seq);
  uint8_t h[12] = {};
  h[0] = AF_BRIDGE;
  std::memcpy(h + 4, &bridgeIfindex, 4);
  uint16_t state = NUD_PERMANENT;
  std::memcpy(h + 8, &state, 2);
  h[10] = NTF_SELF;
  b.fixed(h);
  b.attr(NDA_LLADDR, mac.bytes());
  b.finish();
}

Result<LinkDetails> decodeLinkDetails(const nl::Message& m) {
  if (m.hdr.type != RTM_NEWLINK && m.hdr.type != RTM_DELLINK) {
    return fail("bad_type", "message type {} is not a link message", m.hdr.type);
  }
  if (m.payload.size() < 16) {
    return fail("truncated", "link message shorter than ifinfomsg");
  }
  static constexpr nl::AttrPolicy kPolicy[] = {
      {IFLA_IFALIAS, nl::AttrKind::String, 0, 256},
      {IFLA_LINKINFO, nl::AttrKind::Nested},
      {IFLA_AF_SPEC, nl::AttrKind::Nested},
      {IFLA_PROTO_DOWN, nl::AttrKind::U8},
  };
  HR_TRY(auto attrs, nl::parseAttrs(m.payload.subspan(16), kPolicy));
  LinkDetails d;
  if (const auto* a = attrs.get(IFLA_IFALIAS)) {
    d.alias = a->str();
  }
  if (const auto* a = attrs.get(IFLA_PROTO_DOWN)) {
    d.protoDown = a->u8() != 0;
  }
  if (const auto* a = attrs.get(IFLA_LINKINFO)) {
    static constexpr nl::AttrPolicy kInfo[] = {
        {IFLA_INFO_KIND, nl::AttrKind::String, 1, 64},
        {IFLA_INFO_DATA, nl::AttrKind::Nested},
    };
    HR_TRY(auto info, nl::parseAttrs(a->data, kInfo));
    const auto* kind = info.get(IFLA_INFO_KIND);
    const auto* data = info.get(IFLA_INFO_DATA);
    if (kind != nullptr && data != nullptr && kind->str() == "macvlan") {
      static constexpr nl::AttrPolicy kMacvlan[] = {{IFLA_MACVLAN_MODE, nl::AttrKind::U32}};
      HR_TRY(auto mv, nl::parseAttrs(data->data, kMacvlan));
      if (const auto* mode = mv.get(IFLA_MACVLAN_MODE)) {
        d.macvlanMode = static_cast<MacvlanMode>(mode->u32());
      }
    }
  }
  if (const auto* a = attrs.get(IFLA_AF_SPEC)) {
    static constexpr nl::AttrPolicy kSpec[] = {{AF_INET6, nl::AttrKind::Nested}};
    HR_TRY(auto spec, nl::parseAttrs(a->data, kSpec));
    if (const auto* i6 = spec.get(AF_INET6)) {
      static constexpr nl::AttrPolicy kInet6[] = {{IFLA_INET6_ADDR_GEN_MODE, nl::AttrKind::U8}};
      HR_TRY(auto inet6, nl::parseAttrs(i6->data, kInet6));
      if (const auto* g = inet6.get(IFLA_INET6_ADDR_GEN_MODE)) {
        d.addrGenMode = static_cast<AddrGenMode>(g->u8());
      }
    }
  }
  return d;
}

Result<RouteMsg> decodeRoute(const nl::Message& m) {
  if (m.hdr.type != RTM_NEWROUTE && m.hdr.type != RTM_DELROUTE) {
    return fail("bad_type", "message type {} is not a route message", m.hdr.type);
  }
  ByteReader r(m.payload);
  RouteMsg rt;
  rt.isNew = m.hdr.type == RTM_NEWROUTE;
  uint8_t fam = r.u8();
  rt.dstLen = r.u8();
  r.u8();  // src_len
  rt.tos = r.u8();
  rt.table = r.u8();
  rt.protocol = r.u8();
  r.u8();  // scope
  rt.type = r.u8();
  rt.flags = r.u32host();
  if (!r.ok()) {
    return fail("truncated", "route message shorter than rtmsg");
  }
  if (fam != AF_INET && fam != AF_INET6) {
    return fail("bad_family", "route family {} is neither AF_INET nor AF_INET6", fam);
  }
  rt.family = fam == AF_INET ? Family::V4 : Family::V6;
  size_t alen = rt.family == Family::V4 ? 4 : 16;
  if (rt.dstLen > alen * 8) {
    return fail("bad_prefix_len", "route prefix length {} too long", rt.dstLen);
  }
  static constexpr nl::AttrPolicy kPolicy[] = {
      {RTA_DST, nl::AttrKind::Binary, 4, 16},
      {RTA_TABLE, nl::AttrKind::U32},
      {RTA_PRIORITY, nl::AttrKind::U32},
  };
  HR_TRY(auto attrs, nl::parseAttrs(r.rest(), kPolicy));
  if (const auto* d = attrs.get(RTA_DST)) {
    if (d->data.size() != alen) {
      return fail("bad_attr_len", "RTA_DST has {} bytes, want {}", d->data.size(), alen);
    }
    rt.dst = IpAddress::fromBytes(d->data).value();
  } else {
    if (rt.dstLen != 0) {
      return fail("missing_attr", "route /{} without RTA_DST", rt.dstLen);
    }
    rt.dst = rt.family == Family::V4 ? IpAddress::v4(0u) : IpAddress::v6(std::array<uint8_t, 16>{});
  }
  if (const auto* t = attrs.get(RTA_TABLE)) {
    rt.table = t->u32();
  }
  if (const auto* p = attrs.get(RTA_PRIORITY)) {
    rt.priority = p->u32();
  }
  return rt;
}

bool FdbMsg::local() const {
  return (state & NUD_PERMANENT) != 0;
}

Result<FdbMsg> decodeFdb(const nl::Message& m) {
  if (m.hdr.type != RTM_NEWNEIGH && m.hdr.type != RTM_DELNEIGH) {
    return fail("bad_type", "message type {} is not a neighbour message", m.hdr.type);
  }
  ByteReader r(m.payload);
  FdbMsg f;
  f.isNew = m.hdr.type == RTM_NEWNEIGH;
  uint8_t fam = r.u8();
  r.u8();
  r.u16host();
  f.ifindex = static_cast<int32_t>(r.u32host());
  f.state = r.u16host();
  f.flags = r.u8();
  r.u8();
  if (!r.ok()) {
    return fail("truncated", "neighbour message shorter than ndmsg");
  }
  if (fam != AF_BRIDGE) {
    return fail("not_bridge", "neighbour family {} is not AF_BRIDGE", fam);
  }
  static constexpr nl::AttrPolicy kPolicy[] = {
      {NDA_LLADDR, nl::AttrKind::Binary, 6, 6},
      {NDA_VLAN, nl::AttrKind::U16},
      {NDA_MASTER, nl::AttrKind::U32},
  };
  HR_TRY(auto attrs, nl::parseAttrs(r.rest(), kPolicy));
  const auto* ll = attrs.get(NDA_LLADDR);
  if (ll == nullptr) {
    return fail("missing_attr", "fdb entry without NDA_LLADDR");
  }
  f.mac = MacAddress::fromBytes(ll->data).value();
  if (const auto* v = attrs.get(NDA_VLAN)) {
    f.vlan = v->u16();
  }
  if (const auto* ma = attrs.get(NDA_MASTER)) {
    f.master = ma->u32();
  }
  return f;
}

}  // namespace hr::codec::vrrpnl

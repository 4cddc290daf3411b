#include "core/codec/zapi.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/codec/bytes.h"

namespace hr::codec::zapi {

namespace {

constexpr size_t kIfNameSize = 16;    // INTERFACE_NAMSIZ (IFNAMSIZ)
constexpr size_t kVrfNameSize = 36;   // VRF_NAMSIZ, NS_NAMSIZ
constexpr size_t kMaxNexthops = 512;  // above any MULTIPATH_NUM zebra is built with

constexpr std::array<std::string_view, kCommandCount> kCommandNames = {
    "INTERFACE_ADD",
    "INTERFACE_DELETE",
    "INTERFACE_ADDRESS_ADD",
    "INTERFACE_ADDRESS_DELETE",
    "INTERFACE_UP",
    "INTERFACE_DOWN",
    "ROUTE_ADD",
    "ROUTE_DELETE",
    "ROUTE_NOTIFY_OWNER",
    "REDISTRIBUTE_ADD",
    "REDISTRIBUTE_DELETE",
    "ROUTER_ID_ADD",
    "ROUTER_ID_DELETE",
    "ROUTER_ID_UPDATE",
    "HELLO",
    "CAPABILITIES",
    "NEXTHOP_UPDATE",
    "INTERFACE_NBR_ADDRESS_ADD",
    "INTERFACE_NBR_ADDRESS_DELETE",
    "REDISTRIBUTE_ROUTE_ADD",
    "REDISTRIBUTE_ROUTE_DEL",
    "VRF_ADD",
    "VRF_DELETE",
    "INTERFACE_VRF_UPDATE",
    "INTERFACE_LINK_PARAMS",
    "ERROR",
    "CLIENT_CAPABILITIES",
    "ROUTE_NOTIFY_REQUEST",
    "CLIENT_CLOSE_NOTIFY",
};

// FRR 8.4.x zebra_message_types_t positions (lib/zclient.h, frr-8.4.4), in Command order.
constexpr std::array<uint16_t, kCommandCount> kFrr84Wire = {
    0,    // INTERFACE_ADD
    1,    // INTERFACE_DELETE
    2,    // INTERFACE_ADDRESS_ADD
    3,    // INTERFACE_ADDRESS_DELETE
    4,    // INTERFACE_UP
    5,    // INTERFACE_DOWN
    8,    // ROUTE_ADD
    9,    // ROUTE_DELETE
    10,   // ROUTE_NOTIFY_OWNER
    11,   // REDISTRIBUTE_ADD
    12,   // REDISTRIBUTE_DELETE
    15,   // ROUTER_ID_ADD
    16,   // ROUTER_ID_DELETE
    17,   // ROUTER_ID_UPDATE
    18,   // HELLO
    19,   // CAPABILITIES
    22,   // NEXTHOP_UPDATE
    23,   // INTERFACE_NBR_ADDRESS_ADD
    24,   // INTERFACE_NBR_ADDRESS_DELETE
    30,   // REDISTRIBUTE_ROUTE_ADD
    31,   // REDISTRIBUTE_ROUTE_DEL
    33,   // VRF_ADD
    34,   // VRF_DELETE
    36,   // INTERFACE_VRF_UPDATE
    42,   // INTERFACE_LINK_PARAMS
    118,  // ERROR
    119,  // CLIENT_CAPABILITIES
    124,  // ROUTE_NOTIFY_REQUEST
    125,  // CLIENT_CLOSE_NOTIFY
};

constexpr std::array<std::string_view, route_type::kMax> kRouteTypeNames = {
    "system",     "kernel",
    "connected",  "static",
    "rip",        "ripng",
    "ospf",       "ospf6",
    "isis",       "bgp",
    "pim",        "eigrp",
    "nhrp",       "hsls",
    "olsr",       "table",
    "ldp",        "vnc",
    "vnc-direct", "vnc-rn",
    "bgp-direct", "bgp-direct-to-nve",
    "babel",      "sharp",
    "pbr",        "bfd",
    "openfabric", "vrrp",
    "nhg",        "srte",
    "all",
};

// A decode failure with its stable reason.
Unexpected<Error> bad(std::string reason, std::string detail) {
  return Unexpected<Error>(Error{std::move(reason), std::move(detail)});
}

Status finish(ByteReader& r, std::string_view what) {
  if (!r.ok()) {
    return bad("truncated", fmt::format("{} body is truncated", what));
  }
  if (!r.atEnd()) {
    return bad("trailing_bytes", fmt::format("{} body has {} trailing bytes", what, r.remaining()));
  }
  return ok();
}

size_t psize(uint8_t plen) {
  return (plen + 7u) / 8u;
}

Result<Family> familyOf(uint8_t af) {
  if (af == kAfInet) {
    return Family::V4;
  }
  if (af == kAfInet6) {
    return Family::V6;
  }
  return bad("bad_family", fmt::format("address family {} is neither AF_INET nor AF_INET6", af));
}

uint8_t afOf(const IpAddress& a) {
  return a.isV4() ? kAfInet : kAfInet6;
}

IpAddress addressFrom(Family f, std::span<const uint8_t> bytes) {
  if (f == Family::V4) {
    std::array<uint8_t, 4> b{};
    std::copy_n(bytes.begin(), std::min<size_t>(bytes.size(), 4), b.begin());
    return IpAddress::v4(b);
  }
  std::array<uint8_t, 16> b{};
  std::copy_n(bytes.begin(), std::min<size_t>(bytes.size(), 16), b.begin());
  return IpAddress::v6(b);
}

// Reads `plen` then PSIZE(plen) prefix bytes of family f.
Result<Prefix> readPsizePrefix(ByteReader& r, Family f) {
  uint8_t plen = r.u8();
  uint8_t max = f == Family::V4 ? 32 : 128;
  if (!r.ok()) {
    return bad("truncated", "prefix length missing");
  }
  if (plen > max) {
    return bad("bad_prefix_length", fmt::format("prefix length {} is longer than {}", plen, max));
  }
  auto b = r.bytes(psize(plen));
  if (!r.ok()) {
    return bad("truncated", "prefix bytes missing");
  }
  return Prefix(addressFrom(f, b), plen);
}

void writePsizePrefix(ByteWriter& w, const Prefix& p) {
  w.u8(p.length());
  w.bytes(p.address().bytes().subspan(0, psize(p.length())));
}

std::string cString(std::span<const uint8_t> b) {
  auto end = std::find(b.begin(), b.end(), uint8_t{0});
  return std::string(b.begin(), end);
}

Status writeCString(ByteWriter& w, const std::string& s, size_t size, std::string_view what) {
  if (s.size() > size || s.find('\0') != std::string::npos) {
    return fail("zapi.encode", "{} '{}' does not fit {} bytes", what, s, size);
  }
  w.bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  w.zeros(size - s.size());
  return ok();
}

// ---- zapi_route -------------------------------------------------------------------------------

Result<Nexthop> readNexthop(ByteReader& r, uint32_t message) {
  Nexthop nh;
  nh.vrfId = r.u32be();
  uint8_t type = r.u8();
  nh.flags = r.u8();
  if (!r.ok()) {
    return bad("truncated", "nexthop header truncated");
  }
  switch (type) {
    case static_cast<uint8_t>(NexthopType::Blackhole):
      nh.blackholeType = r.u8();
      break;
    case static_cast<uint8_t>(NexthopType::Ipv4):
    case static_cast<uint8_t>(NexthopType::Ipv4Ifindex):
      nh.gate = addressFrom(Family::V4, r.bytes(4));
      nh.ifindex = r.u32be();
      break;
    case static_cast<uint8_t>(NexthopType::Ifindex):
      nh.ifindex = r.u32be();
      break;
    case static_cast<uint8_t>(NexthopType::Ipv6):
    case static_cast<uint8_t>(NexthopType::Ipv6Ifindex):
      nh.gate = addressFrom(Family::V6, r.bytes(16));
      nh.ifindex = r.u32be();
      break;
    default:
      return bad("bad_nexthop_type", fmt::format("nexthop type {} is unknown", type));
  }
  nh.type = static_cast<NexthopType>(type);
  if (nh.flags & (kNhSeg6 | kNhSeg6Local)) {
    // Layout depends on struct seg6local_context; nothing the product needs.
    return bad("unsupported_srv6", "SRv6 nexthop (not decoded)");
  }
  if (nh.flags & kNhLabel) {
    uint8_t n = r.u8();
    if (!r.ok()) {
      return bad("truncated", "label count missing");
    }
    if (n > kMaxLabels) {
      return bad("too_many_labels", fmt::format("{} MPLS labels (at most {})", n, kMaxLabels));
    }
    for (uint8_t i = 0; i < n; ++i) {
      nh.labels.push_back(r.u32host());
    }
  }
  if (nh.flags & kNhWeight) {
    nh.weight = r.u32be();
  }
  if (nh.flags & kNhEvpn) {
    r.copy(nh.rmac.data(), nh.rmac.size());
  }
  if (message & kMsgSrte) {
    nh.srteColor = r.u32be();
  }
  if (nh.flags & kNhHasBackup) {
    uint8_t n = r.u8();
    if (!r.ok()) {
      return bad("truncated", "backup count missing");
    }
    if (n > kMaxBackups) {
      return bad("too_many_backups", fmt::format("{} backup indexes (at most {})", n, kMaxBackups));
    }
    for (uint8_t i = 0; i < n; ++i) {
      nh.backupIdx.push_back(r.u8());
    }
  }
  if (!r.ok()) {
    return bad("truncated", "nexthop truncated");
  }
  return nh;
}

Status writeNexthop(ByteWriter& w, const Nexthop& nh, uint32_t message) {
  uint8_t flags = nh.flags;
  if (!nh.labels.empty()) {
    flags |= kNhLabel;
  }
  if (nh.weight != 0) {
    flags |= kNhWeight;
  }
  if (flags & (kNhSeg6 | kNhSeg6Local)) {
    return fail("zapi.encode", "SRv6 nexthops are not supported");
  }
  if (nh.labels.size() > kMaxLabels || nh.backupIdx.size() > kMaxBackups) {
    return fail("zapi.encode", "too many labels or backup indexes in a nexthop");
  }
  w.u32be(nh.vrfId);
  w.u8(static_cast<uint8_t>(nh.type));
  w.u8(flags);
  switch (nh.type) {
    case NexthopType::Blackhole:
      w.u8(nh.blackholeType);
      break;
    case NexthopType::Ipv4:
    case NexthopType::Ipv4Ifindex:
      if (!nh.gate.isV4()) {
        return fail("zapi.encode", "IPv4 nexthop with an IPv6 gateway");
      }
      w.bytes(nh.gate.bytes());
      w.u32be(nh.ifindex);
      break;
    case NexthopType::Ifindex:
      w.u32be(nh.ifindex);
      break;
    case NexthopType::Ipv6:
    case NexthopType::Ipv6Ifindex:
      if (!nh.gate.isV6()) {
        return fail("zapi.encode", "IPv6 nexthop with an IPv4 gateway");
      }
      w.bytes(nh.gate.bytes());
      w.u32be(nh.ifindex);
      break;
    default:
      return fail("zapi.encode", "unknown nexthop type {}", static_cast<int>(nh.type));
  }
  if (flags & kNhLabel) {
    w.u8(static_cast<uint8_t>(nh.labels.size()));
    for (uint32_t l : nh.labels) {
      w.u32host(l);
    }
  }
  if (flags & kNhWeight) {
    w.u32be(nh.weight);
  }
  if (flags & kNhEvpn) {
    w.bytes(nh.rmac);
  }
  if (message & kMsgSrte) {
    w.u32be(nh.srteColor);
  }
  if (flags & kNhHasBackup) {
    w.u8(static_cast<uint8_t>(nh.backupIdx.size()));
    w.bytes(nh.backupIdx);
  }
  return ok();
}

Result<std::vector<Nexthop>> readNexthops(ByteReader& r, uint32_t message) {
  uint16_t n = r.u16be();
  if (!r.ok()) {
    return bad("truncated", "nexthop count missing");
  }
  if (n > kMaxNexthops) {
    return bad("too_many_nexthops", fmt::format("{} nexthops (at most {})", n, kMaxNexthops));
  }
  // Each nexthop takes at least 7 bytes: refuse counts the body cannot hold before looping.
  if (size_t{n} * 7 > r.remaining()) {
    return bad("truncated", fmt::format("{} nexthops cannot fit in {} bytes", n, r.remaining()));
  }
  std::vector<Nexthop> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    HR_TRY(auto nh, readNexthop(r, message));
    out.push_back(std::move(nh));
  }
  return out;
}

Result<Route> readRoute(ByteReader& r) {
  Route rt;
  rt.type = r.u8();
  rt.instance = r.u16be();
  rt.flags = r.u32be();
  rt.message = r.u32be();
  rt.safi = r.u8();
  uint8_t af = r.u8();
  if (!r.ok()) {
    return bad("truncated", "route header truncated");
  }
  if (rt.type >= route_type::kMax) {
    return bad(
        "bad_route_type", fmt::format("route type {} is not below {}", rt.type, route_type::kMax));
  }
  if (rt.safi < kSafiUnicast || rt.safi >= kSafiMax) {
    return bad("bad_safi", fmt::format("SAFI {} is not a legal value", rt.safi));
  }
  HR_TRY(Family f, familyOf(af));
  HR_TRY(rt.prefix, readPsizePrefix(r, f));
  if (rt.message & kMsgSrcPfx) {
    HR_TRY(auto src, readPsizePrefix(r, Family::V6));
    if (f != Family::V6 || src.length() == 0) {
      return bad("bad_src_prefix", "a source prefix needs an IPv6 route and a non-zero length");
    }
    rt.srcPrefix = src;
  }
  if (rt.message & kMsgNhg) {
    rt.nhgId = r.u32be();
  }
  if (rt.message & kMsgNexthop) {
    HR_TRY(rt.nexthops, readNexthops(r, rt.message));
  }
  if (rt.message & kMsgBackupNexthops) {
    HR_TRY(rt.backupNexthops, readNexthops(r, rt.message));
  }
  if (rt.message & kMsgDistance) {
    rt.distance = r.u8();
  }
  if (rt.message & kMsgMetric) {
    rt.metric = r.u32be();
  }
  if (rt.message & kMsgTag) {
    rt.tag = r.u32be();
  }
  if (rt.message & kMsgMtu) {
    rt.mtu = r.u32be();
  }
  if (rt.message & kMsgTableId) {
    rt.tableId = r.u32be();
  }
  if (rt.message & kMsgOpaque) {
    uint16_t len = r.u16be();
    if (!r.ok()) {
      return bad("truncated", "opaque length missing");
    }
    if (len > kMaxOpaque) {
      return bad(
          "opaque_too_long", fmt::format("opaque data of {} bytes (at most {})", len, kMaxOpaque));
    }
    auto b = r.bytes(len);
    rt.opaque.assign(b.begin(), b.end());
  }
  HR_TRY_VOID(finish(r, "route"));
  return rt;
}

Status writeRoute(ByteWriter& w, const Route& rt) {
  if (rt.type >= route_type::kMax) {
    return fail("zapi.encode", "route type {} out of range", rt.type);
  }
  if (rt.safi < kSafiUnicast || rt.safi >= kSafiMax) {
    return fail("zapi.encode", "SAFI {} out of range", rt.safi);
  }
  if (rt.prefix.length() > rt.prefix.address().maxPrefixLen()) {
    return fail("zapi.encode", "prefix length {} too long", rt.prefix.length());
  }
  if ((rt.message & kMsgOpaque) && rt.opaque.size() > kMaxOpaque) {
    return fail("zapi.encode", "opaque data too long");
  }
  uint32_t message = rt.message;
  if (!rt.nexthops.empty()) {
    message |= kMsgNexthop;
  }
  if (!rt.backupNexthops.empty()) {
    message |= kMsgBackupNexthops;
  }
  if (rt.srcPrefix) {
    message |= kMsgSrcPfx;
  }
  if ((message & kMsgSrcPfx) && (!rt.srcPrefix || !rt.prefix.address().isV6())) {
    return fail("zapi.encode", "a source prefix needs an IPv6 route");
  }
  w.u8(rt.type);
  w.u16be(rt.instance);
  w.u32be(rt.flags);
  w.u32be(message);
  w.u8(rt.safi);
  w.u8(afOf(rt.prefix.address()));
  writePsizePrefix(w, rt.prefix);
  if (message & kMsgSrcPfx) {
    writePsizePrefix(w, *rt.srcPrefix);
  }
  if (message & kMsgNhg) {
    w.u32be(rt.nhgId);
  }
  if (message & kMsgNexthop) {
    if (rt.nexthops.size() > kMaxNexthops) {
      return fail("zapi.encode", "too many nexthops");
    }
    w.u16be(static_cast<uint16_t>(rt.nexthops.size()));
    for (const auto& nh : rt.nexthops) {
      HR_TRY_VOID(writeNexthop(w, nh, message));
    }
  }
  if (message & kMsgBackupNexthops) {
    if (rt.backupNexthops.size() > kMaxNexthops) {
      return fail("zapi.encode", "too many backup nexthops");
    }
    w.u16be(static_cast<uint16_t>(rt.backupNexthops.size()));
    for (const auto& nh : rt.backupNexthops) {
      HR_TRY_VOID(writeNexthop(w, nh, message));
    }
  }
  if (message & kMsgDistance) {
    w.u8(rt.distance);
  }
  if (message & kMsgMetric) {
    w.u32be(rt.metric);
  }
  if (message & kMsgTag) {
    w.u32be(rt.tag);
  }
  if (message & kMsgMtu) {
    w.u32be(rt.mtu);
  }
  if (message & kMsgTableId) {
    w.u32be(rt.tableId);
  }
  if (message & kMsgOpaque) {
    w.u16be(static_cast<uint16_t>(rt.opaque.size()));
    w.bytes(rt.opaque);
  }
  return ok();
}

// ---- other bodies -------------------------------------------------------------------------------

Result<Interface> readInterface(ByteReader& r) {
  Interface i;
  i.name = cString(r.bytes(kIfNameSize));
  i.ifindex = r.u32be();
  i.status = r.u8();
  i.flags = r.u64be();
  i.ptmEnable = r.u8();
  i.ptmStatus = r.u8();
  i.metric = r.u32be();
  i.speed = r.u32be();
  i.mtu = r.u32be();
  i.mtu6 = r.u32be();
  i.bandwidth = r.u32be();
  i.linkIfindex = r.u32be();
  i.llType = r.u32be();
  uint32_t hwLen = r.u32be();
  if (!r.ok()) {
    return bad("truncated", "interface body truncated");
  }
  if (hwLen > 32 || hwLen > r.remaining()) {  // INTERFACE_HWADDR_MAX is 20
    return bad("bad_hwaddr_length", fmt::format("hardware address of {} bytes", hwLen));
  }
  auto hw = r.bytes(hwLen);
  i.hwAddr.assign(hw.begin(), hw.end());
  i.hasLinkParams = r.u8();
  if (!r.ok()) {
    return bad("truncated", "interface body truncated");
  }
  if (i.hasLinkParams != 0) {
    auto lp = r.rest();
    i.linkParams.assign(lp.begin(), lp.end());
  }
  HR_TRY_VOID(finish(r, "interface"));
  return i;
}

Status writeInterface(ByteWriter& w, const Interface& i) {
  HR_TRY_VOID(writeCString(w, i.name, kIfNameSize, "interface name"));
  w.u32be(i.ifindex);
  w.u8(i.status);
  w.u64be(i.flags);
  w.u8(i.ptmEnable);
  w.u8(i.ptmStatus);
  w.u32be(i.metric);
  w.u32be(i.speed);
  w.u32be(i.mtu);
  w.u32be(i.mtu6);
  w.u32be(i.bandwidth);
  w.u32be(i.linkIfindex);
  w.u32be(i.llType);
  w.u32be(static_cast<uint32_t>(i.hwAddr.size()));
  w.bytes(i.hwAddr);
  w.u8(i.hasLinkParams);
  if (i.hasLinkParams != 0) {
    w.bytes(i.linkParams);
  }
  return ok();
}

Result<InterfaceAddress> readInterfaceAddress(ByteReader& r) {
  InterfaceAddress a;
  a.ifindex = r.u32be();
  a.flags = r.u8();
  uint8_t af = r.u8();
  if (!r.ok()) {
    return bad("truncated", "interface address truncated");
  }
  HR_TRY(Family f, familyOf(af));
  size_t blen = f == Family::V4 ? 4 : 16;
  a.address = addressFrom(f, r.bytes(blen));
  a.prefixLen = r.u8();
  a.destination = addressFrom(f, r.bytes(blen));
  HR_TRY_VOID(finish(r, "interface address"));
  if (a.prefixLen > a.address.maxPrefixLen()) {
    return bad("bad_prefix_length", fmt::format("prefix length {}", a.prefixLen));
  }
  return a;
}

Result<NotifyOwner> readNotifyOwner(ByteReader& r) {
  NotifyOwner n;
  n.note = r.u32host();
  uint8_t af = r.u8();
  uint8_t plen = r.u8();
  if (!r.ok()) {
    return bad("truncated", "notify-owner body truncated");
  }
  HR_TRY(Family f, familyOf(af));
  auto addr = addressFrom(f, r.bytes(f == Family::V4 ? 4 : 16));
  if (plen > addr.maxPrefixLen()) {
    return bad("bad_prefix_length", fmt::format("prefix length {}", plen));
  }
  n.prefix = Prefix(addr, plen);
  n.tableId = r.u32be();
  n.afi = r.u8();
  n.safi = r.u8();
  HR_TRY_VOID(finish(r, "notify-owner"));
  return n;
}

Result<RouterIdUpdate> readRouterIdUpdate(ByteReader& r) {
  uint8_t af = r.u8();
  if (!r.ok()) {
    return bad("truncated", "router-id body truncated");
  }
  HR_TRY(Family f, familyOf(af));
  auto addr = addressFrom(f, r.bytes(f == Family::V4 ? 4 : 16));
  uint8_t plen = r.u8();
  HR_TRY_VOID(finish(r, "router-id"));
  if (plen > addr.maxPrefixLen()) {
    return bad("bad_prefix_length", fmt::format("prefix length {}", plen));
  }
  return RouterIdUpdate{Prefix(addr, plen)};
}

Result<ClientCapabilities> readClientCapabilities(ByteReader& r) {
  ClientCapabilities c;
  c.cap = r.u32be();
  switch (static_cast<Cap>(c.cap)) {
    case Cap::GracefulRestart:
    case Cap::RibStaleTime:
      c.staleTime = r.u32be();
      c.vrfId = r.u32be();
      break;
    case Cap::RouteUpdateComplete:
    case Cap::RouteUpdatePending:
      c.afi = r.u32be();
      c.safi = r.u32be();
      c.vrfId = r.u32be();
      break;
    case Cap::GracefulRestartDisable:
      c.vrfId = r.u32be();
      break;
    default:
      if (r.ok()) {
        return bad("bad_capability", fmt::format("client capability {} is unknown", c.cap));
      }
  }
  HR_TRY_VOID(finish(r, "client capabilities"));
  return c;
}

// Which body a command carries, by direction-independent shape.
enum class Shape {
  Interface,
  InterfaceAddress,
  Route,
  NotifyOwner,
  Redistribute,
  RouterIdRequest,
  RouterIdUpdate,
  Hello,
  Capabilities,
  Vrf,
  Error,
  ClientCapabilities,
  RouteNotifyRequest,
  ClientCloseNotify,
  Unused,
};

Shape shapeOf(Command c) {
  switch (c) {
    case Command::InterfaceAdd:
    case Command::InterfaceDelete:
    case Command::InterfaceUp:
    case Command::InterfaceDown:
      return Shape::Interface;
    case Command::InterfaceAddressAdd:
    case Command::InterfaceAddressDelete:
      return Shape::InterfaceAddress;
    case Command::RouteAdd:
    case Command::RouteDelete:
    case Command::RedistributeRouteAdd:
    case Command::RedistributeRouteDel:
      return Shape::Route;
    case Command::RouteNotifyOwner:
      return Shape::NotifyOwner;
    case Command::RedistributeAdd:
    case Command::RedistributeDelete:
      return Shape::Redistribute;
    case Command::RouterIdAdd:
    case Command::RouterIdDelete:
      return Shape::RouterIdRequest;
    case Command::RouterIdUpdate:
      return Shape::RouterIdUpdate;
    case Command::Hello:
      return Shape::Hello;
    case Command::Capabilities:
      return Shape::Capabilities;
    case Command::VrfAdd:
    case Command::VrfDelete:
      return Shape::Vrf;
    case Command::Error:
      return Shape::Error;
    case Command::ClientCapabilities:
      return Shape::ClientCapabilities;
    case Command::RouteNotifyRequest:
      return Shape::RouteNotifyRequest;
    case Command::ClientCloseNotify:
      return Shape::ClientCloseNotify;
    default:
      return Shape::Unused;
  }
}

Result<Body> decodeBody(Command c, std::span<const uint8_t> body) {
  ByteReader r(body);
  switch (shapeOf(c)) {
    case Shape::Interface: {
      if (c == Command::InterfaceAdd && body.empty()) {
        return Body{Empty{}};  // c->z dump request
      }
      HR_TRY(auto i, readInterface(r));
      return Body{std::move(i)};
    }
    case Shape::InterfaceAddress: {
      HR_TRY(auto a, readInterfaceAddress(r));
      return Body{a};
    }
    case Shape::Route: {
      HR_TRY(auto rt, readRoute(r));
      return Body{std::move(rt)};
    }
    case Shape::NotifyOwner: {
      HR_TRY(auto n, readNotifyOwner(r));
      return Body{n};
    }
    case Shape::Redistribute: {
      Redistribute d;
      d.afi = r.u8();
      d.type = r.u8();
      d.instance = r.u16be();
      HR_TRY_VOID(finish(r, "redistribute"));
      return Body{d};
    }
    case Shape::RouterIdRequest: {
      RouterIdRequest q;
      q.afi = r.u16be();
      HR_TRY_VOID(finish(r, "router-id request"));
      return Body{q};
    }
    case Shape::RouterIdUpdate: {
      HR_TRY(auto u, readRouterIdUpdate(r));
      return Body{u};
    }
    case Shape::Hello: {
      Hello h;
      h.proto = r.u8();
      h.instance = r.u16be();
      h.sessionId = r.u32be();
      h.receiveNotify = r.u8();
      h.synchronous = r.u8();
      HR_TRY_VOID(finish(r, "hello"));
      return Body{h};
    }
    case Shape::Capabilities: {
      Capabilities k;
      k.vrfBackend = r.u32be();
      k.mplsEnabled = r.u8();
      k.multipathNum = r.u32be();
      k.mlagRole = r.u8();
      HR_TRY_VOID(finish(r, "capabilities"));
      return Body{k};
    }
    case Shape::Vrf: {
      Vrf v;
      v.tableId = r.u32host();  // struct vrf_data copied raw: host order
      v.netnsName = cString(r.bytes(kVrfNameSize));
      v.name = cString(r.bytes(kVrfNameSize));
      HR_TRY_VOID(finish(r, "vrf"));
      return Body{std::move(v)};
    }
    case Shape::Error: {
      ErrorMsg e;
      e.code = r.u32host();
      HR_TRY_VOID(finish(r, "error"));
      return Body{e};
    }
    case Shape::ClientCapabilities: {
      HR_TRY(auto cc, readClientCapabilities(r));
      return Body{cc};
    }
    case Shape::RouteNotifyRequest: {
      RouteNotifyRequest q;
      q.on = r.u8();
      HR_TRY_VOID(finish(r, "notify request"));
      return Body{q};
    }
    case Shape::ClientCloseNotify: {
      ClientCloseNotify n;
      n.proto = r.u8();
      n.instance = r.u16be();
      n.sessionId = r.u32be();
      HR_TRY_VOID(finish(r, "client close notify"));
      return Body{n};
    }
    case Shape::Unused:
      break;
  }
  return bad("unused_command", "command not decoded");
}

template <class T>
const T* bodyAs(const Message& m) {
  return std::get_if<T>(&m.body);
}

Status encodeBody(ByteWriter& w, const Message& m) {
  auto wrong = [&] {
    return fail("zapi.encode", "{} cannot carry this body", commandName(m.command));
  };
  switch (shapeOf(m.command)) {
    case Shape::Interface:
      if (m.command == Command::InterfaceAdd && bodyAs<Empty>(m)) {
        return ok();
      }
      if (auto* i = bodyAs<Interface>(m)) {
        return writeInterface(w, *i);
      }
      return wrong();
    case Shape::InterfaceAddress:
      if (auto* a = bodyAs<InterfaceAddress>(m)) {
        if (a->address.family() != a->destination.family()) {
          return fail("zapi.encode", "address and destination families differ");
        }
        w.u32be(a->ifindex);
        w.u8(a->flags);
        w.u8(afOf(a->address));
        w.bytes(a->address.bytes());
        w.u8(a->prefixLen);
        w.bytes(a->destination.bytes());
        return ok();
      }
      return wrong();
    case Shape::Route:
      if (auto* rt = bodyAs<Route>(m)) {
        return writeRoute(w, *rt);
      }
      return wrong();
    case Shape::NotifyOwner:
      if (auto* n = bodyAs<NotifyOwner>(m)) {
        w.u32host(n->note);
        w.u8(afOf(n->prefix.address()));
        w.u8(n->prefix.length());
        w.bytes(n->prefix.address().bytes());
        w.u32be(n->tableId);
        w.u8(n->afi);
        w.u8(n->safi);
        return ok();
      }
      return wrong();
    case Shape::Redistribute:
      if (auto* d = bodyAs<Redistribute>(m)) {
        w.u8(d->afi);
        w.u8(d->type);
        w.u16be(d->instance);
        return ok();
      }
      return wrong();
    case Shape::RouterIdRequest:
      if (auto* q = bodyAs<RouterIdRequest>(m)) {
        w.u16be(q->afi);
        return ok();
      }
      return wrong();
    case Shape::RouterIdUpdate:
      if (auto* u = bodyAs<RouterIdUpdate>(m)) {
        w.u8(afOf(u->prefix.address()));
        w.bytes(u->prefix.address().bytes());
        w.u8(u->prefix.length());
        return ok();
      }
      return wrong();
    case Shape::Hello:
      if (auto* h = bodyAs<Hello>(m)) {
        w.u8(h->proto);
        w.u16be(h->instance);
        w.u32be(h->sessionId);
        w.u8(h->receiveNotify);
        w.u8(h->synchronous);
        return ok();
      }
      return wrong();
    case Shape::Capabilities:
      if (auto* k = bodyAs<Capabilities>(m)) {
        w.u32be(k->vrfBackend);
        w.u8(k->mplsEnabled);
        w.u32be(k->multipathNum);
        w.u8(k->mlagRole);
        return ok();
      }
      return wrong();
    case Shape::Vrf:
      if (auto* v = bodyAs<Vrf>(m)) {
        w.u32host(v->tableId);
        HR_TRY_VOID(writeCString(w, v->netnsName, kVrfNameSize, "netns name"));
        return writeCString(w, v->name, kVrfNameSize, "VRF name");
      }
      return wrong();
    case Shape::Error:
      if (auto* e = bodyAs<ErrorMsg>(m)) {
        w.u32host(e->code);
        return ok();
      }
      return wrong();
    case Shape::ClientCapabilities:
      if (auto* c = bodyAs<ClientCapabilities>(m)) {
        w.u32be(c->cap);
        switch (static_cast<Cap>(c->cap)) {
          case Cap::GracefulRestart:
          case Cap::RibStaleTime:
            w.u32be(c->staleTime);
            w.u32be(c->vrfId);
            return ok();
          case Cap::RouteUpdateComplete:
          case Cap::RouteUpdatePending:
            w.u32be(c->afi);
            w.u32be(c->safi);
            w.u32be(c->vrfId);
            return ok();
          case Cap::GracefulRestartDisable:
            w.u32be(c->vrfId);
            return ok();
        }
        return fail("zapi.encode", "unknown client capability {}", c->cap);
      }
      return wrong();
    case Shape::RouteNotifyRequest:
      if (auto* q = bodyAs<RouteNotifyRequest>(m)) {
        w.u8(q->on);
        return ok();
      }
      return wrong();
    case Shape::ClientCloseNotify:
      if (auto* n = bodyAs<ClientCloseNotify>(m)) {
        w.u8(n->proto);
        w.u16be(n->instance);
        w.u32be(n->sessionId);
        return ok();
      }
      return wrong();
    case Shape::Unused:
      break;
  }
  return fail("zapi.encode", "{} has no encoder", commandName(m.command));
}

}  // namespace

// ---- names, tables, versions ----------------------------------------------------------------

std::string routeTypeName(uint8_t type) {
  if (type < kRouteTypeNames.size()) {
    return std::string(kRouteTypeNames[type]);
  }
  return fmt::format("type-{}", type);
}

std::string_view noteName(uint32_t note) {
  switch (static_cast<Note>(note)) {
    case Note::FailInstall:
      return "FAIL_INSTALL";
    case Note::BetterAdminWon:
      return "BETTER_ADMIN_WON";
    case Note::Installed:
      return "INSTALLED";
    case Note::Removed:
      return "REMOVED";
    case Note::RemoveFail:
      return "REMOVE_FAIL";
  }
  return "UNKNOWN";
}

std::string_view commandName(Command c) {
  auto i = static_cast<size_t>(c);
  return i < kCommandNames.size() ? kCommandNames[i] : std::string_view("UNKNOWN");
}

bool Interface::operative() const {
  bool up = (flags & kIffUp) != 0;
  bool carrier = (flags & kIffRunning) != 0;
  return up && (carrier || (status & kIfStatusLinkDetection) == 0);
}

CommandTable::CommandTable(
    std::string_view release, const std::array<uint16_t, kCommandCount>& wire)
    : release_(release), wire_(wire) {}

std::optional<Command> CommandTable::fromWire(uint16_t number) const {
  for (size_t i = 0; i < wire_.size(); ++i) {
    if (wire_[i] == number) {
      return static_cast<Command>(i);
    }
  }
  return std::nullopt;
}

const CommandTable& frr84() {
  static const CommandTable t("8.4", kFrr84Wire);
  return t;
}

Result<FrrVersion> parseFrrVersion(std::string_view s) {
  FrrVersion v;
  int* parts[3] = {&v.major, &v.minor, &v.patch};
  size_t i = 0;
  int n = 0;
  while (i < s.size() && n < 3) {
    size_t start = i;
    int val = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 6) {
      val = val * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start) {
      break;
    }
    *parts[n++] = val;
    if (i < s.size() && s[i] == '.') {
      ++i;
    } else {
      break;
    }
  }
  if (n < 2) {
    return fail("zapi.bad_frr_version", "'{}' is not an FRR version (MAJOR.MINOR[.PATCH])", s);
  }
  v.text = fmt::format("{}.{}.{}", v.major, v.minor, v.patch);
  if (n == 2) {
    v.text = fmt::format("{}.{}", v.major, v.minor);
  }
  return v;
}

Result<FrrVersion> parseVersionOutput(std::string_view out) {
  // "zebra version 8.4.4", "vtysh 8.4.4", "FRRouting 8.4.4 (host) on Linux(...)": the first
  // token that starts with a digit and has a dot.
  size_t i = 0;
  while (i < out.size()) {
    while (i < out.size() &&
           (out[i] == ' ' || out[i] == '\t' || out[i] == '\n' || out[i] == '\r')) {
      ++i;
    }
    size_t start = i;
    while (i < out.size() && out[i] != ' ' && out[i] != '\t' && out[i] != '\n' && out[i] != '\r') {
      ++i;
    }
    auto tok = out.substr(start, i - start);
    if (!tok.empty() && tok[0] >= '0' && tok[0] <= '9' && tok.find('.') != std::string_view::npos) {
      return parseFrrVersion(tok);
    }
    if (start == i) {
      break;
    }
  }
  return fail(
      "zapi.bad_frr_version",
      "no FRR version in '{}'",
      out.substr(0, std::min<size_t>(out.size(), 80)));
}

Result<const CommandTable*> tableForVersion(const FrrVersion& v) {
  if (v.major == 8 && v.minor == 4) {
    return &frr84();
  }
  return fail(
      "zapi.unsupported_frr",
      "FRR {} is not supported: this build speaks ZAPI 6 with the command numbers of FRR 8.4 "
      "(8.4.0-8.4.7); command numbers differ in other releases",
      v.text);
}

// ---- header and splitter --------------------------------------------------------------------

Result<Header> decodeHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderSize) {
    return bad(
        "zapi.short_header", fmt::format("{} bytes cannot hold a 10-byte header", bytes.size()));
  }
  ByteReader r(bytes.subspan(0, kHeaderSize));
  Header h;
  h.length = r.u16be();
  h.marker = r.u8();
  h.version = r.u8();
  h.vrfId = r.u32be();
  h.command = r.u16be();
  if (h.marker != kMarker) {
    return bad("zapi.bad_marker", fmt::format("header marker {} (expected {})", h.marker, kMarker));
  }
  if (h.version != kVersion) {
    return bad(
        "zapi.bad_version",
        fmt::format("ZAPI version {} (this build speaks {})", h.version, kVersion));
  }
  if (h.length < kHeaderSize) {
    return bad(
        "zapi.bad_length", fmt::format("message length {} is shorter than the header", h.length));
  }
  if (h.length > kMaxMessage) {
    return bad("zapi.too_long", fmt::format("message length {} exceeds {}", h.length, kMaxMessage));
  }
  return h;
}

void encodeHeader(std::vector<uint8_t>& out, const Header& h) {
  ByteWriter w(out);
  w.u16be(h.length);
  w.u8(h.marker);
  w.u8(h.version);
  w.u32be(h.vrfId);
  w.u16be(h.command);
}

void Splitter::feed(std::span<const uint8_t> bytes) {
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Frame>> Splitter::next() {
  if (failed_) {
    return Unexpected<Error>(*failed_);
  }
  auto avail = std::span<const uint8_t>(buf_).subspan(pos_);
  if (avail.size() < kHeaderSize) {
    return std::optional<Frame>();
  }
  auto h = decodeHeader(avail);
  if (!h) {
    failed_ = h.error();
    return Unexpected<Error>(*failed_);
  }
  if (avail.size() < h->length) {
    return std::optional<Frame>();
  }
  Frame f;
  f.header = *h;
  f.bytes = avail.subspan(0, h->length);
  f.body = f.bytes.subspan(kHeaderSize);
  pos_ += h->length;
  return std::optional<Frame>(f);
}

// ---- decode / encode ------------------------------------------------------------------------

Decoded decode(const Frame& frame, const CommandTable& table) {
  Decoded d;
  auto cmd = table.fromWire(frame.header.command);
  if (!cmd) {
    d.outcome = Outcome::Ignore;
    d.reason = "unknown_command";
    d.detail =
        fmt::format("command {} is not in the FRR {} table", frame.header.command, table.release());
    return d;
  }
  d.message.command = *cmd;
  d.message.vrfId = frame.header.vrfId;
  if (shapeOf(*cmd) == Shape::Unused) {
    d.outcome = Outcome::Ignore;
    d.reason = "unused_command";
    d.detail = fmt::format("{} is not used", commandName(*cmd));
    return d;
  }
  auto body = decodeBody(*cmd, frame.body);
  if (!body) {
    const auto& e = body.error();
    d.outcome = e.code.rfind("unsupported_", 0) == 0 ? Outcome::Ignore : Outcome::Error;
    d.reason = e.code;
    d.detail = fmt::format("{}: {}", commandName(*cmd), e.message);
    return d;
  }
  d.message.body = std::move(*body);
  return d;
}

Decoded decodeMessage(std::span<const uint8_t> bytes, const CommandTable& table) {
  auto h = decodeHeader(bytes);
  if (!h) {
    Decoded d;
    d.outcome = Outcome::Error;
    d.reason = h.error().code.substr(h.error().code.find('.') + 1);
    d.detail = h.error().message;
    return d;
  }
  if (bytes.size() != h->length) {
    Decoded d;
    d.outcome = Outcome::Error;
    d.reason = bytes.size() < h->length ? "truncated" : "trailing_bytes";
    d.detail = fmt::format("header says {} bytes, have {}", h->length, bytes.size());
    return d;
  }
  Frame f{*h, bytes.subspan(kHeaderSize), bytes};
  return decode(f, table);
}

Result<Route> decodeRoute(std::span<const uint8_t> body) {
  ByteReader r(body);
  return readRoute(r);
}

Result<Interface> decodeInterface(std::span<const uint8_t> body) {
  ByteReader r(body);
  return readInterface(r);
}

Status encode(std::vector<uint8_t>& out, const Message& m, const CommandTable& table) {
  size_t start = out.size();
  Header h;
  h.vrfId = m.vrfId;
  h.command = table.toWire(m.command);
  encodeHeader(out, h);
  ByteWriter w(out);
  auto st = encodeBody(w, m);
  size_t len = out.size() - start;
  if (st && len > kMaxMessage) {
    st = fail("zapi.encode", "{} of {} bytes exceeds {}", commandName(m.command), len, kMaxMessage);
  }
  if (!st) {
    out.resize(start);
    return st;
  }
  w.patchU16be(start, static_cast<uint16_t>(len));
  return ok();
}

void sortNexthops(std::vector<Nexthop>& nhs) {
  auto key = [](const Nexthop& n) {
    return std::make_tuple(n.vrfId, static_cast<uint8_t>(n.type), n.weight);
  };
  std::stable_sort(nhs.begin(), nhs.end(), [&](const Nexthop& a, const Nexthop& b) {
    if (key(a) != key(b)) {
      return key(a) < key(b);
    }
    switch (a.type) {
      case NexthopType::Ipv4:
      case NexthopType::Ipv6:
        return a.gate < b.gate;
      case NexthopType::Ipv4Ifindex:
      case NexthopType::Ipv6Ifindex:
        if (a.gate != b.gate) {
          return a.gate < b.gate;
        }
        return a.ifindex < b.ifindex;
      case NexthopType::Ifindex:
        return a.ifindex < b.ifindex;
      case NexthopType::Blackhole:
        return a.blackholeType < b.blackholeType;
    }
    return false;
  });
}

}  // namespace hr::codec::zapi

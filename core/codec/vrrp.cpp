#include "core/codec/vrrp.h"

#include "core/codec/bytes.h"

namespace hr::codec::vrrp {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthArp = 0x0806;
constexpr size_t kEthLen = 14;
constexpr size_t kIpv6HeaderLen = 40;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNdNeighborAdvert = 136;
constexpr uint8_t kNdOptTargetLinkAddr = 2;

size_t addrLen(Family f) {
  return f == Family::V4 ? 4 : 16;
}

void addPseudoHeader(
    InetChecksum& c, const IpAddress& src, const IpAddress& dst, uint32_t len, uint8_t proto) {
  c.add(src.bytes());
  c.add(dst.bytes());
  if (src.isV4()) {
    // RFC 768 style: zero, protocol, 16-bit length.
    c.addU16(proto);
    c.addU16(static_cast<uint16_t>(len));
  } else {
    // RFC 8200 §8.1: 32-bit length, 3 zero bytes, next header.
    c.addU32(len);
    c.addU32(proto);
  }
}

void writeMac(ByteWriter& w, const MacAddress& m) {
  w.bytes(m.bytes());
}

MacAddress readMac(ByteReader& r) {
  std::array<uint8_t, 6> b{};
  r.copy(b.data(), b.size());
  return MacAddress(b);
}

void writeIpv4Header(ByteWriter& w, const IpHeader& ip, uint8_t proto, size_t payloadLen) {
  size_t start = w.size();
  w.u8(0x45);
  w.u8(ip.tos);
  w.u16be(static_cast<uint16_t>(20 + payloadLen));
  w.u16be(ip.id);
  w.u16be(ip.dontFragment ? 0x4000 : 0);
  w.u8(ip.ttl);
  w.u8(proto);
  w.u16be(0);
  w.bytes(ip.src.bytes());
  w.bytes(ip.dst.bytes());
  InetChecksum c;
  c.add(std::span<const uint8_t>(w.buffer().data() + start, 20));
  w.patchU16be(start + 10, c.finish());
}

void writeIpv6Header(ByteWriter& w, const IpHeader& ip, uint8_t proto, size_t payloadLen) {
  w.u32be((6u << 28) | (uint32_t{ip.tos} << 20) | (ip.flowLabel & 0xfffff));
  w.u16be(static_cast<uint16_t>(payloadLen));
  w.u8(proto);
  w.u8(ip.ttl);
  w.bytes(ip.src.bytes());
  w.bytes(ip.dst.bytes());
}

IpAddress readAddr(ByteReader& r, Family f) {
  if (f == Family::V4) {
    std::array<uint8_t, 4> b{};
    r.copy(b.data(), b.size());
    return IpAddress::v4(b);
  }
  std::array<uint8_t, 16> b{};
  r.copy(b.data(), b.size());
  return IpAddress::v6(b);
}

}  // namespace

MacAddress virtualMac(Family f, uint8_t vrid) {
  return MacAddress(
      {0x00, 0x00, 0x5e, 0x00, static_cast<uint8_t>(f == Family::V4 ? 0x01 : 0x02), vrid});
}

IpAddress groupAddress(Family f) {
  if (f == Family::V4) {
    return IpAddress::v4(std::array<uint8_t, 4>{224, 0, 0, 18});
  }
  std::array<uint8_t, 16> b{};
  b[0] = 0xff;
  b[1] = 0x02;
  b[15] = 0x12;
  return IpAddress::v6(b);
}

MacAddress groupMac(Family f) {
  if (f == Family::V4) {
    return MacAddress({0x01, 0x00, 0x5e, 0x00, 0x00, 0x12});
  }
  return MacAddress({0x33, 0x33, 0x00, 0x00, 0x00, 0x12});
}

uint16_t checksum(
    std::span<const uint8_t> message,
    const IpAddress& src,
    const IpAddress& dst,
    ChecksumForm form) {
  InetChecksum c;
  if (form == ChecksumForm::PseudoHeader) {
    addPseudoHeader(c, src, dst, static_cast<uint32_t>(message.size()), kIpProtocol);
  }
  if (message.size() >= kHeaderLen) {
    c.add(message.subspan(0, 6));
    c.add(message.subspan(8));  // bytes 6-7 (the checksum field) count as zero
  } else {
    c.add(message);
  }
  return c.finish();
}

std::optional<uint8_t> peekVrid(std::span<const uint8_t> message) {
  if (message.size() < 2) {
    return std::nullopt;
  }
  return message[1];
}

Result<Advert> decodeAdvert(
    std::span<const uint8_t> message,
    const IpAddress& src,
    const IpAddress& dst,
    ChecksumForm* form,
    uint16_t* receivedChecksum) {
  if (message.size() < kHeaderLen) {
    return fail(
        "packet-length-errors",
        "VRRP message of {} bytes is shorter than its 8-byte header",
        message.size());
  }
  ByteReader r(message);
  Advert a;
  uint8_t vt = r.u8();
  a.version = vt >> 4;
  a.type = vt & 0x0f;
  a.vrid = r.u8();
  a.priority = r.u8();
  uint8_t count = r.u8();
  if (a.version != 2 && a.version != 3) {
    return fail("version-errors", "VRRP version {} (only 2 and 3 exist)", a.version);
  }
  if (a.version == 2 && src.isV6()) {
    return fail("version-errors", "VRRP version 2 over IPv6");
  }
  Family fam = src.family();
  if (a.version == 3) {
    uint16_t w = r.u16be();
    a.reserved = static_cast<uint8_t>(w >> 12);
    a.maxAdverIntCs = w & kMaxAdverIntCs;
  } else {
    a.authType = r.u8();
    a.maxAdverIntCs = static_cast<uint16_t>(r.u8() * 100);
  }
  uint16_t ck = r.u16be();
  if (receivedChecksum != nullptr) {
    *receivedChecksum = ck;
  }
  // RFC 5798 §7.1: the complete packet (fixed fields and Count addresses) must be present.
  size_t want = kHeaderLen + size_t{count} * addrLen(fam) + (a.version == 2 ? kV2AuthLen : 0);
  if (message.size() < want) {
    return fail(
        "packet-length-errors",
        "VRRP message of {} bytes is shorter than the {} its {} addresses need",
        message.size(),
        want,
        count);
  }
  if (message.size() > want) {
    return fail(
        "packet-length-errors",
        "VRRP message of {} bytes has {} bytes after its {} addresses",
        message.size(),
        message.size() - want,
        count);
  }
  ChecksumForm matched;
  if (a.version == 2) {
    if (checksum(message, src, dst, ChecksumForm::NoPseudoHeader) != ck) {
      return fail("checksum-errors", "VRRPv2 checksum 0x{:04x} does not match", ck);
    }
    matched = ChecksumForm::NoPseudoHeader;
  } else if (checksum(message, src, dst, ChecksumForm::PseudoHeader) == ck) {
    matched = ChecksumForm::PseudoHeader;
  } else if (fam == Family::V4 && checksum(message, src, dst, ChecksumForm::NoPseudoHeader) == ck) {
    matched = ChecksumForm::NoPseudoHeader;
  } else {
    return fail(
        "checksum-errors",
        "VRRP checksum 0x{:04x} matches neither form (with pseudo-header 0x{:04x})",
        ck,
        checksum(message, src, dst, ChecksumForm::PseudoHeader));
  }
  if (a.type != kTypeAdvertisement) {
    return fail("invalid-type-pkts-rcvd", "VRRP type {} (only 1, advertisement, exists)", a.type);
  }
  if (a.vrid == 0) {
    return fail("vrid-errors", "VRID 0 is not valid");
  }
  if (count == 0) {
    return fail("address-list-errors", "advertisement with no address (Count IPvX Addr is 0)");
  }
  a.addresses.reserve(count);
  for (uint8_t i = 0; i < count; ++i) {
    a.addresses.push_back(readAddr(r, fam));
  }
  if (a.version == 2) {
    r.copy(a.authData.data(), a.authData.size());
  }
  if (!r.ok() || !r.atEnd()) {
    return fail(
        "packet-length-errors",
        "VRRP message length inconsistent");  // unreachable by the checks above
  }
  if (form != nullptr) {
    *form = matched;
  }
  return a;
}

Result<Packet> decodeIp(std::span<const uint8_t> packet) {
  if (packet.empty()) {
    return fail("ip-header-errors", "empty IP packet");
  }
  Packet p;
  std::span<const uint8_t> message;
  uint8_t version = packet[0] >> 4;
  if (version == 4) {
    ByteReader r(packet);
    uint8_t vihl = r.u8();
    size_t ihl = static_cast<size_t>(vihl & 0x0f) * 4;
    p.ip.tos = r.u8();
    uint16_t total = r.u16be();
    p.ip.id = r.u16be();
    uint16_t frag = r.u16be();
    p.ip.ttl = r.u8();
    uint8_t proto = r.u8();
    r.u16be();  // header checksum, verified below over the whole header
    p.ip.src = readAddr(r, Family::V4);
    p.ip.dst = readAddr(r, Family::V4);
    if (!r.ok()) {
      return fail(
          "ip-header-errors", "IPv4 packet of {} bytes shorter than its header", packet.size());
    }
    if (ihl < 20 || total < ihl || total > packet.size()) {
      return fail(
          "ip-header-errors",
          "IPv4 header length {} / total length {} inconsistent with {} bytes",
          ihl,
          total,
          packet.size());
    }
    InetChecksum hc;
    hc.add(packet.subspan(0, ihl));
    if (hc.finish() != 0) {
      return fail("ip-header-errors", "IPv4 header checksum does not match");
    }
    if ((frag & 0x3fff) != 0) {
      return fail("ip-header-errors", "fragmented IPv4 packet");
    }
    p.ip.dontFragment = (frag & 0x4000) != 0;
    if (proto != kIpProtocol) {
      return fail(std::string(kNotVrrp), "IPv4 protocol {} is not VRRP", proto);
    }
    if (p.ip.ttl != kTtl) {
      return fail("ip-ttl-errors", "IPv4 TTL {} (must be 255)", p.ip.ttl);
    }
    message = packet.subspan(ihl, total - ihl);
  } else if (version == 6) {
    ByteReader r(packet);
    uint32_t first = r.u32be();
    p.ip.tos = static_cast<uint8_t>((first >> 20) & 0xff);
    p.ip.flowLabel = first & 0xfffff;
    uint16_t plen = r.u16be();
    uint8_t next = r.u8();
    p.ip.ttl = r.u8();
    p.ip.src = readAddr(r, Family::V6);
    p.ip.dst = readAddr(r, Family::V6);
    if (!r.ok()) {
      return fail(
          "ip-header-errors", "IPv6 packet of {} bytes shorter than its header", packet.size());
    }
    if (plen > packet.size() - kIpv6HeaderLen) {
      return fail(
          "ip-header-errors",
          "IPv6 payload length {} runs past the {} bytes received",
          plen,
          packet.size());
    }
    if (next != kIpProtocol) {
      return fail(std::string(kNotVrrp), "IPv6 next header {} is not VRRP", next);
    }
    if (p.ip.ttl != kTtl) {
      return fail("ip-ttl-errors", "IPv6 hop limit {} (must be 255)", p.ip.ttl);
    }
    message = packet.subspan(kIpv6HeaderLen, plen);
  } else {
    return fail("ip-header-errors", "IP version {}", version);
  }
  HR_TRY(p.advert, decodeAdvert(message, p.ip.src, p.ip.dst, &p.checksumForm, &p.checksum));
  return p;
}

Result<Frame> decodeFrame(std::span<const uint8_t> frame) {
  ByteReader r(frame);
  Frame f;
  f.dst = readMac(r);
  f.src = readMac(r);
  uint16_t type = r.u16be();
  if (!r.ok()) {
    return fail(
        "ip-header-errors", "frame of {} bytes shorter than an Ethernet header", frame.size());
  }
  if (type != kEthIpv4 && type != kEthIpv6) {
    return fail(std::string(kNotVrrp), "ethertype 0x{:04x} is not IP", type);
  }
  auto payload = frame.subspan(kEthLen);
  if (!payload.empty() && (payload[0] >> 4) != (type == kEthIpv4 ? 4 : 6)) {
    return fail(
        "ip-header-errors", "ethertype 0x{:04x} carries IP version {}", type, payload[0] >> 4);
  }
  HR_TRY(f.packet, decodeIp(payload));
  return f;
}

std::vector<uint8_t> encodeAdvert(
    const Advert& a, const IpAddress& src, const IpAddress& dst, ChecksumForm form) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>((a.version << 4) | (a.type & 0x0f)));
  w.u8(a.vrid);
  w.u8(a.priority);
  w.u8(static_cast<uint8_t>(a.addresses.size()));
  if (a.version == 2) {
    w.u8(a.authType);
    w.u8(static_cast<uint8_t>(a.maxAdverIntCs / 100));
  } else {
    w.u16be(
        static_cast<uint16_t>((uint16_t{a.reserved} << 12) | (a.maxAdverIntCs & kMaxAdverIntCs)));
  }
  w.u16be(0);
  for (const auto& addr : a.addresses) {
    w.bytes(addr.bytes());
  }
  if (a.version == 2) {
    w.bytes(a.authData);
    form = ChecksumForm::NoPseudoHeader;
  } else if (src.isV6()) {
    form = ChecksumForm::PseudoHeader;
  }
  w.patchU16be(6, checksum(out, src, dst, form));
  return out;
}

std::vector<uint8_t> encodeIp(const IpHeader& ip, const Advert& a, ChecksumForm form) {
  auto msg = encodeAdvert(a, ip.src, ip.dst, form);
  std::vector<uint8_t> out;
  out.reserve(kIpv6HeaderLen + msg.size());
  ByteWriter w(out);
  if (ip.src.isV4()) {
    writeIpv4Header(w, ip, kIpProtocol, msg.size());
  } else {
    writeIpv6Header(w, ip, kIpProtocol, msg.size());
  }
  w.bytes(msg);
  return out;
}

std::vector<uint8_t> encodeFrame(
    const MacAddress& dst,
    const MacAddress& src,
    const IpHeader& ip,
    const Advert& a,
    ChecksumForm form) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  writeMac(w, dst);
  writeMac(w, src);
  w.u16be(ip.src.isV4() ? kEthIpv4 : kEthIpv6);
  auto body = encodeIp(ip, a, form);
  w.bytes(body);
  return out;
}

std::vector<uint8_t> encodeGratuitousArp(const MacAddress& mac, const IpAddress& ip) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  writeMac(w, MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  writeMac(w, mac);
  w.u16be(kEthArp);
  w.u16be(1);  // hardware type Ethernet
  w.u16be(kEthIpv4);
  w.u8(6);
  w.u8(4);
  w.u16be(1);  // request (an announcement, RFC 5227 §3)
  writeMac(w, mac);
  w.bytes(ip.bytes());
  w.zeros(6);
  w.bytes(ip.bytes());
  return out;
}

std::vector<uint8_t> encodeUnsolicitedNa(
    const MacAddress& mac, const IpAddress& src, const IpAddress& target, bool router) {
  std::array<uint8_t, 16> allNodes{};
  allNodes[0] = 0xff;
  allNodes[1] = 0x02;
  allNodes[15] = 0x01;
  IpAddress dst = IpAddress::v6(allNodes);

  std::vector<uint8_t> icmp;
  ByteWriter iw(icmp);
  iw.u8(kNdNeighborAdvert);
  iw.u8(0);
  iw.u16be(0);
  iw.u8(static_cast<uint8_t>((router ? 0x80 : 0) | 0x20));  // R, S=0, O
  iw.zeros(3);
  iw.bytes(target.bytes());
  iw.u8(kNdOptTargetLinkAddr);
  iw.u8(1);  // length in units of 8 bytes
  writeMac(iw, mac);
  InetChecksum c;
  addPseudoHeader(c, src, dst, static_cast<uint32_t>(icmp.size()), kIcmpv6);
  c.add(icmp);
  iw.patchU16be(2, c.finish());

  std::vector<uint8_t> out;
  ByteWriter w(out);
  writeMac(w, MacAddress({0x33, 0x33, 0x00, 0x00, 0x00, 0x01}));
  writeMac(w, mac);
  w.u16be(kEthIpv6);
  IpHeader ip;
  ip.src = src;
  ip.dst = dst;
  ip.tos = 0;
  ip.ttl = 255;
  writeIpv6Header(w, ip, kIcmpv6, icmp.size());
  w.bytes(icmp);
  return out;
}

Result<Announcement> decodeAnnouncement(std::span<const uint8_t> frame) {
  ByteReader r(frame);
  Announcement a;
  a.ethDst = readMac(r);
  a.ethSrc = readMac(r);
  uint16_t type = r.u16be();
  if (!r.ok()) {
    return fail("truncated", "frame shorter than an Ethernet header");
  }
  if (type == kEthArp) {
    uint16_t htype = r.u16be();
    uint16_t ptype = r.u16be();
    uint8_t hlen = r.u8();
    uint8_t plen = r.u8();
    uint16_t op = r.u16be();
    if (!r.ok() || htype != 1 || ptype != kEthIpv4 || hlen != 6 || plen != 4) {
      return fail("bad_arp", "not an Ethernet/IPv4 ARP packet");
    }
    a.linkAddress = readMac(r);
    a.address = readAddr(r, Family::V4);
    r.skip(6);
    IpAddress tpa = readAddr(r, Family::V4);
    if (!r.ok()) {
      return fail("truncated", "ARP packet truncated");
    }
    if (op != 1 || tpa != a.address) {
      return fail(
          "not_gratuitous", "ARP op {} sender {} target {}", op, a.address.str(), tpa.str());
    }
    return a;  // trailing bytes are Ethernet padding
  }
  if (type != kEthIpv6) {
    return fail("not_announcement", "ethertype 0x{:04x}", type);
  }
  uint32_t first = r.u32be();
  uint16_t plen = r.u16be();
  uint8_t next = r.u8();
  uint8_t hlim = r.u8();
  a.ipSrc = readAddr(r, Family::V6);
  IpAddress dst = readAddr(r, Family::V6);
  if (!r.ok() || (first >> 28) != 6) {
    return fail("truncated", "IPv6 header truncated");
  }
  if (next != kIcmpv6 || hlim != 255) {
    return fail("not_announcement", "next header {} hop limit {}", next, hlim);
  }
  if (plen > r.remaining()) {
    return fail("truncated", "IPv6 payload length {} runs past the frame", plen);
  }
  auto icmp = r.bytes(plen);
  InetChecksum c;
  addPseudoHeader(c, a.ipSrc, dst, plen, kIcmpv6);
  c.add(icmp);
  if (c.finish() != 0) {
    return fail("bad_checksum", "ICMPv6 checksum does not match");
  }
  ByteReader ir(icmp);
  uint8_t itype = ir.u8();
  ir.u8();
  ir.u16be();
  uint8_t flags = ir.u8();
  ir.skip(3);
  a.address = readAddr(ir, Family::V6);
  if (!ir.ok() || itype != kNdNeighborAdvert) {
    return fail("not_announcement", "ICMPv6 type {}", itype);
  }
  a.router = (flags & 0x80) != 0;
  a.solicited = (flags & 0x40) != 0;
  a.override_ = (flags & 0x20) != 0;
  bool haveLink = false;
  while (ir.remaining() > 0) {
    uint8_t otype = ir.u8();
    uint8_t olen = ir.u8();
    if (!ir.ok() || olen == 0 || size_t{olen} * 8 - 2 > ir.remaining()) {
      return fail("bad_option", "ND option type {} length {}", otype, olen);
    }
    auto body = ir.bytes(size_t{olen} * 8 - 2);
    if (otype == kNdOptTargetLinkAddr && body.size() >= 6) {
      a.linkAddress = MacAddress::fromBytes(body.subspan(0, 6)).value();
      haveLink = true;
    }
  }
  if (!haveLink) {
    return fail("no_link_address", "NA without a target link-layer address option");
  }
  return a;
}

}  // namespace hr::codec::vrrp

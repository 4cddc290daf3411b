#include "core/codec/arp_nd.h"

#include "core/codec/bytes.h"

namespace hr::codec::arpnd {
namespace {

MacAddress readMac(ByteReader& r) {
  std::array<uint8_t, 6> b{};
  r.copy(b.data(), 6);
  return MacAddress(b);
}

IpAddress readV4(ByteReader& r) {
  std::array<uint8_t, 4> b{};
  r.copy(b.data(), 4);
  return IpAddress::v4(b);
}

IpAddress readV6(ByteReader& r) {
  std::array<uint8_t, 16> b{};
  r.copy(b.data(), 16);
  return IpAddress::v6(b);
}

void writeMac(ByteWriter& w, const MacAddress& m) {
  w.bytes(m.bytes());
}

// Trailing bytes after the payload: allowed only as Ethernet padding up to 60 bytes.
Status checkTrailing(size_t frameLen, ByteReader& r, std::vector<uint8_t>& padding) {
  if (r.remaining() == 0) {
    return ok();
  }
  if (frameLen > kMinFrame) {
    return fail(
        "trailing_bytes", "{} bytes after the payload of a {}-byte frame", r.remaining(), frameLen);
  }
  auto rest = r.rest();
  padding.assign(rest.begin(), rest.end());
  return ok();
}

Result<Arp> decodeArp(ByteReader& r, bool reverse) {
  if (r.remaining() < 28) {
    return fail("truncated", "ARP payload of {} bytes, need 28", r.remaining());
  }
  uint16_t htype = r.u16be();
  uint16_t ptype = r.u16be();
  uint8_t hlen = r.u8();
  uint8_t plen = r.u8();
  if (htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4) {
    return fail(
        "bad_arp_format",
        "ARP htype {} ptype {:#06x} hlen {} plen {} is not IPv4 over Ethernet",
        htype,
        ptype,
        hlen,
        plen);
  }
  uint16_t op = r.u16be();
  if (reverse ? (op != 3 && op != 4) : (op != 1 && op != 2)) {
    return fail("bad_arp_op", "{} operation {}", reverse ? "RARP" : "ARP", op);
  }
  Arp a;
  a.op = static_cast<ArpOp>(op);
  a.sha = readMac(r);
  a.spa = readV4(r);
  a.tha = readMac(r);
  a.tpa = readV4(r);
  return a;
}

Result<Nd> decodeNd(ByteReader& r) {
  if (r.remaining() < 40) {
    return fail("truncated", "IPv6 header needs 40 bytes, {} left", r.remaining());
  }
  Nd nd;
  nd.flowWord = r.u32be();
  if ((nd.flowWord >> 28) != 6) {
    return fail("bad_ip_version", "IP version {} in an IPv6 frame", nd.flowWord >> 28);
  }
  uint16_t payloadLen = r.u16be();
  uint8_t next = r.u8();
  nd.hopLimit = r.u8();
  nd.src = readV6(r);
  nd.dst = readV6(r);
  if (payloadLen > r.remaining()) {
    return fail(
        "bad_payload_len",
        "IPv6 payload length {} exceeds the {} bytes left",
        payloadLen,
        r.remaining());
  }
  if (next != kIcmpv6) {
    // NS/NA never carry extension headers; anything else is not ND.
    return fail(
        next == 0 || next == 43 || next == 44 || next == 60 ? "ext_header" : "not_arp_nd",
        "IPv6 next header {}",
        next);
  }
  ByteReader icmp = r.sub(payloadLen);
  auto icmpBytes = std::span<const uint8_t>();
  {
    ByteReader peek = icmp;
    icmpBytes = peek.rest();
  }
  if (icmp.remaining() < 4) {
    return fail("truncated", "ICMPv6 message of {} bytes", icmp.remaining());
  }
  uint8_t type = icmp.u8();
  uint8_t code = icmp.u8();
  nd.checksum = icmp.u16be();
  if (type != kNdNs && type != kNdNa) {
    return fail("not_arp_nd", "ICMPv6 type {}", type);
  }
  nd.type = static_cast<NdType>(type);
  if (nd.hopLimit != 255) {
    return fail("bad_hop_limit", "ND hop limit {} (RFC 4861 requires 255)", nd.hopLimit);
  }
  if (code != 0) {
    return fail("bad_icmp_code", "ND code {}", code);
  }
  if (icmp.remaining() < 20) {
    return fail("truncated", "ND body of {} bytes, need 20", icmp.remaining());
  }
  if (icmpv6Checksum(nd.src, nd.dst, icmpBytes) != 0) {
    return fail("bad_checksum", "ICMPv6 checksum {:#06x} does not verify", nd.checksum);
  }
  uint32_t word = icmp.u32be();
  if (nd.type == NdType::Na) {
    nd.router = (word & 0x80000000u) != 0;
    nd.solicited = (word & 0x40000000u) != 0;
    nd.override = (word & 0x20000000u) != 0;
    nd.reserved = word & 0x1fffffffu;
  } else {
    nd.reserved = word;
  }
  nd.target = readV6(icmp);
  if (nd.target.isMulticast()) {
    return fail("bad_target", "ND target {} is multicast", nd.target.str());
  }
  while (icmp.remaining() > 0) {
    if (icmp.remaining() < 2) {
      return fail("bad_option", "{} bytes left, too few for an option header", icmp.remaining());
    }
    uint8_t otype = icmp.u8();
    uint8_t olen = icmp.u8();
    if (olen == 0) {
      return fail("bad_option", "ND option {} has length 0", otype);
    }
    size_t bodyLen = size_t{olen} * 8 - 2;
    if (icmp.remaining() < bodyLen) {
      return fail(
          "bad_option", "ND option {} of {} bytes runs past the message", otype, size_t{olen} * 8);
    }
    auto body = icmp.bytes(bodyLen);
    if (otype == 1 || otype == 2) {
      if (olen != 1) {
        return fail("bad_option", "link-layer address option of length {} on Ethernet", olen);
      }
      auto mac = MacAddress::fromBytes(body.subspan(0, 6)).value();
      auto& slot = otype == 1 ? nd.sourceLl : nd.targetLl;
      if (slot) {
        return fail("bad_option", "link-layer address option {} appears twice", otype);
      }
      slot = mac;
    }
    nd.options.push_back(NdOption{otype, std::vector<uint8_t>(body.begin(), body.end())});
  }
  if (!icmp.ok()) {
    return fail("truncated", "ND message truncated");
  }
  if (nd.isDad()) {
    if (nd.sourceLl) {
      return fail("bad_dad", "DAD solicitation carries a source link-layer option");
    }
    if (!(nd.dst == solicitedNodeMulticast(nd.target))) {
      return fail(
          "bad_dad", "DAD solicitation to {} instead of the solicited-node group", nd.dst.str());
    }
  }
  if (nd.type == NdType::Na && nd.dst.isMulticast() && nd.solicited) {
    return fail("bad_target", "solicited advertisement to a multicast destination");
  }
  return nd;
}

}  // namespace

bool isIgnore(const Error& e) {
  return e.code == "not_arp_nd";
}

Result<Frame> decode(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  if (bytes.size() < 14) {
    return fail("truncated", "frame of {} bytes, shorter than an Ethernet header", bytes.size());
  }
  Frame f;
  f.eth.dst = readMac(r);
  f.eth.src = readMac(r);
  f.eth.etherType = r.u16be();
  if (f.eth.etherType == kEtherTypeVlan) {
    if (r.remaining() < 4) {
      return fail("truncated", "802.1Q tag truncated");
    }
    f.eth.vlanTci = r.u16be();
    f.eth.etherType = r.u16be();
  }
  if (f.eth.etherType == kEtherTypeArp || f.eth.etherType == kEtherTypeRarp) {
    HR_TRY(auto a, decodeArp(r, f.eth.etherType == kEtherTypeRarp));
    f.body = a;
  } else if (f.eth.etherType == kEtherTypeIpv6) {
    // The IPv6 payload length bounds the message; what follows is padding or garbage.
    HR_TRY(auto nd, decodeNd(r));
    f.body = std::move(nd);
  } else {
    return fail("not_arp_nd", "ethertype {:#06x}", f.eth.etherType);
  }
  HR_TRY_VOID(checkTrailing(bytes.size(), r, f.padding));
  return f;
}

uint16_t icmpv6Checksum(const IpAddress& src, const IpAddress& dst, std::span<const uint8_t> icmp) {
  InetChecksum c;
  c.add(src.bytes());
  c.add(dst.bytes());
  c.addU32(static_cast<uint32_t>(icmp.size()));
  c.addU32(kIcmpv6);
  c.add(icmp);
  return c.finish();
}

std::vector<uint8_t> encode(const Frame& f, bool keepChecksum) {
  std::vector<uint8_t> out;
  out.reserve(90);
  ByteWriter w(out);
  writeMac(w, f.eth.dst);
  writeMac(w, f.eth.src);
  if (f.eth.vlanTci) {
    w.u16be(kEtherTypeVlan);
    w.u16be(*f.eth.vlanTci);
  }
  if (const Arp* a = f.arp()) {
    w.u16be(a->isReverse() ? kEtherTypeRarp : kEtherTypeArp);
    w.u16be(1);
    w.u16be(0x0800);
    w.u8(6);
    w.u8(4);
    w.u16be(static_cast<uint16_t>(a->op));
    writeMac(w, a->sha);
    w.bytes(a->spa.bytes());
    writeMac(w, a->tha);
    w.bytes(a->tpa.bytes());
  } else if (const Nd* nd = f.nd()) {
    w.u16be(kEtherTypeIpv6);
    std::vector<uint8_t> icmp;
    ByteWriter iw(icmp);
    iw.u8(static_cast<uint8_t>(nd->type));
    iw.u8(0);
    iw.u16be(0);
    uint32_t word = nd->reserved;
    if (nd->type == NdType::Na) {
      word = (nd->reserved & 0x1fffffffu) | (nd->router ? 0x80000000u : 0) |
             (nd->solicited ? 0x40000000u : 0) | (nd->override ? 0x20000000u : 0);
    }
    iw.u32be(word);
    iw.bytes(nd->target.bytes());
    if (nd->options.empty() && nd->sourceLl) {
      iw.u8(1);
      iw.u8(1);
      writeMac(iw, *nd->sourceLl);
    }
    if (nd->options.empty() && nd->targetLl) {
      iw.u8(2);
      iw.u8(1);
      writeMac(iw, *nd->targetLl);
    }
    for (const auto& o : nd->options) {
      iw.u8(o.type);
      iw.u8(static_cast<uint8_t>((o.data.size() + 2) / 8));
      iw.bytes(o.data);
    }
    uint16_t sum = keepChecksum ? nd->checksum : icmpv6Checksum(nd->src, nd->dst, icmp);
    iw.patchU16be(2, sum);
    w.u32be(nd->flowWord);
    w.u16be(static_cast<uint16_t>(icmp.size()));
    w.u8(kIcmpv6);
    w.u8(nd->hopLimit);
    w.bytes(nd->src.bytes());
    w.bytes(nd->dst.bytes());
    w.bytes(icmp);
  }
  w.bytes(f.padding);
  return out;
}

IpAddress solicitedNodeMulticast(const IpAddress& target) {
  std::array<uint8_t, 16> b{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0};
  auto t = target.bytes();
  if (t.size() == 16) {
    b[13] = t[13];
    b[14] = t[14];
    b[15] = t[15];
  }
  return IpAddress::v6(b);
}

MacAddress ipv6MulticastMac(const IpAddress& group) {
  auto g = group.bytes();
  std::array<uint8_t, 6> m{0x33, 0x33, 0, 0, 0, 0};
  if (g.size() == 16) {
    m[2] = g[12];
    m[3] = g[13];
    m[4] = g[14];
    m[5] = g[15];
  }
  return MacAddress(m);
}

namespace {
std::vector<uint8_t> arpFrame(
    ArpOp op,
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const MacAddress& tha,
    const IpAddress& tpa) {
  Frame f;
  f.eth.dst = dstMac;
  f.eth.src = srcMac;
  f.eth.etherType = kEtherTypeArp;
  Arp a;
  a.op = op;
  a.sha = srcMac;
  a.spa = srcIp.isV4() ? srcIp : IpAddress::v4(uint32_t{0});
  a.tha = tha;
  a.tpa = tpa;
  f.body = a;
  return encode(f);
}
}  // namespace

std::vector<uint8_t> buildArpRequest(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const IpAddress& target) {
  // RFC 826 leaves tha undefined in a request; zero is what Linux sends.
  return arpFrame(ArpOp::Request, srcMac, srcIp, dstMac, MacAddress(), target);
}

std::vector<uint8_t> buildArpReply(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const IpAddress& dstIp) {
  return arpFrame(ArpOp::Reply, srcMac, srcIp, dstMac, dstMac, dstIp);
}

std::vector<uint8_t> buildNs(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    std::optional<MacAddress> dstMac,
    const IpAddress& target) {
  Frame f;
  f.eth.src = srcMac;
  f.eth.etherType = kEtherTypeIpv6;
  Nd nd;
  nd.type = NdType::Ns;
  nd.src = srcIp.isV6() ? srcIp : IpAddress::v6({});
  if (dstMac) {
    nd.dst = target;
    f.eth.dst = *dstMac;
  } else {
    nd.dst = solicitedNodeMulticast(target);
    f.eth.dst = ipv6MulticastMac(nd.dst);
  }
  if (nd.src.isUnspecified()) {
    // DAD form: to the solicited-node group, no SLLA (RFC 4861 §7.2.2).
    nd.dst = solicitedNodeMulticast(target);
    if (!dstMac) {
      f.eth.dst = ipv6MulticastMac(nd.dst);
    }
  } else {
    nd.sourceLl = srcMac;
  }
  nd.target = target;
  f.body = std::move(nd);
  return encode(f);
}

std::vector<uint8_t> buildNa(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const IpAddress& dstIp,
    const IpAddress& target,
    bool solicited,
    bool override) {
  Frame f;
  f.eth.src = srcMac;
  f.eth.dst = dstMac;
  f.eth.etherType = kEtherTypeIpv6;
  Nd nd;
  nd.type = NdType::Na;
  nd.src = srcIp;
  nd.dst = dstIp;
  nd.solicited = solicited;
  nd.override = override;
  nd.target = target;
  nd.targetLl = srcMac;
  f.body = std::move(nd);
  return encode(f);
}

}  // namespace hr::codec::arpnd

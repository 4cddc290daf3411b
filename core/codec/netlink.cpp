#include "core/codec/netlink.h"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace hr::codec::nl {
namespace {

Header readHeader(ByteReader& r) {
  Header h;
  h.len = r.u32host();
  h.type = r.u16host();
  h.flags = r.u16host();
  h.seq = r.u32host();
  h.pid = r.u32host();
  return h;
}

Result<Family> familyOf(uint8_t f) {
  if (f == AF_INET) {
    return Family::V4;
  }
  if (f == AF_INET6) {
    return Family::V6;
  }
  return fail("bad_family", "address family {} is neither AF_INET nor AF_INET6", f);
}

Result<IpAddress> addrOf(const Attr& a, Family f) {
  size_t want = f == Family::V4 ? 4 : 16;
  if (a.data.size() != want) {
    return fail(
        "bad_attr_len", "address attribute {} has {} bytes, want {}", a.type, a.data.size(), want);
  }
  return IpAddress::fromBytes(a.data);
}

}  // namespace

Result<std::vector<Message>> split(std::span<const uint8_t> buf) {
  std::vector<Message> out;
  size_t off = 0;
  while (off < buf.size()) {
    size_t left = buf.size() - off;
    if (left < kHeaderLen) {
      // Trailing padding shorter than a header is tolerated only if it is all zeroes.
      for (size_t i = off; i < buf.size(); ++i) {
        if (buf[i] != 0) {
          return fail("trailing_bytes", "{} trailing bytes after the last message", left);
        }
      }
      break;
    }
    ByteReader r(buf.subspan(off, kHeaderLen));
    Header h = readHeader(r);
    if (h.len < kHeaderLen) {
      return fail("bad_nlmsg_len", "nlmsg_len {} below the header size", h.len);
    }
    if (h.len > left) {
      return fail("truncated", "nlmsg_len {} runs past the buffer ({} bytes left)", h.len, left);
    }
    out.push_back(Message{h, buf.subspan(off + kHeaderLen, h.len - kHeaderLen)});
    off += std::min(align4(h.len), left);
  }
  return out;
}

uint8_t Attr::u8() const {
  return data.empty() ? 0 : data[0];
}
uint16_t Attr::u16() const {
  ByteReader r(data);
  return r.u16host();
}
uint32_t Attr::u32() const {
  ByteReader r(data);
  return r.u32host();
}
uint64_t Attr::u64() const {
  ByteReader r(data);
  return r.u64le();
}
std::string Attr::str() const {
  size_t n = 0;
  while (n < data.size() && data[n] != 0) {
    ++n;
  }
  return std::string(reinterpret_cast<const char*>(data.data()), n);
}

Result<std::vector<Attr>> listAttrs(std::span<const uint8_t> buf) {
  std::vector<Attr> out;
  size_t off = 0;
  while (off < buf.size()) {
    size_t left = buf.size() - off;
    if (left < 4) {
      return fail("trailing_bytes", "{} bytes left, too few for an attribute header", left);
    }
    ByteReader r(buf.subspan(off, 4));
    uint16_t len = r.u16host();
    uint16_t rawType = r.u16host();
    if (len < 4) {
      return fail(
          "bad_attr_len", "attribute type {} has length {} (< 4)", rawType & NLA_TYPE_MASK, len);
    }
    if (len > left) {
      return fail(
          "truncated",
          "attribute type {} length {} runs past the message",
          rawType & NLA_TYPE_MASK,
          len);
    }
    out.push_back(Attr{
        static_cast<uint16_t>(rawType & NLA_TYPE_MASK),
        (rawType & NLA_F_NESTED) != 0,
        buf.subspan(off + 4, len - 4)});
    off += std::min(align4(len), left);
  }
  return out;
}

Result<AttrSet> parseAttrs(std::span<const uint8_t> buf, std::span<const AttrPolicy> policy) {
  HR_TRY(auto list, listAttrs(buf));
  uint16_t maxType = 0;
  for (const auto& p : policy) {
    maxType = std::max(maxType, p.type);
  }
  AttrSet set;
  set.attrs_.resize(size_t{maxType} + 1);
  for (const auto& a : list) {
    const AttrPolicy* pol = nullptr;
    for (const auto& p : policy) {
      if (p.type == a.type) {
        pol = &p;
        break;
      }
    }
    if (pol == nullptr) {
      continue;
    }
    size_t n = a.data.size();
    size_t fixed = 0;
    switch (pol->kind) {
      case AttrKind::U8:
        fixed = 1;
        break;
      case AttrKind::U16:
        fixed = 2;
        break;
      case AttrKind::U32:
        fixed = 4;
        break;
      case AttrKind::U64:
        fixed = 8;
        break;
      case AttrKind::Flag:
        if (n != 0) {
          return fail("bad_attr_len", "flag attribute {} carries {} bytes", a.type, n);
        }
        break;
      case AttrKind::String:
      case AttrKind::Binary:
      case AttrKind::Nested:
      case AttrKind::Any:
        if (n < pol->minLen || (pol->maxLen != 0 && n > pol->maxLen)) {
          return fail(
              "bad_attr_len",
              "attribute {} has {} bytes, allowed {}..{}",
              a.type,
              n,
              pol->minLen,
              pol->maxLen == 0 ? std::string("any") : std::to_string(pol->maxLen));
        }
        break;
    }
    if (fixed != 0 && n != fixed) {
      return fail("bad_attr_len", "attribute {} has {} bytes, want {}", a.type, n, fixed);
    }
    set.attrs_[a.type] = a;
  }
  return set;
}

bool LinkMsg::up() const {
  return (flags & IFF_UP) != 0;
}
bool LinkMsg::running() const {
  return (flags & IFF_RUNNING) != 0;
}
bool NeighMsg::externallyLearned() const {
  return (flags & NTF_EXT_LEARNED) != 0;
}
bool NeighMsg::isRouter() const {
  return (flags & NTF_ROUTER) != 0;
}

Result<LinkMsg> decodeLink(const Message& m) {
  if (m.hdr.type != RTM_NEWLINK && m.hdr.type != RTM_DELLINK) {
    return fail("bad_type", "message type {} is not a link message", m.hdr.type);
  }
  ByteReader r(m.payload);
  LinkMsg l;
  l.isNew = m.hdr.type == RTM_NEWLINK;
  r.u8();  // ifi_family
  r.u8();  // pad
  l.devType = r.u16host();
  l.ifindex = static_cast<int32_t>(r.u32host());
  l.flags = r.u32host();
  r.u32host();  // ifi_change
  if (!r.ok()) {
    return fail("truncated", "link message shorter than ifinfomsg");
  }
  static constexpr AttrPolicy kPolicy[] = {
      {IFLA_IFNAME, AttrKind::String, 1, IFNAMSIZ},
      {IFLA_ADDRESS, AttrKind::Binary, 0, 32},
      {IFLA_MTU, AttrKind::U32},
      {IFLA_MASTER, AttrKind::U32},
      {IFLA_LINK, AttrKind::U32},
      {IFLA_OPERSTATE, AttrKind::U8},
      {IFLA_LINKINFO, AttrKind::Nested},
  };
  HR_TRY(auto attrs, parseAttrs(r.rest(), kPolicy));
  if (const auto* a = attrs.get(IFLA_IFNAME)) {
    l.name = a->str();
  }
  if (const auto* a = attrs.get(IFLA_ADDRESS); a != nullptr && a->data.size() == 6) {
    l.mac = MacAddress::fromBytes(a->data).value();
  }
  if (const auto* a = attrs.get(IFLA_MTU)) {
    l.mtu = a->u32();
  }
  if (const auto* a = attrs.get(IFLA_MASTER)) {
    l.master = a->u32();
  }
  if (const auto* a = attrs.get(IFLA_LINK)) {
    l.link = a->u32();
  }
  if (const auto* a = attrs.get(IFLA_OPERSTATE)) {
    l.operState = a->u8();
  }
  if (const auto* a = attrs.get(IFLA_LINKINFO)) {
    static constexpr AttrPolicy kInfo[] = {
        {IFLA_INFO_KIND, AttrKind::String, 1, 64},
        {IFLA_INFO_DATA, AttrKind::Nested},
    };
    HR_TRY(auto info, parseAttrs(a->data, kInfo));
    if (const auto* k = info.get(IFLA_INFO_KIND)) {
      l.kind = k->str();
    }
    if (const auto* d = info.get(IFLA_INFO_DATA); d != nullptr && l.kind == "vrf") {
      static constexpr AttrPolicy kVrf[] = {{IFLA_VRF_TABLE, AttrKind::U32}};
      HR_TRY(auto vrf, parseAttrs(d->data, kVrf));
      if (const auto* t = vrf.get(IFLA_VRF_TABLE)) {
        l.vrfTable = t->u32();
      }
    }
  }
  return l;
}

Result<AddrMsg> decodeAddr(const Message& m) {
  if (m.hdr.type != RTM_NEWADDR && m.hdr.type != RTM_DELADDR) {
    return fail("bad_type", "message type {} is not an address message", m.hdr.type);
  }
  ByteReader r(m.payload);
  AddrMsg a;
  a.isNew = m.hdr.type == RTM_NEWADDR;
  HR_TRY(a.family, familyOf(r.u8()));
  a.prefixLen = r.u8();
  a.flags = r.u8();
  a.scope = r.u8();
  a.ifindex = r.u32host();
  if (!r.ok()) {
    return fail("truncated", "address message shorter than ifaddrmsg");
  }
  if (a.prefixLen > (a.family == Family::V4 ? 32 : 128)) {
    return fail("bad_prefix_len", "prefix length {} too long", a.prefixLen);
  }
  static constexpr AttrPolicy kPolicy[] = {
      {IFA_ADDRESS, AttrKind::Binary, 4, 16},
      {IFA_LOCAL, AttrKind::Binary, 4, 16},
      {IFA_LABEL, AttrKind::String, 1, IFNAMSIZ},
  };
  HR_TRY(auto attrs, parseAttrs(r.rest(), kPolicy));
  const Attr* addr =
      attrs.get(IFA_LOCAL) != nullptr ? attrs.get(IFA_LOCAL) : attrs.get(IFA_ADDRESS);
  if (addr == nullptr) {
    return fail("missing_attr", "address message without IFA_ADDRESS");
  }
  HR_TRY(a.address, addrOf(*addr, a.family));
  if (const auto* l = attrs.get(IFA_LABEL)) {
    a.label = l->str();
  }
  return a;
}

Result<NeighMsg> decodeNeigh(const Message& m) {
  if (m.hdr.type != RTM_NEWNEIGH && m.hdr.type != RTM_DELNEIGH) {
    return fail("bad_type", "message type {} is not a neighbour message", m.hdr.type);
  }
  ByteReader r(m.payload);
  NeighMsg n;
  n.isNew = m.hdr.type == RTM_NEWNEIGH;
  uint8_t fam = r.u8();
  r.u8();
  r.u16host();
  n.ifindex = static_cast<int32_t>(r.u32host());
  n.state = r.u16host();
  n.flags = r.u8();
  n.type = r.u8();
  if (!r.ok()) {
    return fail("truncated", "neighbour message shorter than ndmsg");
  }
  if (fam != AF_INET && fam != AF_INET6) {
    // AF_BRIDGE (fdb) entries share the message type; callers count and skip them.
    return fail("not_ip", "neighbour family {} is not IP (fdb entry)", fam);
  }
  n.family = fam == AF_INET ? Family::V4 : Family::V6;
  static constexpr AttrPolicy kPolicy[] = {
      {NDA_DST, AttrKind::Binary, 4, 16},
      {NDA_LLADDR, AttrKind::Binary, 0, 32},
      {NDA_MASTER, AttrKind::U32},
      {NDA_FLAGS_EXT, AttrKind::U32},
  };
  HR_TRY(auto attrs, parseAttrs(r.rest(), kPolicy));
  const auto* dst = attrs.get(NDA_DST);
  if (dst == nullptr) {
    return fail("missing_attr", "neighbour message without NDA_DST");
  }
  HR_TRY(n.dst, addrOf(*dst, n.family));
  if (const auto* l = attrs.get(NDA_LLADDR); l != nullptr && l->data.size() == 6) {
    n.lladdr = MacAddress::fromBytes(l->data).value();
  }
  if (const auto* a = attrs.get(NDA_MASTER)) {
    n.master = a->u32();
  }
  if (const auto* a = attrs.get(NDA_FLAGS_EXT)) {
    n.extFlags = a->u32();
  }
  return n;
}

Builder::Builder(
    std::vector<uint8_t>& out, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid)
    : out_(out), start_(out.size()) {
  ByteWriter w(out_);
  w.u32host(0);
  w.u16host(type);
  w.u16host(flags);
  w.u32host(seq);
  w.u32host(pid);
}

void Builder::fixed(std::span<const uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  out_.resize(start_ + align4(out_.size() - start_), 0);
}

void Builder::attr(uint16_t type, std::span<const uint8_t> payload) {
  ByteWriter w(out_);
  w.u16host(static_cast<uint16_t>(4 + payload.size()));
  w.u16host(type);
  w.bytes(payload);
  out_.resize(start_ + align4(out_.size() - start_), 0);
}

void Builder::attrU8(uint16_t type, uint8_t v) {
  attr(type, std::span<const uint8_t>(&v, 1));
}
void Builder::attrU16(uint16_t type, uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  attr(type, b);
}
void Builder::attrU32(uint16_t type, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  attr(type, b);
}
void Builder::attrU64(uint16_t type, uint64_t v) {
  uint8_t b[8];
  std::memcpy(b, &v, 8);
  attr(type, b);
}
void Builder::attrString(uint16_t type, const std::string& s) {
  std::vector<uint8_t> b(s.begin(), s.end());
  b.push_back(0);
  attr(type, b);
}

size_t Builder::beginNested(uint16_t type) {
  size_t pos = out_.size();
  ByteWriter w(out_);
  w.u16host(0);
  w.u16host(static_cast<uint16_t>(type | NLA_F_NESTED));
  return pos;
}

void Builder::endNested(size_t pos) {
  ByteWriter w(out_);
  w.patchU16host(pos, static_cast<uint16_t>(out_.size() - pos));
}

size_t Builder::finish() {
  size_t len = out_.size() - start_;
  ByteWriter w(out_);
  w.patchU32host(start_, static_cast<uint32_t>(len));
  return len;
}

void encodeDumpRequest(std::vector<uint8_t>& out, uint16_t type, uint8_t family, uint32_t seq) {
  Builder b(out, type, NLM_F_REQUEST | NLM_F_DUMP, seq);
  // ifinfomsg is the largest family header a dump needs (16 bytes); rtgenmsg semantics only
  // look at the first byte.
  uint8_t hdr[16] = {family};
  size_t n = 16;
  if (type == RTM_GETNEIGH) {
    n = 12;  // ndmsg
  } else if (type == RTM_GETADDR) {
    n = 8;  // ifaddrmsg
  } else if (type == RTM_GETROUTE) {
    n = 12;  // rtmsg
  } else if (type == RTM_GETNEXTHOP) {
    n = 8;  // nhmsg
  }
  b.fixed(std::span<const uint8_t>(hdr, n));
  b.finish();
}

Result<ErrorMsg> decodeError(const Message& m) {
  if (m.hdr.type != NLMSG_ERROR) {
    return fail("bad_type", "message type {} is not NLMSG_ERROR", m.hdr.type);
  }
  ByteReader r(m.payload);
  ErrorMsg e;
  e.error = static_cast<int32_t>(r.u32host());
  e.orig = readHeader(r);
  if (!r.ok()) {
    return fail("truncated", "NLMSG_ERROR shorter than its header");
  }
  return e;
}

}  // namespace hr::codec::nl

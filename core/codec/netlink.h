// Netlink (rtnetlink) codec: splitting a buffer into messages, attributes with a per-message
// policy table, typed decoders for links, addresses and neighbours, and a message builder.
// Pure: no sockets here (core/netlink/socket.h is the adapter). Used by the kernel watchers
// and, for FPM, by the decoder of zebra's netlink payloads.
//
// Wire layout (host byte order, 4-byte alignment):
//   nlmsghdr { u32 len (incl. header); u16 type; u16 flags; u32 seq; u32 pid }
//   family header (ifinfomsg 16 B, ifaddrmsg 8 B, ndmsg 12 B, rtmsg 12 B, nhmsg 8 B)
//   attributes: { u16 len (incl. 4-byte header); u16 type (bit 15 NLA_F_NESTED,
//                 bit 14 NLA_F_NET_BYTEORDER); payload; pad to 4 }
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/codec/bytes.h"
#include "core/net/addr.h"
#include "core/result.h"

namespace hr::codec::nl {

constexpr size_t kHeaderLen = 16;
constexpr size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}

struct Header {
  uint32_t len = 0;
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t pid = 0;
};

struct Message {
  Header hdr;
  std::span<const uint8_t> payload;  // after the 16-byte header, hdr.len - 16 bytes
};

// Splits a datagram (or an FPM frame payload) into messages. Rejects a length below the
// header size, a length running past the buffer, and trailing bytes that are not a whole
// message (padding to the 4-byte boundary is allowed).
Result<std::vector<Message>> split(std::span<const uint8_t> buf);

// --- attributes ------------------------------------------------------------------------

struct Attr {
  uint16_t type = 0;  // NLA_TYPE_MASK applied
  bool nested = false;
  std::span<const uint8_t> data;

  uint8_t u8() const;
  uint16_t u16() const;
  uint32_t u32() const;
  uint64_t u64() const;
  std::string str() const;  // up to the first NUL
};

enum class AttrKind : uint8_t { Any, U8, U16, U32, U64, String, Binary, Flag, Nested };

// Payload size rule for one attribute type: fixed-size kinds need exactly their size,
// String/Binary need [minLen, maxLen] (maxLen 0 = no limit), Flag needs 0 bytes.
struct AttrPolicy {
  uint16_t type;
  AttrKind kind;
  uint16_t minLen = 0;
  uint16_t maxLen = 0;
};

// The attributes of one message indexed by type (the last occurrence wins, as in the
// kernel). Types above maxType and types without a policy entry are skipped (newer kernels
// add attributes); a known type with a bad size is an error.
class AttrSet {
 public:
  const Attr* get(uint16_t type) const {
    return type < attrs_.size() && attrs_[type].has_value() ? &*attrs_[type] : nullptr;
  }
  bool has(uint16_t type) const {
    return get(type) != nullptr;
  }

 private:
  friend Result<AttrSet> parseAttrs(std::span<const uint8_t>, std::span<const AttrPolicy>);
  std::vector<std::optional<Attr>> attrs_;
};

Result<AttrSet> parseAttrs(std::span<const uint8_t> buf, std::span<const AttrPolicy> policy);
// All attributes in order, without a policy (for nested arrays such as RTA_MULTIPATH).
Result<std::vector<Attr>> listAttrs(std::span<const uint8_t> buf);

// --- typed messages ----------------------------------------------------------------------

struct LinkMsg {
  bool isNew = true;     // RTM_NEWLINK vs RTM_DELLINK
  uint16_t devType = 0;  // ARPHRD_*
  int32_t ifindex = 0;
  uint32_t flags = 0;  // IFF_*
  std::string name;
  std::optional<MacAddress> mac;
  uint32_t mtu = 0;
  uint32_t master = 0;  // IFLA_MASTER (bridge or VRF), 0 = none
  uint32_t link = 0;    // IFLA_LINK (the parent of a macvlan or vlan)
  uint8_t operState = 0;
  std::string kind;       // IFLA_LINKINFO/IFLA_INFO_KIND ("bridge", "vrf", "macvlan", ...)
  uint32_t vrfTable = 0;  // IFLA_INFO_DATA/IFLA_VRF_TABLE when kind == "vrf"

  bool up() const;       // IFF_UP
  bool running() const;  // IFF_RUNNING (carrier)
};

struct AddrMsg {
  bool isNew = true;
  Family family = Family::V4;
  uint8_t prefixLen = 0;
  uint8_t flags = 0;
  uint8_t scope = 0;
  uint32_t ifindex = 0;
  IpAddress address;  // IFA_LOCAL when present (v4 p2p), else IFA_ADDRESS
  std::string label;

  Prefix prefix() const {
    return Prefix(address, prefixLen);
  }
};

struct NeighMsg {
  bool isNew = true;
  Family family = Family::V4;
  int32_t ifindex = 0;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  uint8_t type = 0;
  IpAddress dst;
  std::optional<MacAddress> lladdr;
  uint32_t master = 0;
  uint32_t extFlags = 0;  // NDA_FLAGS_EXT

  bool externallyLearned() const;  // NTF_EXT_LEARNED: another control plane owns it
  bool isRouter() const;           // NTF_ROUTER
};

Result<LinkMsg> decodeLink(const Message& m);
Result<AddrMsg> decodeAddr(const Message& m);
Result<NeighMsg> decodeNeigh(const Message& m);

// --- builder ------------------------------------------------------------------------------

class Builder {
 public:
  // Starts a message at the end of `out` (several messages can share one buffer: a batch).
  Builder(std::vector<uint8_t>& out, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid = 0);
  // The family header (ifinfomsg, ndmsg, rtmsg, ...), as raw bytes in host order.
  void fixed(std::span<const uint8_t> bytes);
  void attr(uint16_t type, std::span<const uint8_t> payload);
  void attrFlag(uint16_t type) {
    attr(type, {});
  }
  void attrU8(uint16_t type, uint8_t v);
  void attrU16(uint16_t type, uint16_t v);
  void attrU32(uint16_t type, uint32_t v);
  void attrU64(uint16_t type, uint64_t v);
  void attrString(uint16_t type, const std::string& s);  // NUL-terminated
  void attrAddress(uint16_t type, const IpAddress& a) {
    attr(type, a.bytes());
  }
  // Nested attributes: auto pos = beginNested(T); ...; endNested(pos);
  size_t beginNested(uint16_t type);
  void endNested(size_t pos);
  // Writes the final length. Must be called once; returns the message's size.
  size_t finish();

 private:
  std::vector<uint8_t>& out_;
  size_t start_;
};

// Dump requests (NLM_F_REQUEST|NLM_F_DUMP) for links, addresses and neighbours.
void encodeDumpRequest(std::vector<uint8_t>& out, uint16_t type, uint8_t family, uint32_t seq);

// NLMSG_ERROR payload: the error code (0 = ACK) and the header of the message it answers.
struct ErrorMsg {
  int32_t error = 0;
  Header orig;
};
Result<ErrorMsg> decodeError(const Message& m);

}  // namespace hr::codec::nl

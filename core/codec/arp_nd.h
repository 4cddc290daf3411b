// ARP and IPv6 Neighbour Discovery codec: the frames the host learner snoops (ARP requests,
// replies, gratuitous ARP, RFC 5227 probes; ND neighbour solicitations and advertisements,
// DAD included) and the probes it sends. Pure: byte spans in, validated structs out.
//
// Ethernet II (an optional single 802.1Q tag is decoded):
//   dst[6] src[6] [0x8100 tci[2]] ethertype[2] payload... (ARP frames are padded to 60 bytes)
//
// ARP for IPv4 over Ethernet (RFC 826), ethertype 0x0806, 28 bytes:
//   htype=1[2] ptype=0x0800[2] hlen=6[1] plen=4[1] oper[2] sha[6] spa[4] tha[6] tpa[4]
//   gratuitous ARP: spa == tpa; RFC 5227 probe: spa == 0.0.0.0.
// RARP (RFC 903), ethertype 0x8035: the same 28 bytes with oper 3 (request reverse) or 4
//   (reply reverse). Hypervisors broadcast a request reverse from a VM's MAC after a live
//   migration (sha == tha == the VM's MAC, spa == tpa == 0.0.0.0): a MAC, no address.
//
// IPv6 (RFC 8200), ethertype 0x86dd, 40-byte header, next header 58 = ICMPv6 directly:
//   ver/tc/flow[4] payload_len[2] next_hdr[1] hop_limit[1] src[16] dst[16]
// ICMPv6 (RFC 4443) header: type[1] code[1] checksum[2] (over the RFC 8200 §8.1 pseudo-header)
// NS (RFC 4861 §4.3), type 135: reserved[4] target[16] options...
// NA (RFC 4861 §4.4), type 136: R|S|O flags + reserved[4] target[16] options...
// Options (§4.6): type[1] length[1] (units of 8 bytes, 0 is invalid) data...
//   1 = source link-layer address, 2 = target link-layer address (8 bytes on Ethernet).
// Validity (§7.1.1, §7.1.2): hop limit 255, code 0, checksum, target not multicast, a NS from
// the unspecified address (DAD) goes to a solicited-node address and carries no SLLA; a NA
// to a multicast destination must not have the S flag.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "core/net/addr.h"
#include "core/result.h"

namespace hr::codec::arpnd {

constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeRarp = 0x8035;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNdNs = 135;
constexpr uint8_t kNdNa = 136;
constexpr size_t kMinFrame = 60;  // Ethernet minimum without FCS; shorter frames are padded

struct Ethernet {
  MacAddress dst;
  MacAddress src;
  std::optional<uint16_t> vlanTci;  // the 802.1Q tag, when present
  uint16_t etherType = 0;
};

enum class ArpOp : uint16_t { Request = 1, Reply = 2, ReverseRequest = 3, ReverseReply = 4 };

struct Arp {
  ArpOp op = ArpOp::Request;
  MacAddress sha;
  IpAddress spa;  // v4
  MacAddress tha;
  IpAddress tpa;  // v4

  bool isReverse() const {  // RARP (ethertype 0x8035)
    return op == ArpOp::ReverseRequest || op == ArpOp::ReverseReply;
  }
  bool isProbe() const {  // RFC 5227: sender 0.0.0.0
    return !isReverse() && spa.isUnspecified();
  }
  bool isGratuitous() const {  // announcement: sender == target
    return !isReverse() && !spa.isUnspecified() && spa == tpa;
  }
};

enum class NdType : uint8_t { Ns = kNdNs, Na = kNdNa };

struct NdOption {
  uint8_t type = 0;
  std::vector<uint8_t> data;  // without the 2-byte type/length header
};

struct Nd {
  NdType type = NdType::Ns;
  IpAddress src;  // IPv6 header
  IpAddress dst;
  uint8_t hopLimit = 255;
  uint32_t flowWord = 0x60000000;  // version, traffic class, flow label as received
  uint16_t checksum = 0;           // as received / as encoded
  bool router = false;             // NA R flag
  bool solicited = false;          // NA S flag
  bool override = false;           // NA O flag
  uint32_t reserved = 0;           // the 29/32 reserved bits (kept for round trips)
  IpAddress target;
  std::optional<MacAddress> sourceLl;  // option 1 (at most one)
  std::optional<MacAddress> targetLl;  // option 2 (at most one)
  // Every option as received, in order (decode fills it, so encode reproduces the bytes).
  // When empty, encode writes sourceLl and targetLl (what the builders set).
  std::vector<NdOption> options;

  bool isDad() const {  // RFC 4862 §5.4: NS from the unspecified address
    return type == NdType::Ns && src.isUnspecified();
  }
  // The link-layer address the message vouches for: SLLA of a NS, TLLA of a NA.
  std::optional<MacAddress> linkLayer() const {
    return type == NdType::Ns ? sourceLl : targetLl;
  }
};

struct Frame {
  Ethernet eth;
  std::variant<Arp, Nd> body;
  std::vector<uint8_t> padding;  // trailing Ethernet padding (frames up to 60 bytes)

  const Arp* arp() const {
    return std::get_if<Arp>(&body);
  }
  const Nd* nd() const {
    return std::get_if<Nd>(&body);
  }
};

// Decodes one Ethernet frame. Error codes (each counted by the caller):
//   truncated, trailing_bytes, not_arp_nd (another ethertype or ICMPv6 type: an Ignore, not
//   malformed), bad_arp_format, bad_arp_op (ARP: not 1 or 2; RARP: not 3 or 4), bad_ip_version,
//   bad_payload_len, ext_header, bad_hop_limit, bad_icmp_code, bad_checksum, bad_target, bad_option
//   (zero length, a link-layer option that is not 8 bytes or appears twice), bad_dad.
Result<Frame> decode(std::span<const uint8_t> frame);
// True when the error code of decode() means "not for us" rather than "malformed".
bool isIgnore(const Error& e);

// Encodes a frame. ND checksums are computed unless `keepChecksum` (round trips of captured
// frames keep the received value). Padding is appended as given; the builders below add none
// (like Linux's own arp_send: the driver pads short frames).
std::vector<uint8_t> encode(const Frame& f, bool keepChecksum = false);

// RFC 8200 §8.1 pseudo-header checksum of an ICMPv6 message (checksum field zero or not:
// a valid message sums to 0 when its checksum field is included).
uint16_t icmpv6Checksum(const IpAddress& src, const IpAddress& dst, std::span<const uint8_t> icmp);

// --- probes ---------------------------------------------------------------------------------

// Unicast ARP request to dstMac asking for target, from (srcIp, srcMac); srcIp unspecified =
// RFC 5227 probe. dstMac broadcast when the host's MAC is not known.
std::vector<uint8_t> buildArpRequest(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const IpAddress& target);
std::vector<uint8_t> buildArpReply(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const IpAddress& dstIp);
// Neighbour solicitation for target. dstMac/dstIp: the host's MAC and address (unicast
// probe, RFC 4861 §7.3.3 reachability confirmation); with dstMac unset the solicited-node
// multicast group is used. srcIp unspecified = DAD form (no SLLA).
std::vector<uint8_t> buildNs(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    std::optional<MacAddress> dstMac,
    const IpAddress& target);
// Neighbour advertisement (tests and tools): target with TLLA = srcMac.
std::vector<uint8_t> buildNa(
    const MacAddress& srcMac,
    const IpAddress& srcIp,
    const MacAddress& dstMac,
    const IpAddress& dstIp,
    const IpAddress& target,
    bool solicited,
    bool override);

IpAddress solicitedNodeMulticast(const IpAddress& target);
MacAddress ipv6MulticastMac(const IpAddress& group);

}  // namespace hr::codec::arpnd

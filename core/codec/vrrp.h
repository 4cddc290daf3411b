// VRRP codec: VRRPv3 advertisements (RFC 5798) for IPv4 and IPv6, VRRPv2 (RFC 3768) for
// IPv4, the IP header checks RFC 5798 §7.1 requires, and the gratuitous ARP / unsolicited
// neighbour advertisement a new master sends (RFC 5798 §6.4.2). Pure: no sockets.
//
// VRRPv3 advertisement (RFC 5798 §5.1), carried directly in IPv4 or IPv6, protocol 112:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |(rsvd) |     Max Adver Int     |          Checksum             |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |                  IPvX Address(es) (4 or 16 bytes each)        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
//  Version 3, Type 1 (Advertisement); Max Adver Int in centiseconds (12 bits). The checksum
//  covers the VRRP message and, for IPv6 always and for IPv4 per RFC 5798 §5.2.8, an IP
//  pseudo-header (src, dst, upper-layer length, protocol 112). Some IPv4 peers (RFC 9568,
//  older Cisco) leave the pseudo-header out: decode accepts both forms and reports which one
//  matched; encode writes the form it is asked for. FRR 8.4 and keepalived 2.2.7 both use
//  the pseudo-header (shared/VRRP.md §4).
//
// VRRPv2 (RFC 3768 §5.3, IPv4 only): byte 4 is Auth Type, byte 5 Adver Int in seconds, and 8
// bytes of authentication data follow the addresses; the checksum never has a pseudo-header.
//
// Receive checks (RFC 5798 §7.1) done here, each failing with the ietf-vrrp (RFC 8347)
// statistics name as the error code, so a caller counts `error().code` directly:
//   ip-ttl-errors         IPv4 TTL / IPv6 hop limit not 255
//   version-errors        version neither 2 nor 3 (or 2 over IPv6)
//   checksum-errors       neither checksum form matches
//   invalid-type-pkts-rcvd type other than 1
//   packet-length-errors  shorter than the header plus Count addresses, or trailing bytes
//   address-list-errors   Count IPvX Addr of 0
//   vrid-errors           VRID 0
//   ip-header-errors      malformed IPv4/IPv6 header (not an ietf-vrrp name; our own)
//   not-vrrp              not IP protocol 112 / not Ethernet IPv4/IPv6 (ignored, not an error)
// Checks that need the configuration (VRID known, address list, version, interval) are the
// daemon's (vrrp_anycast/).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/net/addr.h"
#include "core/result.h"

namespace hr::codec::vrrp {

constexpr uint8_t kIpProtocol = 112;
constexpr uint8_t kTtl = 255;
constexpr uint8_t kTypeAdvertisement = 1;
constexpr uint8_t kTrafficClass = 0xc0;  // internetwork control (FRR and keepalived both send it)
constexpr size_t kHeaderLen = 8;
constexpr size_t kV2AuthLen = 8;
constexpr uint16_t kMaxAdverIntCs = 0x0fff;

// Error codes that are ignores, not errors (see the table above).
constexpr std::string_view kNotVrrp = "not-vrrp";

enum class ChecksumForm : uint8_t {
  PseudoHeader,    // RFC 5798 §5.2.8 (always for IPv6)
  NoPseudoHeader,  // IPv4 only: VRRP message alone (RFC 3768, RFC 9568)
};

// One advertisement, version 2 or 3.
struct Advert {
  uint8_t version = 3;
  uint8_t type = kTypeAdvertisement;
  uint8_t vrid = 0;
  uint8_t priority = 0;
  // v3: Max Adver Int in centiseconds. v2: Adver Int in seconds x 100 (so both are cs).
  uint16_t maxAdverIntCs = 100;
  uint8_t reserved = 0;  // v3: the 4 reserved bits (sent 0, ignored on receive)
  uint8_t authType = 0;  // v2 only
  std::array<uint8_t, kV2AuthLen> authData{};  // v2 only
  std::vector<IpAddress> addresses;

  bool operator==(const Advert&) const = default;
};

// The IP header fields of a received or sent advertisement.
struct IpHeader {
  IpAddress src;
  IpAddress dst;
  uint8_t ttl = kTtl;           // hop limit for IPv6
  uint8_t tos = kTrafficClass;  // traffic class for IPv6
  uint16_t id = 0;              // IPv4 only
  bool dontFragment = false;    // IPv4 only
  uint32_t flowLabel = 0;       // IPv6 only (20 bits)

  bool operator==(const IpHeader&) const = default;
};

struct Packet {
  IpHeader ip;
  Advert advert;
  uint16_t checksum = 0;                                   // as received
  ChecksumForm checksumForm = ChecksumForm::PseudoHeader;  // the form that matched

  bool operator==(const Packet&) const = default;
};

struct Frame {
  MacAddress dst;
  MacAddress src;
  Packet packet;

  bool operator==(const Frame&) const = default;
};

// --- helpers -------------------------------------------------------------------------------

// 00:00:5e:00:01:VRID (IPv4) and 00:00:5e:00:02:VRID (IPv6), RFC 5798 §7.3.
MacAddress virtualMac(Family f, uint8_t vrid);
// 224.0.0.18 / ff02::12.
IpAddress groupAddress(Family f);
// 01:00:5e:00:00:12 / 33:33:00:00:00:12.
MacAddress groupMac(Family f);

// The VRRP checksum of `message` (its checksum field is treated as zero) in exactly the
// form asked for (encode and decode enforce the pseudo-header for IPv6).
uint16_t checksum(
    std::span<const uint8_t> message,
    const IpAddress& src,
    const IpAddress& dst,
    ChecksumForm form);

// The VRID byte of a VRRP message, or nullopt when too short (for attributing a bad packet
// to a virtual router before it is fully decoded).
std::optional<uint8_t> peekVrid(std::span<const uint8_t> message);

// --- decode --------------------------------------------------------------------------------

// The VRRP message alone (after the IP header). The checksum is verified against src/dst.
// `form` receives the checksum form that matched.
Result<Advert> decodeAdvert(
    std::span<const uint8_t> message,
    const IpAddress& src,
    const IpAddress& dst,
    ChecksumForm* form = nullptr,
    uint16_t* receivedChecksum = nullptr);

// A whole IPv4 or IPv6 packet (chosen by the version nibble). Bytes after the IP total
// length / payload length (Ethernet padding) are ignored; the IP header's own checks come
// first (header errors, protocol, TTL), then the VRRP message's.
Result<Packet> decodeIp(std::span<const uint8_t> packet);

// An Ethernet II frame (no VLAN tag: the kernel strips it) holding IPv4 or IPv6.
Result<Frame> decodeFrame(std::span<const uint8_t> frame);

// --- encode --------------------------------------------------------------------------------

// The VRRP message with its checksum computed in `form` (IPv6 always uses the
// pseudo-header). Addresses must all be of src's family.
std::vector<uint8_t> encodeAdvert(
    const Advert& a, const IpAddress& src, const IpAddress& dst, ChecksumForm form);

// IP header + VRRP message. For IPv4 the header checksum is computed.
std::vector<uint8_t> encodeIp(const IpHeader& ip, const Advert& a, ChecksumForm form);

// Ethernet header + IP + VRRP.
std::vector<uint8_t> encodeFrame(
    const MacAddress& dst,
    const MacAddress& src,
    const IpHeader& ip,
    const Advert& a,
    ChecksumForm form);

// A gratuitous ARP request (RFC 5798 §6.4.2 / RFC 5227 announcement): Ethernet broadcast
// from `mac`, op 1, sender = target = `ip`, target hardware address zero.
std::vector<uint8_t> encodeGratuitousArp(const MacAddress& mac, const IpAddress& ip);

// An unsolicited neighbour advertisement (RFC 4861 §7.2.6, RFC 5798 §6.4.2) to ff02::1 from
// `mac`/`src`: flags R (if router) and O set, S clear, target `target`, with the target
// link-layer address option carrying `mac`. Hop limit 255.
std::vector<uint8_t> encodeUnsolicitedNa(
    const MacAddress& mac, const IpAddress& src, const IpAddress& target, bool router = true);

// Decoded gratuitous ARP / unsolicited NA, for tests and the fuzz target.
struct Announcement {
  MacAddress ethSrc;
  MacAddress ethDst;
  MacAddress linkAddress;  // ARP sender hardware address / NA target link-layer address
  IpAddress address;       // ARP sender protocol address / NA target
  IpAddress ipSrc;         // NA only
  bool router = false;     // NA only
  bool override_ = false;  // NA only
  bool solicited = false;  // NA only
};
Result<Announcement> decodeAnnouncement(std::span<const uint8_t> frame);

}  // namespace hr::codec::vrrp

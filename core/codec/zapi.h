// ZAPI (zebra's client protocol) codec for FRR 8.4 (ZSERV_VERSION 6). Written from FRR's
// source read as documentation (lib/zclient.[ch], zebra/zapi_msg.c, zebra/zebra_gr.c of tag
// frr-8.4.4) and checked against bytes captured from the real zebra (tests/unit/zapi/data/).
// Pure: no fds, no syscalls; depends only on fmt and core/net/addr.
//
// Every message starts with a 10-byte header in network byte order:
//
//    0      2      3       4               8        10
//   +------+------+-------+---------------+--------+---------------
//   |length|marker|version|    vrf_id     |command | body ...
//   +------+------+-------+---------------+--------+---------------
//    u16    254    6       u32             u16
//   length counts the header too; at most 16384 (ZEBRA_MAX_PACKET_SIZ).
//
// Some fields are in HOST byte order (zebra copies C values with stream_put): the `note` of
// ROUTE_NOTIFY_OWNER, the error code of ZEBRA_ERROR, the table id of VRF_ADD/DELETE (struct
// vrf_data; seen in the capture: 254 arrives as fe 00 00 00) and a nexthop's MPLS labels.
//
// Command numbers are the position in zebra's `zebra_message_types_t` enum and shift between
// FRR releases without a ZSERV_VERSION bump, so the codec speaks in logical `Command`s and a
// per-release `CommandTable` maps them to wire numbers (8.4.0-8.4.7 share one table; 9.x
// would add its own). See docs/zapi.md for the version policy.
//
// Message bodies (the ones the product uses; see the structs below for each layout):
//   HELLO                   c->z  u8 proto, u16 instance, u32 session, u8 notify, u8 sync
//   ROUTE_ADD/DELETE        c->z  zapi_route (Route)
//   REDISTRIBUTE_ROUTE_*    z->c  zapi_route (Route)
//   ROUTE_NOTIFY_OWNER      z->c  u32 note (host order), u8 family, u8 plen, prefix (4/16),
//                                 u32 table, u8 afi, u8 safi
//   REDISTRIBUTE_ADD/DELETE c->z  u8 afi, u8 type, u16 instance
//   CAPABILITIES            z->c  u32 vrf_backend, u8 mpls, u32 multipath, u8 mlag_role
//   CLIENT_CAPABILITIES     c->z  u32 cap, then per cap (ClientCapabilities)
//   ROUTE_NOTIFY_REQUEST    c->z  u8 on
//   INTERFACE_ADD/DELETE/UP/DOWN z->c  Interface (name[16], ifindex, status, flags, ...)
//   INTERFACE_ADD           c->z  empty body: "send me every interface"
//   INTERFACE_ADDRESS_ADD/DELETE z->c  u32 ifindex, u8 flags, u8 family, addr, u8 plen, dest
//   VRF_ADD/DELETE          z->c  u32 table (host order), char netns[36], char name[36]
//   ERROR                   z->c  u32 code (host order)
//   CLIENT_CLOSE_NOTIFY     z->c  u8 proto, u16 instance, u32 session
//   ROUTER_ID_ADD/DELETE    c->z  u16 afi
//   ROUTER_ID_UPDATE        z->c  u8 family, addr (4/16), u8 plen
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/net/addr.h"
#include "core/result.h"

namespace hr::codec::zapi {

constexpr size_t kHeaderSize = 10;
constexpr uint8_t kMarker = 254;
constexpr uint8_t kVersion = 6;
constexpr size_t kMaxMessage = 16384;

// Linux address families as zebra writes them.
constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6 = 10;
// afi_t / safi_t.
constexpr uint8_t kAfiIp = 1;
constexpr uint8_t kAfiIp6 = 2;
constexpr uint8_t kSafiUnicast = 1;
constexpr uint8_t kSafiMax = 8;  // SAFI_MAX in 8.4 (unicast .. flowspec)

// Route types (lib/route_types.txt order in 8.4; ZEBRA_ROUTE_MAX = 31).
namespace route_type {
constexpr uint8_t kSystem = 0;
constexpr uint8_t kKernel = 1;
constexpr uint8_t kConnect = 2;
constexpr uint8_t kStatic = 3;
constexpr uint8_t kOspf = 6;
constexpr uint8_t kOspf6 = 7;
constexpr uint8_t kIsis = 8;
constexpr uint8_t kBgp = 9;
constexpr uint8_t kTable = 15;
constexpr uint8_t kMax = 31;
}  // namespace route_type
// "bgp", "ospf", ... ("type-N" for numbers without a name).
std::string routeTypeName(uint8_t type);

// ZEBRA_FLAG_* (Route::flags).
constexpr uint32_t kFlagAllowRecursion = 0x01;
constexpr uint32_t kFlagSelected = 0x08;
// ZAPI_MESSAGE_* (Route::message).
constexpr uint32_t kMsgNexthop = 0x01;
constexpr uint32_t kMsgDistance = 0x02;
constexpr uint32_t kMsgMetric = 0x04;
constexpr uint32_t kMsgTag = 0x08;
constexpr uint32_t kMsgMtu = 0x10;
constexpr uint32_t kMsgSrcPfx = 0x20;
constexpr uint32_t kMsgBackupNexthops = 0x40;
constexpr uint32_t kMsgNhg = 0x80;
constexpr uint32_t kMsgTableId = 0x100;
constexpr uint32_t kMsgSrte = 0x200;
constexpr uint32_t kMsgOpaque = 0x400;
constexpr size_t kMaxOpaque = 1024;  // ZAPI_MESSAGE_OPAQUE_LENGTH
// ZAPI_NEXTHOP_FLAG_* (Nexthop::flags).
constexpr uint8_t kNhOnlink = 0x01;
constexpr uint8_t kNhLabel = 0x02;
constexpr uint8_t kNhWeight = 0x04;
constexpr uint8_t kNhHasBackup = 0x08;
constexpr uint8_t kNhSeg6 = 0x10;
constexpr uint8_t kNhSeg6Local = 0x20;
constexpr uint8_t kNhEvpn = 0x40;
constexpr size_t kMaxLabels = 16;  // MPLS_MAX_LABELS
constexpr size_t kMaxBackups = 8;  // NEXTHOP_MAX_BACKUPS
// enum nexthop_types_t.
enum class NexthopType : uint8_t {
  Ifindex = 1,
  Ipv4 = 2,
  Ipv4Ifindex = 3,
  Ipv6 = 4,
  Ipv6Ifindex = 5,
  Blackhole = 6,
};
// enum zapi_route_notify_owner.
enum class Note : uint32_t {
  FailInstall = 0,
  BetterAdminWon = 1,
  Installed = 2,
  Removed = 3,
  RemoveFail = 4,
};
std::string_view noteName(uint32_t note);
// enum zserv_client_capabilities.
enum class Cap : uint32_t {
  GracefulRestart = 1,
  RouteUpdateComplete = 2,
  RouteUpdatePending = 3,
  GracefulRestartDisable = 4,
  RibStaleTime = 5,
};
// enum zebra_error_types.
constexpr uint32_t kErrorUnknown = 0;
constexpr uint32_t kErrorNoVrf = 1;
constexpr uint32_t kErrorInvalidMsgType = 2;
// Interface status bits (ZEBRA_INTERFACE_*) and the kernel flags zebra forwards.
constexpr uint8_t kIfStatusActive = 0x01;
constexpr uint8_t kIfStatusLinkDetection = 0x04;
constexpr uint64_t kIffUp = 0x1;
constexpr uint64_t kIffRunning = 0x40;

// ---- commands ------------------------------------------------------------------------------

// Logical commands: the ones the product decodes or sends, plus a few it recognises only to
// ignore them by name. Wire numbers come from a CommandTable.
enum class Command : uint8_t {
  InterfaceAdd,
  InterfaceDelete,
  InterfaceAddressAdd,
  InterfaceAddressDelete,
  InterfaceUp,
  InterfaceDown,
  RouteAdd,
  RouteDelete,
  RouteNotifyOwner,
  RedistributeAdd,
  RedistributeDelete,
  RouterIdAdd,
  RouterIdDelete,
  RouterIdUpdate,
  Hello,
  Capabilities,
  NexthopUpdate,
  InterfaceNbrAddressAdd,
  InterfaceNbrAddressDelete,
  RedistributeRouteAdd,
  RedistributeRouteDel,
  VrfAdd,
  VrfDelete,
  InterfaceVrfUpdate,
  InterfaceLinkParams,
  Error,
  ClientCapabilities,
  RouteNotifyRequest,
  ClientCloseNotify,
  Count,
};
constexpr size_t kCommandCount = static_cast<size_t>(Command::Count);
std::string_view commandName(Command c);

// The wire numbers of one FRR release.
class CommandTable {
 public:
  CommandTable(std::string_view release, const std::array<uint16_t, kCommandCount>& wire);
  std::string_view release() const {
    return release_;
  }
  uint16_t toWire(Command c) const {
    return wire_[static_cast<size_t>(c)];
  }
  std::optional<Command> fromWire(uint16_t number) const;

 private:
  std::string_view release_;
  std::array<uint16_t, kCommandCount> wire_;
};

// FRR 8.4.x (identical in 8.4.0 .. 8.4.7; checked against lib/zclient.h of frr-8.4.4).
const CommandTable& frr84();

// A parsed FRR version ("8.4.4", "9.1", "8.4.4-1.1~deb12u2" -> 8.4.4).
struct FrrVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string text;
};
Result<FrrVersion> parseFrrVersion(std::string_view s);
// Extracts the version from `zebra --version` / `vtysh --version` output ("zebra version
// 8.4.4", "vtysh 8.4.4") or from `show version` ("FRRouting 8.4.4 (...)").
Result<FrrVersion> parseVersionOutput(std::string_view output);
// The command table of a supported release; error "zapi.unsupported_frr" otherwise.
Result<const CommandTable*> tableForVersion(const FrrVersion& v);

// ---- header and stream splitting -----------------------------------------------------------

struct Header {
  uint16_t length = 0;  // including the header
  uint8_t marker = kMarker;
  uint8_t version = kVersion;
  uint32_t vrfId = 0;
  uint16_t command = 0;  // wire number
};
// Checks marker, version and length (kHeaderSize .. kMaxMessage). Codes: zapi.short_header,
// zapi.bad_marker, zapi.bad_version, zapi.bad_length, zapi.too_long.
Result<Header> decodeHeader(std::span<const uint8_t> bytes);
void encodeHeader(std::vector<uint8_t>& out, const Header& h);

struct Frame {
  Header header;
  std::span<const uint8_t> body;   // header.length - 10 bytes
  std::span<const uint8_t> bytes;  // the whole message
};

// Splits a byte stream (partial reads, several messages per read) into messages. A bad
// header breaks the stream for good (there is no way to find the next message): next()
// then keeps returning that error and the connection must be closed.
class Splitter {
 public:
  void feed(std::span<const uint8_t> bytes);
  // The next complete message, nullopt when more bytes are needed. The frame's spans stay
  // valid until the next feed().
  Result<std::optional<Frame>> next();
  size_t buffered() const {
    return buf_.size() - pos_;
  }
  bool failed() const {
    return failed_.has_value();
  }

 private:
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  std::optional<Error> failed_;
};

// ---- message bodies ------------------------------------------------------------------------

struct Empty {
  bool operator==(const Empty&) const = default;
};

struct Hello {
  uint8_t proto = route_type::kTable;
  uint16_t instance = 0;
  uint32_t sessionId = 0;
  uint8_t receiveNotify = 1;
  uint8_t synchronous = 0;
  bool operator==(const Hello&) const = default;
};

struct Nexthop {
  uint32_t vrfId = 0;
  NexthopType type = NexthopType::Ifindex;
  uint8_t flags = 0;  // kNh*; kNhLabel/kNhWeight are also set by encode when needed
  IpAddress gate;     // IPV4*/IPV6* types
  uint32_t ifindex = 0;
  uint8_t blackholeType = 0;
  std::vector<uint32_t> labels;  // host order, as zebra stores them
  uint32_t weight = 0;
  std::array<uint8_t, 6> rmac{};   // kNhEvpn
  uint32_t srteColor = 0;          // Route::message & kMsgSrte
  std::vector<uint8_t> backupIdx;  // kNhHasBackup
  bool operator==(const Nexthop&) const = default;
};

// struct zapi_route: ROUTE_ADD, ROUTE_DELETE, REDISTRIBUTE_ROUTE_ADD/DEL.
//   u8 type, u16 instance, u32 flags, u32 message, u8 safi, u8 family, u8 plen,
//   prefix (PSIZE(plen) bytes), [SRCPFX u8 plen + bytes], [NHG u32],
//   [NEXTHOP u16 n + n * nexthop], [BACKUP u16 n + n * nexthop],
//   [DISTANCE u8] [METRIC u32] [TAG u32] [MTU u32] [TABLEID u32] [OPAQUE u16 len + data]
//   nexthop: u32 vrf, u8 type, u8 flags, (IFINDEX u32 ifindex | IPV4* 4 bytes + u32 ifindex |
//            IPV6* 16 bytes + u32 ifindex | BLACKHOLE u8), [LABEL u8 n + n*u32 host order],
//            [WEIGHT u32], [EVPN 6-byte rmac], [msg SRTE u32 color], [HAS_BACKUP u8 n + n*u8]
// Which optional parts are present follows `message` (and each nexthop's flags) exactly, so
// a decoded route re-encodes to the same bytes.
struct Route {
  uint8_t type = route_type::kTable;
  uint16_t instance = 0;
  uint32_t flags = 0;
  uint32_t message = 0;
  uint8_t safi = kSafiUnicast;
  Prefix prefix;
  std::optional<Prefix> srcPrefix;  // kMsgSrcPfx (IPv6 only)
  uint32_t nhgId = 0;               // kMsgNhg
  std::vector<Nexthop> nexthops;    // kMsgNexthop
  std::vector<Nexthop> backupNexthops;
  uint8_t distance = 0;
  uint32_t metric = 0;
  uint32_t tag = 0;
  uint32_t mtu = 0;
  uint32_t tableId = 0;
  std::vector<uint8_t> opaque;
  bool operator==(const Route&) const = default;
};

struct NotifyOwner {
  uint32_t note = 0;  // Note; host order on the wire
  Prefix prefix;      // the address is sent in full (4 or 16 bytes)
  uint32_t tableId = 0;
  uint8_t afi = kAfiIp;
  uint8_t safi = kSafiUnicast;
  bool operator==(const NotifyOwner&) const = default;
};

struct Redistribute {
  uint8_t afi = kAfiIp;
  uint8_t type = 0;
  uint16_t instance = 0;
  bool operator==(const Redistribute&) const = default;
};

struct Capabilities {
  uint32_t vrfBackend = 0;  // 0 = netns, 1 = VRF-lite devices, ...
  uint8_t mplsEnabled = 0;
  uint32_t multipathNum = 0;
  uint8_t mlagRole = 0;
  bool operator==(const Capabilities&) const = default;
};

// u32 cap, then: GR / RIB_STALE_TIME: u32 stale_time, u32 vrf; UPDATE_COMPLETE / PENDING:
// u32 afi, u32 safi, u32 vrf; GR_DISABLE: u32 vrf.
struct ClientCapabilities {
  uint32_t cap = static_cast<uint32_t>(Cap::GracefulRestart);
  uint32_t staleTime = 0;
  uint32_t afi = 0;
  uint32_t safi = 0;
  uint32_t vrfId = 0;
  bool operator==(const ClientCapabilities&) const = default;
};

struct RouteNotifyRequest {
  uint8_t on = 1;
  bool operator==(const RouteNotifyRequest&) const = default;
};

// zserv_encode_interface(): INTERFACE_ADD/DELETE/UP/DOWN (z->c).
struct Interface {
  std::string name;  // char[16] on the wire, NUL padded
  uint32_t ifindex = 0;
  uint8_t status = 0;  // kIfStatus*
  uint64_t flags = 0;  // kernel IFF_*
  uint8_t ptmEnable = 0;
  uint8_t ptmStatus = 0;
  uint32_t metric = 0;
  uint32_t speed = 0;
  uint32_t mtu = 0;
  uint32_t mtu6 = 0;
  uint32_t bandwidth = 0;
  uint32_t linkIfindex = 0;
  uint32_t llType = 0;
  std::vector<uint8_t> hwAddr;
  uint8_t hasLinkParams = 0;
  std::vector<uint8_t> linkParams;  // kept opaque (TE parameters)
  bool operator==(const Interface&) const = default;

  // zebra's if_is_operative(): admin up, and carrier unless link detection is off.
  bool operative() const;
};

struct InterfaceAddress {
  uint32_t ifindex = 0;
  uint8_t flags = 0;
  IpAddress address;
  uint8_t prefixLen = 0;
  IpAddress destination;  // all zeroes when none
  bool operator==(const InterfaceAddress&) const = default;
};

struct Vrf {
  uint32_t tableId = 0;   // host order on the wire
  std::string netnsName;  // char[36]
  std::string name;       // char[36]
  bool operator==(const Vrf&) const = default;
};

struct ErrorMsg {
  uint32_t code = 0;  // host order on the wire
  bool operator==(const ErrorMsg&) const = default;
};

struct ClientCloseNotify {
  uint8_t proto = 0;
  uint16_t instance = 0;
  uint32_t sessionId = 0;
  bool operator==(const ClientCloseNotify&) const = default;
};

struct RouterIdRequest {
  uint16_t afi = kAfiIp;
  bool operator==(const RouterIdRequest&) const = default;
};

struct RouterIdUpdate {
  Prefix prefix;
  bool operator==(const RouterIdUpdate&) const = default;
};

using Body = std::variant<
    Empty,
    Hello,
    Route,
    NotifyOwner,
    Redistribute,
    Capabilities,
    ClientCapabilities,
    RouteNotifyRequest,
    Interface,
    InterfaceAddress,
    Vrf,
    ErrorMsg,
    ClientCloseNotify,
    RouterIdRequest,
    RouterIdUpdate>;

struct Message {
  Command command = Command::Hello;
  uint32_t vrfId = 0;
  Body body;
  bool operator==(const Message&) const = default;
};

// ---- decoding ------------------------------------------------------------------------------

enum class Outcome : uint8_t { Ok, Error, Ignore };

// Ok: `message` holds the decoded message. Error: malformed; `reason` is a stable code (a
// counter name suffix: truncated, trailing_bytes, bad_family, ...). Ignore: well-formed
// framing but nothing for us (unknown command number, a command we do not use, a feature we
// do not decode such as SRv6 nexthops); `reason` says which.
struct Decoded {
  Outcome outcome = Outcome::Ok;
  Message message;
  std::string reason;
  std::string detail;  // human text for logs
};

Decoded decode(const Frame& frame, const CommandTable& table);
// Decodes exactly one whole message (header included); trailing bytes are an error.
Decoded decodeMessage(std::span<const uint8_t> bytes, const CommandTable& table);

// Body decoders (exposed for tests and the fuzzer). Errors carry the reason as code.
Result<Route> decodeRoute(std::span<const uint8_t> body);
Result<Interface> decodeInterface(std::span<const uint8_t> body);

// ---- encoding ------------------------------------------------------------------------------

// Appends one whole message (header + body) to `out`. Fails (leaving `out` unchanged) when
// the body does not fit the command, a field is out of range, or the message would exceed
// kMaxMessage.
Status encode(std::vector<uint8_t>& out, const Message& m, const CommandTable& table);

// Sorts nexthops the way FRR canonicalises them (zapi_nexthop_cmp without labels/SRv6), so
// ECMP routes are sent in the order zebra expects.
void sortNexthops(std::vector<Nexthop>& nhs);

}  // namespace hr::codec::zapi

#include "core/net/addr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace hr {

IpAddress IpAddress::v4(uint32_t h) {
  return v4(std::array<uint8_t, 4>{
      static_cast<uint8_t>(h >> 24),
      static_cast<uint8_t>(h >> 16),
      static_cast<uint8_t>(h >> 8),
      static_cast<uint8_t>(h)});
}

IpAddress IpAddress::v4(std::array<uint8_t, 4> b) {
  IpAddress a;
  a.family_ = Family::V4;
  std::copy(b.begin(), b.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& b) {
  IpAddress a;
  a.family_ = Family::V6;
  a.bytes_ = b;
  return a;
}

Result<IpAddress> IpAddress::fromBytes(std::span<const uint8_t> b) {
  if (b.size() == 4) {
    return v4(std::array<uint8_t, 4>{b[0], b[1], b[2], b[3]});
  }
  if (b.size() == 16) {
    std::array<uint8_t, 16> x;
    std::copy(b.begin(), b.end(), x.begin());
    return v6(x);
  }
  return fail("bad_address_length", "an IP address has 4 or 16 bytes, not {}", b.size());
}

Result<IpAddress> IpAddress::parse(std::string_view s) {
  std::string str(s);
  std::array<uint8_t, 16> b{};
  if (::inet_pton(AF_INET, str.c_str(), b.data()) == 1) {
    return v4(std::array<uint8_t, 4>{b[0], b[1], b[2], b[3]});
  }
  if (::inet_pton(AF_INET6, str.c_str(), b.data()) == 1) {
    return v6(b);
  }
  return fail("bad_address", "'{}' is not an IPv4 or IPv6 address", s);
}

uint32_t IpAddress::v4HostOrder() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         bytes_[3];
}

bool IpAddress::isUnspecified() const {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

bool IpAddress::isLoopback() const {
  if (isV4()) {
    return bytes_[0] == 127;
  }
  for (int i = 0; i < 15; ++i) {
    if (bytes_[i] != 0) {
      return false;
    }
  }
  return bytes_[15] == 1;
}

bool IpAddress::isMulticast() const {
  return isV4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::isLinkLocal() const {
  return isV4() ? (bytes_[0] == 169 && bytes_[1] == 254)
                : (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

bool IpAddress::isLimitedBroadcast() const {
  return isV4() && v4HostOrder() == 0xffffffffu;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

size_t IpAddress::hash() const {
  // FNV-1a over the significant bytes and the family.
  uint64_t h = 1469598103934665603ULL ^ static_cast<uint8_t>(family_);
  for (uint8_t b : bytes()) {
    h = (h ^ b) * 1099511628211ULL;
  }
  return static_cast<size_t>(h);
}

Result<Prefix> Prefix::parse(std::string_view s) {
  auto slash = s.find('/');
  HR_TRY(IpAddress a, IpAddress::parse(s.substr(0, slash)));
  if (slash == std::string_view::npos) {
    return host(a);
  }
  auto lenStr = s.substr(slash + 1);
  if (lenStr.empty() || lenStr.size() > 3 ||
      !std::all_of(lenStr.begin(), lenStr.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail("bad_prefix", "'{}': bad prefix length", s);
  }
  int len = std::stoi(std::string(lenStr));
  if (len > a.maxPrefixLen()) {
    return fail("bad_prefix", "'{}': prefix length above {}", s, a.maxPrefixLen());
  }
  return Prefix(a, static_cast<uint8_t>(len));
}

Prefix Prefix::canonical() const {
  auto src = addr_.bytes();
  std::array<uint8_t, 16> b{};
  std::copy(src.begin(), src.end(), b.begin());
  for (size_t i = 0; i < src.size(); ++i) {
    int bitsHere = std::clamp(static_cast<int>(len_) - static_cast<int>(i) * 8, 0, 8);
    uint8_t mask = bitsHere == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bitsHere));
    b[i] &= mask;
  }
  IpAddress a = addr_.isV4() ? IpAddress::v4(std::array<uint8_t, 4>{b[0], b[1], b[2], b[3]})
                             : IpAddress::v6(b);
  return {a, len_};
}

bool Prefix::contains(const IpAddress& a) const {
  if (a.family() != family()) {
    return false;
  }
  return Prefix(a, len_).canonical().addr_ == canonical().addr_;
}

bool Prefix::contains(const Prefix& p) const {
  return p.family() == family() && p.len_ >= len_ && contains(p.addr_);
}

IpAddress Prefix::broadcast() const {
  if (!addr_.isV4()) {
    return addr_;
  }
  uint32_t mask = len_ == 0 ? 0 : (0xffffffffu << (32 - len_));
  return IpAddress::v4(addr_.v4HostOrder() | ~mask);
}

std::string Prefix::str() const {
  return addr_.str() + "/" + std::to_string(len_);
}

Result<MacAddress> MacAddress::fromBytes(std::span<const uint8_t> b) {
  if (b.size() != 6) {
    return fail("bad_mac_length", "a MAC address has 6 bytes, not {}", b.size());
  }
  std::array<uint8_t, 6> x;
  std::copy(b.begin(), b.end(), x.begin());
  return MacAddress(x);
}

Result<MacAddress> MacAddress::parse(std::string_view s) {
  std::array<uint8_t, 6> b{};
  if (s.size() != 17) {
    return fail("bad_mac", "'{}' is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
  }
  for (int i = 0; i < 6; ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') {
        return c - '0';
      }
      if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
      }
      if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
      }
      return -1;
    };
    int hi = hex(s[i * 3]);
    int lo = hex(s[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':')) {
      return fail("bad_mac", "'{}' is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
    }
    b[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return MacAddress(b);
}

bool MacAddress::isZero() const {
  return std::all_of(b_.begin(), b_.end(), [](uint8_t x) { return x == 0; });
}

bool MacAddress::isBroadcast() const {
  return std::all_of(b_.begin(), b_.end(), [](uint8_t x) { return x == 0xff; });
}

std::string MacAddress::str() const {
  return fmt::format(
      "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b_[0], b_[1], b_[2], b_[3], b_[4], b_[5]);
}

}  // namespace hr

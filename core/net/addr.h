// Value types for addresses: IpAddress (v4 or v6), Prefix, MacAddress. Parsing returns
// Result; formatting is canonical (inet_ntop). All are hashable and totally ordered so they
// can key host tables.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hr {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(uint32_t hostOrder);
  static IpAddress v4(std::array<uint8_t, 4> b);
  static IpAddress v6(const std::array<uint8_t, 16>& b);
  // 4 bytes -> v4, 16 bytes -> v6, anything else -> error.
  static Result<IpAddress> fromBytes(std::span<const uint8_t> b);
  static Result<IpAddress> parse(std::string_view s);

  Family family() const {
    return family_;
  }
  bool isV4() const {
    return family_ == Family::V4;
  }
  bool isV6() const {
    return family_ == Family::V6;
  }
  // 4 or 16 significant bytes.
  std::span<const uint8_t> bytes() const {
    return {bytes_.data(), isV4() ? 4u : 16u};
  }
  uint32_t v4HostOrder() const;
  uint8_t maxPrefixLen() const {
    return isV4() ? 32 : 128;
  }

  bool isUnspecified() const;  // 0.0.0.0 / ::
  bool isLoopback() const;
  bool isMulticast() const;
  bool isLinkLocal() const;         // 169.254/16, fe80::/10
  bool isLimitedBroadcast() const;  // 255.255.255.255

  std::string str() const;
  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;
  size_t hash() const;

 private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  // Host bits are kept as given; canonical() clears them.
  Prefix(IpAddress addr, uint8_t len) : addr_(addr), len_(len) {}
  static Result<Prefix> parse(std::string_view s);  // "10.1.0.0/24"; no "/" = host prefix
  static Prefix host(const IpAddress& a) {
    return {a, a.maxPrefixLen()};
  }

  const IpAddress& address() const {
    return addr_;
  }
  uint8_t length() const {
    return len_;
  }
  Family family() const {
    return addr_.family();
  }
  bool isHost() const {
    return len_ == addr_.maxPrefixLen();
  }
  Prefix canonical() const;
  bool hasHostBits() const {
    return canonical().addr_ != addr_;
  }
  bool contains(const IpAddress& a) const;
  bool contains(const Prefix& p) const;
  // The subnet's broadcast address (v4 only; the address itself for v6).
  IpAddress broadcast() const;

  std::string str() const;
  auto operator<=>(const Prefix&) const = default;
  bool operator==(const Prefix&) const = default;

 private:
  IpAddress addr_;
  uint8_t len_ = 0;
};

class MacAddress {
 public:
  MacAddress() = default;
  explicit MacAddress(const std::array<uint8_t, 6>& b) : b_(b) {}
  static Result<MacAddress> fromBytes(std::span<const uint8_t> b);
  static Result<MacAddress> parse(std::string_view s);  // aa:bb:cc:dd:ee:ff

  const std::array<uint8_t, 6>& bytes() const {
    return b_;
  }
  bool isZero() const;
  bool isBroadcast() const;
  bool isMulticast() const {
    return (b_[0] & 1) != 0;
  }
  std::string str() const;
  auto operator<=>(const MacAddress&) const = default;
  bool operator==(const MacAddress&) const = default;

 private:
  std::array<uint8_t, 6> b_{};
};

}  // namespace hr

template <>
struct std::hash<hr::IpAddress> {
  size_t operator()(const hr::IpAddress& a) const noexcept {
    return a.hash();
  }
};

template <>
struct fmt::formatter<hr::IpAddress> : fmt::formatter<std::string_view> {
  auto format(const hr::IpAddress& a, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(a.str(), ctx);
  }
};
template <>
struct fmt::formatter<hr::Prefix> : fmt::formatter<std::string_view> {
  auto format(const hr::Prefix& p, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(p.str(), ctx);
  }
};
template <>
struct fmt::formatter<hr::MacAddress> : fmt::formatter<std::string_view> {
  auto format(const hr::MacAddress& m, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(m.str(), ctx);
  }
};

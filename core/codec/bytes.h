// Bounds-checked byte reader and writer: the only way codecs touch wire bytes
// (CONVENTIONS §4). The reader is "sticky": a read past the end returns zeroes and marks the
// reader failed, so a decoder reads a whole structure and checks ok() once, and can never
// read out of bounds. Lengths must be checked with need()/remaining() before looping.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace hr::codec {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const {
    return failed_ ? 0 : data_.size() - pos_;
  }
  size_t position() const {
    return pos_;
  }
  bool ok() const {
    return !failed_;
  }
  bool atEnd() const {
    return remaining() == 0;
  }
  // True when n more bytes can be read; marks the reader failed otherwise.
  bool need(size_t n) {
    if (failed_ || data_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    return true;
  }

  uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return data_[pos_++];
  }
  uint16_t u16be() {
    if (!need(2)) {
      return 0;
    }
    uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u32be() {
    if (!need(4)) {
      return 0;
    }
    uint32_t v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
                 (uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return v;
  }
  uint64_t u64be() {
    uint64_t hi = u32be();
    return (hi << 32) | u32be();
  }
  uint16_t u16le() {
    if (!need(2)) {
      return 0;
    }
    uint16_t v = static_cast<uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  uint32_t u32le() {
    if (!need(4)) {
      return 0;
    }
    uint32_t v = uint32_t{data_[pos_]} | (uint32_t{data_[pos_ + 1]} << 8) |
                 (uint32_t{data_[pos_ + 2]} << 16) | (uint32_t{data_[pos_ + 3]} << 24);
    pos_ += 4;
    return v;
  }
  uint64_t u64le() {
    uint64_t lo = u32le();
    return lo | (uint64_t{u32le()} << 32);
  }
  // Host byte order (netlink and FPM payloads, ZAPI's two host-order fields). This project
  // runs on little-endian hosts; a static_assert in bytes.cpp keeps it honest.
  uint16_t u16host() {
    return u16le();
  }
  uint32_t u32host() {
    return u32le();
  }
  // A view of the next n bytes (empty and failed if fewer remain).
  std::span<const uint8_t> bytes(size_t n) {
    if (!need(n)) {
      return {};
    }
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  void copy(void* out, size_t n) {
    auto s = bytes(n);
    if (!s.empty()) {
      std::memcpy(out, s.data(), n);
    } else if (n > 0) {
      std::memset(out, 0, n);
    }
  }
  void skip(size_t n) {
    if (need(n)) {
      pos_ += n;
    }
  }
  // A sub-reader over the next n bytes; this reader moves past them.
  ByteReader sub(size_t n) {
    auto s = bytes(n);
    ByteReader r(s);
    if (failed_) {
      r.failed_ = true;
    }
    return r;
  }
  std::span<const uint8_t> rest() {
    return bytes(remaining());
  }
  void fail() {
    failed_ = true;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(&out) {}

  std::vector<uint8_t>& buffer() {
    return *out_;
  }
  size_t size() const {
    return out_->size();
  }
  void u8(uint8_t v) {
    out_->push_back(v);
  }
  void u16be(uint16_t v) {
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32be(uint32_t v) {
    u16be(static_cast<uint16_t>(v >> 16));
    u16be(static_cast<uint16_t>(v));
  }
  void u64be(uint64_t v) {
    u32be(static_cast<uint32_t>(v >> 32));
    u32be(static_cast<uint32_t>(v));
  }
  void u16le(uint16_t v) {
    u8(static_cast<uint8_t>(v));
    u8(static_cast<uint8_t>(v >> 8));
  }
  void u32le(uint32_t v) {
    u16le(static_cast<uint16_t>(v));
    u16le(static_cast<uint16_t>(v >> 16));
  }
  void u64le(uint64_t v) {
    u32le(static_cast<uint32_t>(v));
    u32le(static_cast<uint32_t>(v >> 32));
  }
  void u16host(uint16_t v) {
    u16le(v);
  }
  void u32host(uint32_t v) {
    u32le(v);
  }
  void bytes(std::span<const uint8_t> b) {
    out_->insert(out_->end(), b.begin(), b.end());
  }
  void zeros(size_t n) {
    out_->insert(out_->end(), n, 0);
  }
  void patchU16be(size_t at, uint16_t v) {
    (*out_)[at] = static_cast<uint8_t>(v >> 8);
    (*out_)[at + 1] = static_cast<uint8_t>(v);
  }
  void patchU16host(size_t at, uint16_t v) {
    (*out_)[at] = static_cast<uint8_t>(v);
    (*out_)[at + 1] = static_cast<uint8_t>(v >> 8);
  }
  void patchU32host(size_t at, uint32_t v) {
    patchU16host(at, static_cast<uint16_t>(v));
    patchU16host(at + 2, static_cast<uint16_t>(v >> 16));
  }

 private:
  std::vector<uint8_t> own_;
  std::vector<uint8_t>* out_ = &own_;
};

// RFC 1071 Internet checksum over one or more spans (one's complement of the one's
// complement sum). Feed pieces with add(), read with finish().
class InetChecksum {
 public:
  void add(std::span<const uint8_t> b) {
    for (uint8_t x : b) {
      if (odd_) {
        sum_ += x;
      } else {
        sum_ += uint32_t{x} << 8;
      }
      odd_ = !odd_;
    }
  }
  void addU16(uint16_t v) {
    uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    add(b);
  }
  void addU32(uint32_t v) {
    addU16(static_cast<uint16_t>(v >> 16));
    addU16(static_cast<uint16_t>(v));
  }
  uint16_t finish() const {
    uint64_t s = sum_;
    while (s >> 16) {
      s = (s & 0xffff) + (s >> 16);
    }
    return static_cast<uint16_t>(~s & 0xffff);
  }

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;
};

}  // namespace hr::codec

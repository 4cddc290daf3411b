#include "core/codec/fpm.h"

#include "core/codec/bytes.h"

namespace hr::codec::fpm {

namespace {
constexpr size_t kNetlinkHeaderLen = 16;
}

Result<FrameHeader> decodeHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderLen) {
    return fail("truncated", "{} bytes, an FPM header needs {}", bytes.size(), kHeaderLen);
  }
  ByteReader r(bytes.first(kHeaderLen));
  FrameHeader h;
  h.version = r.u8();
  h.type = r.u8();
  h.length = r.u16be();
  if (h.version != kVersion) {
    return fail("bad_version", "FPM version {} (only {} is known)", h.version, kVersion);
  }
  if (h.type != kTypeNetlink) {
    return fail(
        "bad_type", "FPM message type {} (only {} = netlink is handled)", h.type, kTypeNetlink);
  }
  if (h.length < kHeaderLen + kNetlinkHeaderLen) {
    return fail(
        "bad_length",
        "FPM length {} is shorter than the header plus one netlink header ({})",
        h.length,
        kHeaderLen + kNetlinkHeaderLen);
  }
  return h;
}

Status encodeFrame(std::vector<uint8_t>& out, std::span<const uint8_t> payload) {
  if (payload.size() + kHeaderLen > kMaxFrameLen) {
    return fail("too_long", "payload of {} bytes does not fit an FPM frame", payload.size());
  }
  ByteWriter w(out);
  w.u8(kVersion);
  w.u8(kTypeNetlink);
  w.u16be(static_cast<uint16_t>(payload.size() + kHeaderLen));
  w.bytes(payload);
  return ok();
}

bool FrameReader::append(std::span<const uint8_t> bytes) {
  if (bytes.size() > room()) {
    return false;
  }
  // Compact once the consumed prefix dominates, so the buffer does not creep.
  if (pos_ > 0 && (pos_ >= buf_.size() || pos_ > (64u << 10))) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  return true;
}

Result<std::optional<std::span<const uint8_t>>> FrameReader::next() {
  if (failed_) {
    return Unexpected<Error>(error_);
  }
  size_t avail = buf_.size() - pos_;
  if (avail < kHeaderLen) {
    return std::optional<std::span<const uint8_t>>{};
  }
  std::span<const uint8_t> view(buf_.data() + pos_, avail);
  auto h = decodeHeader(view);
  if (!h) {
    failed_ = true;
    error_ = h.error();
    return Unexpected<Error>(error_);
  }
  if (avail < h->length) {
    return std::optional<std::span<const uint8_t>>{};
  }
  pos_ += h->length;
  ++frames_;
  return std::optional<std::span<const uint8_t>>(view.subspan(kHeaderLen, h->payloadLen()));
}

void FrameReader::reset() {
  buf_.clear();
  pos_ = 0;
  failed_ = false;
  error_ = {};
}

}  // namespace hr::codec::fpm

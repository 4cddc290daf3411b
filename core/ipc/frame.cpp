#include "core/ipc/frame.h"

namespace hr::ipc {

void appendFrame(std::vector<uint8_t>& out, std::span<const uint8_t> payload) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), payload.begin(), payload.end());
}

Status FrameDecoder::feed(std::span<const uint8_t> bytes) {
  if (failed_) {
    return fail("ipc.bad_frame", "stream already failed");
  }
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (1u << 20) && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  if (buf_.size() - pos_ >= 4) {
    uint32_t n = (uint32_t{buf_[pos_]} << 24) | (uint32_t{buf_[pos_ + 1]} << 16) |
                 (uint32_t{buf_[pos_ + 2]} << 8) | buf_[pos_ + 3];
    if (n > max_) {
      failed_ = true;
      return fail("ipc.frame_too_long", "frame of {} bytes exceeds the {} byte limit", n, max_);
    }
  }
  return ok();
}

bool FrameDecoder::next(std::string& out) {
  if (failed_ || buf_.size() - pos_ < 4) {
    return false;
  }
  uint32_t n = (uint32_t{buf_[pos_]} << 24) | (uint32_t{buf_[pos_ + 1]} << 16) |
               (uint32_t{buf_[pos_ + 2]} << 8) | buf_[pos_ + 3];
  if (n > max_) {
    failed_ = true;
    return false;
  }
  if (buf_.size() - pos_ - 4 < n) {
    return false;
  }
  out.assign(reinterpret_cast<const char*>(buf_.data() + pos_ + 4), n);
  pos_ += 4 + n;
  // A following frame's length is checked on the next feed/next call.
  if (buf_.size() - pos_ >= 4) {
    uint32_t m = (uint32_t{buf_[pos_]} << 24) | (uint32_t{buf_[pos_ + 1]} << 16) |
                 (uint32_t{buf_[pos_ + 2]} << 8) | buf_[pos_ + 3];
    if (m > max_) {
      failed_ = true;
    }
  }
  return true;
}

}  // namespace hr::ipc

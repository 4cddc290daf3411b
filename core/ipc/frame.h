// Framing of the control channel: u32 big-endian length, then that many bytes of a
// serialized hr.ipc.Envelope. FrameDecoder is pure (fed bytes, yields frames) so it is unit
// tested and fuzzed without sockets.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace hr::ipc {

constexpr size_t kMaxFrame = 64u << 20;  // a full host table dump stays far below this

void appendFrame(std::vector<uint8_t>& out, std::span<const uint8_t> payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(size_t maxFrame = kMaxFrame) : max_(maxFrame) {}
  // Appends bytes. Fails (and stays failed) on a frame longer than the maximum: the
  // connection must then be closed, since the stream can no longer be resynchronised.
  Status feed(std::span<const uint8_t> bytes);
  // Moves the next complete frame into `out`; false when none is complete.
  bool next(std::string& out);
  bool failed() const {
    return failed_;
  }
  size_t buffered() const {
    return buf_.size() - pos_;
  }

 private:
  size_t max_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace hr::ipc

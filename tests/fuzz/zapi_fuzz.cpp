// Fuzzes the ZAPI codec: the stream splitter and every body decoder on each frame. Decoding
// must return Ok/Error/Ignore and never read out of bounds; whatever decodes Ok must encode
// again and decode to the same message (the round-trip property of the golden tests).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/codec/zapi.h"

using namespace hr::codec::zapi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Feed in two pieces to exercise partial reads.
  Splitter s;
  size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  std::span<const uint8_t> all(data, size);
  s.feed(all.subspan(0, cut));
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      auto f = s.next();
      if (!f || !*f) {
        break;
      }
      auto d = decode(**f, frr84());
      if (d.outcome != Outcome::Ok) {
        continue;
      }
      std::vector<uint8_t> out;
      if (!encode(out, d.message, frr84())) {
        // Only a body whose re-encoding would exceed the maximum size may fail.
        if ((*f)->bytes.size() <= kMaxMessage - 64) {
          __builtin_trap();
        }
        continue;
      }
      auto again = decodeMessage(out, frr84());
      if (again.outcome != Outcome::Ok || !(again.message == d.message)) {
        __builtin_trap();
      }
    }
    if (round == 0) {
      s.feed(all.subspan(cut));
    }
  }
  (void)decodeRoute(all);
  (void)decodeInterface(all);
  return 0;
}

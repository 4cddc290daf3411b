// Fuzzes the rtnetlink decoder: split() and every typed decoder on each message. The
// decoders must return errors, never read out of bounds or crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/codec/netlink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto msgs = hr::codec::nl::split(std::span<const uint8_t>(data, size));
  if (!msgs) {
    return 0;
  }
  for (const auto& m : *msgs) {
    (void)hr::codec::nl::decodeLink(m);
    (void)hr::codec::nl::decodeAddr(m);
    (void)hr::codec::nl::decodeNeigh(m);
    (void)hr::codec::nl::decodeError(m);
    (void)hr::codec::nl::listAttrs(m.payload);
  }
  return 0;
}

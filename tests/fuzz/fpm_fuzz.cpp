// Fuzzes the FPM stream decoder as fpm_client runs it: the input is a TCP byte stream cut
// into reads at fuzzer-chosen points (the first byte picks the read size), reassembled by
// FrameReader; every complete frame is split into netlink messages and each is decoded as a
// route and as a next hop. Decoders must return errors, never read out of bounds or crash;
// a decoded message must re-encode and decode to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/codec/fpm.h"
#include "core/codec/netlink.h"
#include "core/codec/netlink_route.h"

namespace {

void decodeFrame(std::span<const uint8_t> payload) {
  using namespace hr::codec::nl;
  auto msgs = split(payload);
  if (!msgs) {
    return;
  }
  for (const auto& m : *msgs) {
    if (auto r = decodeRoute(m)) {
      std::vector<uint8_t> out;
      encodeRoute(out, *r);
      auto again = split(out);
      if (!again || again->size() != 1) {
        std::abort();
      }
      auto r2 = decodeRoute(again->at(0));
      // Encapsulations are not re-encoded; everything else must survive.
      if (!r2 || (!r->hasEncap && !(*r2 == *r))) {
        std::abort();
      }
    }
    if (auto n = decodeNexthop(m)) {
      std::vector<uint8_t> out;
      encodeNexthop(out, *n);
      auto again = split(out);
      if (!again || again->size() != 1) {
        std::abort();
      }
      auto n2 = decodeNexthop(again->at(0));
      if (!n2 || (!n->hasEncap && !(*n2 == *n))) {
        std::abort();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  size_t chunk = size_t{data[0]} + 1;
  std::span<const uint8_t> stream(data + 1, size - 1);
  hr::codec::fpm::FrameReader reader(1 << 20);
  for (size_t off = 0; off < stream.size(); off += chunk) {
    if (!reader.append(stream.subspan(off, std::min(chunk, stream.size() - off)))) {
      return 0;
    }
    while (true) {
      auto f = reader.next();
      if (!f || !*f) {
        break;
      }
      decodeFrame(**f);
    }
    if (reader.failed()) {
      return 0;
    }
  }
  return 0;
}

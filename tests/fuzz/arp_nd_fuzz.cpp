// Fuzzes the ARP/ND decoder: decode() must return an error or a frame, never read out of
// bounds or crash; a decoded frame must encode back to the bytes it came from (round trip).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/codec/arp_nd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto f = hr::codec::arpnd::decode(in);
  if (!f) {
    return 0;
  }
  auto out = hr::codec::arpnd::encode(*f, true);
  if (out.size() != size || !std::equal(out.begin(), out.end(), in.begin())) {
    std::abort();  // a decoded frame must round-trip exactly
  }
  if (const auto* nd = f->nd()) {
    (void)nd->linkLayer();
  }
  return 0;
}

#include "core/codec/bytes.h"

#include <bit>

static_assert(
    std::endian::native == std::endian::little,
    "the netlink/FPM host-order helpers assume a little-endian host");

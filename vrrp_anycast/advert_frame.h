// The advertisement frame one virtual router instance sends (Service::sendAdvert): Ethernet
// from the virtual MAC to the VRRP group MAC, IPv4/IPv6 to 224.0.0.18 / ff02::12 with TTL /
// hop limit 255, the VRRP message with the group's configured addresses and interval, its
// checksum in the configured form (IPv4 VRRPv3 only; IPv6 always with the pseudo-header,
// VRRPv2 never). Pure, so a unit test checks the exact bytes put on the wire.
#pragma once

#include <cstdint>
#include <vector>

#include "core/net/addr.h"
#include "vrrp_anycast/vrrp_config.h"

namespace hr::vrrp {

std::vector<uint8_t> advertFrame(
    const GroupConfig& g, Family f, const IpAddress& src, uint8_t priority, uint16_t ipId);

}  // namespace hr::vrrp

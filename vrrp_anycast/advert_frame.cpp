#include "vrrp_anycast/advert_frame.h"

#include "core/codec/vrrp.h"

namespace hr::vrrp {

namespace wire = codec::vrrp;

std::vector<uint8_t> advertFrame(
    const GroupConfig& g, Family f, const IpAddress& src, uint8_t priority, uint16_t ipId) {
  wire::Advert a;
  a.version = g.version;
  a.vrid = g.vrid;
  a.priority = priority;
  a.maxAdverIntCs = g.adverIntCs;
  a.addresses = g.addresses(f);
  wire::IpHeader ip;
  ip.src = src;
  ip.dst = wire::groupAddress(f);
  ip.id = ipId;
  return wire::encodeFrame(wire::groupMac(f), wire::virtualMac(f, g.vrid), ip, a, g.checksum);
}

}  // namespace hr::vrrp

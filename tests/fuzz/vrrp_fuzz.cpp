// Fuzzes the VRRP codec and its netlink companions. The first byte picks the decoder:
//   0  decodeFrame (Ethernet + IPv4/IPv6 + VRRP); a frame that decodes must re-encode to the
//      same bytes (up to the IP length; IPv4 options are not re-encoded)
//   1  decodeIp
//   2  decodeAnnouncement (gratuitous ARP / unsolicited NA)
//   3  vrrp_netlink: decodeLinkDetails, decodeRoute, decodeFdb on every netlink message
// Decoders must return errors, never read out of bounds, crash or disagree with the encoder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/codec/netlink.h"
#include "core/codec/vrrp.h"
#include "core/codec/vrrp_netlink.h"

namespace vrrp = hr::codec::vrrp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto f = vrrp::decodeFrame(in);
      if (f && in.size() > 14) {
        bool v4 = f->packet.ip.src.isV4();
        size_t ipLen = v4 ? (size_t{in[16]} << 8 | in[17]) : 40 + (size_t{in[18]} << 8 | in[19]);
        bool options = v4 && (in[14] & 0x0f) != 5;
        auto again = vrrp::encodeFrame(
            f->dst, f->src, f->packet.ip, f->packet.advert, f->packet.checksumForm);
        if (!options &&
            (again.size() != 14 + ipLen || !std::equal(again.begin(), again.end(), in.begin()))) {
          std::abort();
        }
      }
      break;
    }
    case 1:
      (void)vrrp::decodeIp(in);
      break;
    case 2:
      (void)vrrp::decodeAnnouncement(in);
      break;
    case 3: {
      auto msgs = hr::codec::nl::split(in);
      if (msgs) {
        for (const auto& m : *msgs) {
          (void)hr::codec::vrrpnl::decodeLinkDetails(m);
          (void)hr::codec::vrrpnl::decodeRoute(m);
          (void)hr::codec::vrrpnl::decodeFdb(m);
        }
      }
      break;
    }
  }
  return 0;
}

#include "vrrp_anycast/vmac_plan.h"

#include "core/codec/vrrp.h"

namespace hr::vrrp {

VmacPlan planVmac(
    const GroupConfig& g,
    Family f,
    State state,
    bool masterKnown,
    bool withdrawn,
    bool parentIsBridge) {
  VmacPlan p;
  p.name = vmacInterfaceName(g.interface, f, g.vrid);
  p.parent = g.interface;
  p.family = f;
  p.vrid = g.vrid;
  p.mac = codec::vrrp::virtualMac(f, g.vrid);
  for (const auto& a : g.addresses(f)) {
    p.addresses.push_back(Prefix::host(a));
  }
  // A withdrawn router is master only as the last resort (no other router serves the
  // segment, Fsm::setWithdrawn): then it serves the gateway, in either mode.
  if (g.anycast) {
    p.up = !withdrawn || state == State::Master;
    p.answerArp = !(state == State::Backup && masterKnown);
  } else {
    p.up = state == State::Master;
    p.answerArp = true;
  }
  p.fdbLocal = p.up && parentIsBridge;
  return p;
}

std::string_view roleName(const GroupConfig& g, State state, bool withdrawn) {
  if (withdrawn) {
    return state == State::Master ? "last-resort-master" : "out-of-service";
  }
  if (state == State::Master) {
    return "master";
  }
  if (g.anycast) {
    return "anycast-forwarding";
  }
  return state == State::Backup ? "backup" : "initialize";
}

}  // namespace hr::vrrp

// The virtual-MAC interfaces vrrp_anycast owns, brought to their VmacPlan over netlink
// (adapter). For each plan it creates or adopts the macvlan, shapes it, puts the virtual
// addresses on it, sets it up or down and keeps the bridge's local fdb entry:
//
//   create   RTM_NEWLINK macvlan mode bridge on the parent, MAC 00:00:5e:00:0{1,2}:VRID,
//            alias "frr-hostroute:vrrp_anycast" (the ownership mark), created down;
//            then addrgenmode random (a separate step, shared/VRRP.md P1), then the sysctls,
//            then up
//   sysctls  v4: arp_ignore 1 (8 while a backup leaves ARP to the master), arp_announce 2,
//                rp_filter 0, forwarding 1, ipv6 disable_ipv6 1 (P9)
//            v6: accept_dad 0, accept_ra 0, autoconf 0, forwarding 1 (NAs carry the R flag),
//                ipv4 arp_ignore 8 (never answers ARP with the v6 MAC, P2)
//   adopt    an existing interface of that name, with our alias, a macvlan on the right parent
//            with the right MAC and mode, is kept as it is (a restart never recreates it, so
//            hosts' traffic keeps flowing); a mismatched one of ours is recreated; one that is
//            not ours is left alone and reported
//   fdb      `bridge fdb replace VMAC dev PARENT self local` while up on a bridge parent,
//            deleted otherwise (shared/VRRP.md §5b V2)
// Every reconcile re-asserts the plan, so a change made behind the daemon's back (an
// address or fdb entry removed, the interface set down) is repaired on the next pass.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/netlink/socket.h"
#include "core/result.h"
#include "vrrp_anycast/sysctl.h"
#include "vrrp_anycast/track_watcher.h"
#include "vrrp_anycast/vmac_plan.h"

namespace hr::vrrp {

struct VmacStatus {
  std::optional<int32_t> ifindex;
  bool up = false;
  bool fdbLocal = false;
  bool adopted = false;               // found at start and kept
  std::vector<std::string> problems;  // from the last reconcile
};

class VmacManager {
 public:
  static Result<std::unique_ptr<VmacManager>> create(Counters& counters);
  VmacManager(const VmacManager&) = delete;
  VmacManager& operator=(const VmacManager&) = delete;

 private:
  struct Private {};

 public:
  VmacManager(Private, Counters& counters);

  // Brings the kernel to `plan`. Problems are kept in status(plan.name).
  void reconcile(const VmacPlan& plan, const KernelView& view);
  // Deletes an owned interface (and its fdb entry on `parent`, if a bridge).
  void remove(
      const std::string& name,
      const std::string& parent,
      const MacAddress& mac,
      const KernelView& view);
  // Interfaces carrying our ownership mark.
  static std::vector<const LinkState*> owned(const KernelView& view);

  const VmacStatus* status(const std::string& name) const;
  void forget(const std::string& name) {
    status_.erase(name);
  }

 private:
  Status op(std::vector<uint8_t>& buf, const std::string& what, bool okIfMissing = false);
  Status createLink(const VmacPlan& plan, int32_t parent, VmacStatus& st);
  void applySysctls(const VmacPlan& plan, VmacStatus& st);
  void fdb(const VmacPlan& plan, const LinkState& parent, VmacStatus& st);

  NetlinkSocket nl_;
  std::map<std::string, VmacStatus> status_;
  Counter& created_;
  Counter& adopted_;
  Counter& recreated_;
  Counter& removed_;
  Counter& errors_;
};

}  // namespace hr::vrrp

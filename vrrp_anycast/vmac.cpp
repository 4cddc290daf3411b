#include "vrrp_anycast/vmac.h"

#include <net/if.h>
#include <spdlog/spdlog.h>
#include <string.h>

#include <algorithm>
#include <set>

#include "core/codec/vrrp_netlink.h"
#include "core/log.h"

namespace hr::vrrp {

namespace nlx = codec::vrrpnl;

VmacManager::VmacManager(Private, Counters& counters)
    : created_(counters.counter("vmac.created", "virtual-MAC interfaces created")),
      adopted_(counters.counter(
          "vmac.adopted", "virtual-MAC interfaces found at start and kept (restart)")),
      recreated_(counters.counter(
          "vmac.recreated", "owned interfaces recreated because they did not match the plan")),
      removed_(counters.counter("vmac.removed", "virtual-MAC interfaces deleted")),
      errors_(counters.counter("vmac.errors", "kernel requests (netlink, sysctl) that failed")) {}

Result<std::unique_ptr<VmacManager>> VmacManager::create(Counters& counters) {
  auto m = std::make_unique<VmacManager>(Private{}, counters);
  HR_TRY(m->nl_, NetlinkSocket::open());
  return m;
}

const VmacStatus* VmacManager::status(const std::string& name) const {
  auto it = status_.find(name);
  return it == status_.end() ? nullptr : &it->second;
}

std::vector<const LinkState*> VmacManager::owned(const KernelView& view) {
  std::vector<const LinkState*> out;
  for (const auto& [idx, l] : view.links()) {
    if (l.details.alias == kOwnerAlias) {
      out.push_back(&l);
    }
  }
  return out;
}

Status VmacManager::op(std::vector<uint8_t>& buf, const std::string& what, bool okIfMissing) {
  auto acks = nl_.transact(buf, 1);
  buf.clear();
  if (!acks) {
    ++errors_;
    return fail("vrrp.netlink", "{}: {}", what, acks.error().str());
  }
  int err = acks->empty() ? 0 : acks->front().second;
  if (err == 0 || (okIfMissing && (err == -ENOENT || err == -ENODEV || err == -EADDRNOTAVAIL))) {
    HR_DEBUG(Netlink, "event=netlink_ok what=\"{}\"", what);
    return ok();
  }
  ++errors_;
  return fail("vrrp.netlink", "{}: {}", what, strerror(-err));
}

Status VmacManager::createLink(const VmacPlan& plan, int32_t parent, VmacStatus& st) {
  std::vector<uint8_t> buf;
  nlx::encodeMacvlanCreate(
      buf,
      nl_.nextSeq(),
      nlx::MacvlanSpec{plan.name, parent, plan.mac, nlx::MacvlanMode::Bridge, kOwnerAlias});
  HR_TRY_VOID(op(buf, "create macvlan " + plan.name));
  unsigned idx = ::if_nametoindex(plan.name.c_str());
  if (idx == 0) {
    ++errors_;
    return fail(
        "vrrp.netlink", "{} was created but has no ifindex: {}", plan.name, strerror(errno));
  }
  st.ifindex = static_cast<int32_t>(idx);
  // The ownership mark: the kernel ignores IFLA_IFALIAS in the create request.
  nlx::encodeLinkSetAlias(buf, nl_.nextSeq(), *st.ifindex, kOwnerAlias);
  if (auto s = op(buf, "alias " + plan.name); !s) {
    st.problems.push_back(s.error().message);
  }
  // Kernel 6.18 refuses addrgenmode at creation (shared/VRRP.md P1): a second request, while
  // the interface is still down, so the link-local is random, never the EUI-64 of the shared
  // virtual MAC.
  nlx::encodeLinkAddrGenMode(buf, nl_.nextSeq(), *st.ifindex, nlx::AddrGenMode::Random);
  if (auto s = op(buf, "addrgenmode random " + plan.name); !s) {
    st.problems.push_back(s.error().message);
  }
  ++created_;
  spdlog::info(
      "event=vmac_created name={} parent={} mac={} ifindex={}",
      plan.name,
      plan.parent,
      plan.mac.str(),
      *st.ifindex);
  return ok();
}

void VmacManager::applySysctls(const VmacPlan& plan, VmacStatus& st) {
  // Our own interface: written freely, gone with it.
  auto set = [&](const std::string& fam, const std::string& key, const std::string& value) {
    std::string path = sysctlPath(fam, plan.name, key);
    auto cur = readSysctl(path);
    if (cur && *cur == value) {
      return;
    }
    if (auto s = writeSysctl(path, value); !s) {
      ++errors_;
      st.problems.push_back(s.error().message);
    }
  };
  if (plan.family == Family::V4) {
    set("ipv6", "disable_ipv6", "1");
    set("ipv4", "arp_ignore", plan.answerArp ? "1" : "8");
    set("ipv4", "arp_announce", "2");
    set("ipv4", "rp_filter", "0");
    set("ipv4", "forwarding", "1");
  } else {
    set("ipv6", "accept_dad", "0");
    set("ipv6", "accept_ra", "0");
    set("ipv6", "autoconf", "0");
    set("ipv6", "forwarding", "1");
    set("ipv4", "arp_ignore", "8");
  }
}

void VmacManager::fdb(const VmacPlan& plan, const LinkState& parent, VmacStatus& st) {
  if (!parent.isBridge()) {
    st.fdbLocal = false;
    return;
  }
  std::vector<uint8_t> buf;
  nlx::encodeBridgeLocalFdb(buf, nl_.nextSeq(), plan.fdbLocal, parent.ifindex, plan.mac);
  std::string what = fmt::format(
      "bridge fdb {} {} dev {} self local",
      plan.fdbLocal ? "replace" : "del",
      plan.mac.str(),
      parent.name);
  if (auto s = op(buf, what, !plan.fdbLocal); !s) {
    st.problems.push_back(s.error().message);
    return;
  }
  if (st.fdbLocal != plan.fdbLocal) {
    spdlog::info(
        "event=vmac_fdb name={} bridge={} mac={} local={}",
        plan.name,
        parent.name,
        plan.mac.str(),
        plan.fdbLocal);
  }
  st.fdbLocal = plan.fdbLocal;
}

void VmacManager::reconcile(const VmacPlan& plan, const KernelView& view) {
  bool known = status_.count(plan.name) != 0;
  VmacStatus& st = status_[plan.name];
  st.problems.clear();
  const LinkState* parent = view.link(plan.parent);
  if (parent == nullptr) {
    st.problems.push_back(fmt::format("interface {} does not exist", plan.parent));
    st.ifindex.reset();
    st.up = false;
    return;
  }
  const LinkState* cur = view.link(plan.name);
  std::vector<uint8_t> buf;
  std::optional<int32_t> idx;
  bool fresh = false;
  if (cur != nullptr) {
    // Ours: our mark, or (a crash between create and mark) no mark at all on a macvlan that
    // carries exactly our name, parent and virtual MAC.
    bool unmarkedOurs = cur->details.alias.empty() && cur->kind == "macvlan" &&
                        cur->link == static_cast<uint32_t>(parent->ifindex) && cur->mac == plan.mac;
    if (unmarkedOurs) {
      nlx::encodeLinkSetAlias(buf, nl_.nextSeq(), cur->ifindex, kOwnerAlias);
      if (auto s = op(buf, "alias " + plan.name); !s) {
        st.problems.push_back(s.error().message);
      }
    } else if (cur->details.alias != kOwnerAlias || cur->kind != "macvlan") {
      st.problems.push_back(fmt::format(
          "interface {} exists and is not ours (kind '{}', alias '{}'): not touched",
          plan.name,
          cur->kind,
          cur->details.alias));
      st.ifindex.reset();
      return;
    }
    bool matches =
        cur->link == static_cast<uint32_t>(parent->ifindex) && cur->mac == plan.mac &&
        cur->details.macvlanMode.value_or(nlx::MacvlanMode::Bridge) == nlx::MacvlanMode::Bridge;
    if (!matches) {
      spdlog::warn("event=vmac_mismatch name={} action=recreate", plan.name);
      nlx::encodeLinkDelete(buf, nl_.nextSeq(), cur->ifindex);
      if (auto s = op(buf, "delete " + plan.name, true); !s) {
        st.problems.push_back(s.error().message);
        return;
      }
      ++recreated_;
      cur = nullptr;
    } else {
      idx = cur->ifindex;
      if (!known) {
        st.adopted = true;
        ++adopted_;
        spdlog::info(
            "event=vmac_adopted name={} ifindex={} up={}", plan.name, cur->ifindex, cur->adminUp());
      }
    }
  }
  if (cur == nullptr) {
    if (auto s = createLink(plan, parent->ifindex, st); !s) {
      st.problems.push_back(s.error().message);
      st.ifindex.reset();
      return;
    }
    idx = st.ifindex;
    fresh = true;
  }
  st.ifindex = idx;
  applySysctls(plan, st);

  bool isUp = fresh ? false : cur->adminUp();
  auto setUp = [&](bool up) {
    nlx::encodeLinkSetUp(buf, nl_.nextSeq(), *idx, up);
    if (auto s = op(buf, fmt::format("set {} {}", plan.name, up ? "up" : "down")); !s) {
      st.problems.push_back(s.error().message);
    } else {
      spdlog::info("event=vmac_{} name={}", up ? "up" : "down", plan.name);
    }
  };
  if (!plan.up) {
    // Stop taking frames first, then let the bridge forward them to the other ToR.
    if (isUp) {
      setUp(false);
    }
    st.up = false;
    fdb(plan, *parent, st);
    return;
  }
  // The virtual addresses, as host prefixes; anything else global on our interface goes.
  std::set<Prefix> want(plan.addresses.begin(), plan.addresses.end());
  std::set<Prefix> have;
  for (const auto& a : fresh ? std::vector<AddrState>{} : view.addresses(*idx)) {
    Prefix p(a.address, a.prefixLen);
    if (a.address.isLinkLocal()) {
      continue;
    }
    have.insert(p);
    if (want.count(p) == 0) {
      nlx::encodeAddress(buf, nl_.nextSeq(), false, *idx, p, false);
      if (auto s = op(buf, "delete address " + p.str() + " from " + plan.name, true); !s) {
        st.problems.push_back(s.error().message);
      }
    }
  }
  for (const auto& p : want) {
    if (have.count(p) != 0) {
      continue;
    }
    nlx::encodeAddress(buf, nl_.nextSeq(), true, *idx, p, true);
    if (auto s = op(buf, "add address " + p.str() + " to " + plan.name); !s) {
      st.problems.push_back(s.error().message);
    }
  }
  // The bridge's local entry before the interface comes up: while the virtual MAC is
  // learned towards the other ToR, the (promiscuous) bridge forwards a frame there and also
  // passes it up, where an up virtual-MAC interface would take it too: one frame routed by
  // both ToRs. In this order a frame in between is dropped instead (microseconds).
  fdb(plan, *parent, st);
  if (!isUp) {
    setUp(true);
  }
  st.up = true;
}

void VmacManager::remove(
    const std::string& name,
    const std::string& parentName,
    const MacAddress& mac,
    const KernelView& view) {
  std::vector<uint8_t> buf;
  if (const LinkState* parent = view.link(parentName); parent != nullptr && parent->isBridge()) {
    nlx::encodeBridgeLocalFdb(buf, nl_.nextSeq(), false, parent->ifindex, mac);
    (void)op(buf, fmt::format("bridge fdb del {} dev {} self", mac.str(), parentName), true);
  }
  if (const LinkState* l = view.link(name); l != nullptr && l->details.alias == kOwnerAlias) {
    nlx::encodeLinkDelete(buf, nl_.nextSeq(), l->ifindex);
    if (op(buf, "delete " + name, true)) {
      ++removed_;
      spdlog::info("event=vmac_removed name={}", name);
    }
  }
  status_.erase(name);
}

}  // namespace hr::vrrp

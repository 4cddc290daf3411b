#include "hostroute_learner/interfaces.h"

#include <algorithm>

namespace hr::learner {

void InterfaceDb::upsertLink(InterfaceInfo info) {
  ++generation_;
  auto it = ifs_.find(info.ifindex);
  if (it != ifs_.end()) {
    info.addresses = std::move(it->second.addresses);
    it->second = std::move(info);
    return;
  }
  ifs_.emplace(info.ifindex, std::move(info));
}

void InterfaceDb::removeLink(int ifindex) {
  ++generation_;
  ifs_.erase(ifindex);
}

void InterfaceDb::addAddress(int ifindex, const Prefix& p) {
  ++generation_;
  auto& i = ifs_[ifindex];
  i.ifindex = ifindex;
  if (std::find(i.addresses.begin(), i.addresses.end(), p) == i.addresses.end()) {
    i.addresses.push_back(p);
  }
}

void InterfaceDb::removeAddress(int ifindex, const Prefix& p) {
  ++generation_;
  auto it = ifs_.find(ifindex);
  if (it == ifs_.end()) {
    return;
  }
  auto& a = it->second.addresses;
  a.erase(std::remove(a.begin(), a.end(), p), a.end());
}

const InterfaceInfo* InterfaceDb::get(int ifindex) const {
  auto it = ifs_.find(ifindex);
  return it == ifs_.end() ? nullptr : &it->second;
}

const InterfaceInfo* InterfaceDb::byName(const std::string& name) const {
  for (const auto& [_, i] : ifs_) {
    if (i.name == name) {
      return &i;
    }
  }
  return nullptr;
}

std::string InterfaceDb::name(int ifindex) const {
  const auto* i = get(ifindex);
  return i != nullptr && !i->name.empty() ? i->name : "if" + std::to_string(ifindex);
}

std::string InterfaceDb::vrfOf(int ifindex) const {
  const auto* i = get(ifindex);
  if (i != nullptr && !i->netnsVrf.empty()) {
    return i->netnsVrf;
  }
  if (i == nullptr || i->master == 0) {
    return {};
  }
  const auto* m = get(i->master);
  return m != nullptr && m->kind == "vrf" ? m->name : std::string();
}

int InterfaceDb::bridgeOf(int ifindex) const {
  const auto* i = get(ifindex);
  if (i == nullptr || i->master == 0) {
    return 0;
  }
  return isBridge(i->master) ? i->master : 0;
}

bool InterfaceDb::isBridge(int ifindex) const {
  const auto* i = get(ifindex);
  return i != nullptr && i->kind == "bridge";
}

bool InterfaceDb::hasPorts(int bridge) const {
  for (const auto& [_, i] : ifs_) {
    if (i.master == bridge) {
      return true;
    }
  }
  return false;
}

bool InterfaceDb::isOwnAddress(const IpAddress& a) const {
  for (const auto& [_, i] : ifs_) {
    for (const auto& p : i.addresses) {
      if (p.address() == a) {
        return true;
      }
    }
  }
  return false;
}

bool InterfaceDb::isOwnMac(const MacAddress& m) const {
  for (const auto& [_, i] : ifs_) {
    if (i.mac && *i.mac == m) {
      return true;
    }
  }
  return false;
}

std::vector<Prefix> InterfaceDb::connectedSubnets(int ifindex) const {
  std::vector<Prefix> out;
  const auto* i = get(ifindex);
  if (i == nullptr) {
    return out;
  }
  for (const auto& p : i->addresses) {
    if (p.isHost() || p.address().isLinkLocal()) {
      continue;
    }
    auto c = p.canonical();
    if (std::find(out.begin(), out.end(), c) == out.end()) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace hr::learner

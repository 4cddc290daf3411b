#include "vrrp_anycast/track_watcher.h"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>

#include "core/log.h"

namespace hr::vrrp {

bool LinkState::adminUp() const {
  return (flags & IFF_UP) != 0;
}

bool LinkState::operUp() const {
  return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
}

void KernelView::clear() {
  links_.clear();
  byName_.clear();
  addrs_.clear();
  routes_.clear();
}

const LinkState* KernelView::link(int32_t ifindex) const {
  auto it = links_.find(ifindex);
  return it == links_.end() ? nullptr : &it->second;
}

const LinkState* KernelView::link(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : link(it->second);
}

std::vector<AddrState> KernelView::addresses(int32_t ifindex) const {
  auto it = addrs_.find(ifindex);
  return it == addrs_.end() ? std::vector<AddrState>{} : it->second;
}

std::optional<IpAddress> KernelView::primaryAddress(
    int32_t ifindex, Family f, const std::vector<IpAddress>& near) const {
  auto it = addrs_.find(ifindex);
  if (it == addrs_.end()) {
    return std::nullopt;
  }
  std::optional<IpAddress> first;
  for (const auto& a : it->second) {
    if (a.address.family() != f) {
      continue;
    }
    if (f == Family::V4) {
      if ((a.flags & IFA_F_SECONDARY) != 0) {
        continue;
      }
      for (const auto& n : near) {
        if (Prefix(a.address, a.prefixLen).contains(n)) {
          return a.address;
        }
      }
      if (!first) {
        first = a.address;
      }
    } else {
      if (a.address.isLinkLocal() && (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0) {
        return a.address;
      }
    }
  }
  return first;
}

void KernelView::setRouteInterest(std::set<RouteKey> keys) {
  interest_ = std::move(keys);
  for (auto it = routes_.begin(); it != routes_.end();) {
    it = interest_.count(it->first) != 0 ? std::next(it) : routes_.erase(it);
  }
}

bool KernelView::routePresent(const RouteKey& k) const {
  auto it = routes_.find(k);
  return it != routes_.end() && !it->second.empty();
}

Result<uint32_t> KernelView::apply(const codec::nl::Message& m) {
  switch (m.hdr.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      HR_TRY(auto l, codec::nl::decodeLink(m));
      HR_TRY(auto d, codec::vrrpnl::decodeLinkDetails(m));
      auto old = links_.find(l.ifindex);
      if (old != links_.end() && old->second.name != l.name) {
        byName_.erase(old->second.name);
      }
      if (!l.isNew) {
        uint32_t ch = Links | Addresses;
        if (old != links_.end()) {
          ch |= old->second.operUp() ? LinkDown : None;
          byName_.erase(old->second.name);
          links_.erase(old);
        }
        addrs_.erase(l.ifindex);
        return ch;
      }
      LinkState s;
      s.ifindex = l.ifindex;
      s.name = l.name;
      s.flags = l.flags;
      s.mac = l.mac;
      s.link = l.link;
      s.master = l.master;
      s.kind = l.kind;
      s.details = d;
      if (old != links_.end() && s.kind.empty()) {
        s.kind = old->second.kind;  // some notifications omit IFLA_LINKINFO
      }
      bool wentDown = old != links_.end() && old->second.operUp() && !s.operUp();
      links_[l.ifindex] = s;
      byName_[l.name] = l.ifindex;
      return uint32_t{Links | (wentDown ? LinkDown : None)};
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      HR_TRY(auto a, codec::nl::decodeAddr(m));
      auto& list = addrs_[static_cast<int32_t>(a.ifindex)];
      auto it = std::find_if(list.begin(), list.end(), [&](const AddrState& s) {
        return s.address == a.address && s.prefixLen == a.prefixLen;
      });
      if (a.isNew) {
        AddrState s{a.address, a.prefixLen, a.flags, a.scope};
        if (it == list.end()) {
          list.push_back(s);
        } else {
          *it = s;
        }
      } else if (it != list.end()) {
        list.erase(it);
      }
      return uint32_t{Addresses};
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      HR_TRY(auto r, codec::vrrpnl::decodeRoute(m));
      RouteKey k{r.prefix().canonical(), r.table};
      if (interest_.count(k) == 0) {
        return uint32_t{None};
      }
      auto& set = routes_[k];
      bool was = !set.empty();
      if (r.isNew) {
        set.insert({r.priority, r.tos});
      } else {
        set.erase({r.priority, r.tos});
      }
      return uint32_t{was != !set.empty() ? Routes : None};
    }
    default:
      return uint32_t{None};
  }
}

// --- adapter -------------------------------------------------------------------------------

TrackWatcher::TrackWatcher(Private, EventLoop& loop, Counters& counters, ChangeFn onChange)
    : loop_(loop),
      onChange_(std::move(onChange)),
      malformed_(counters.counter(
          "netlink.malformed", "netlink messages that failed to decode (dropped)")),
      overruns_(counters.counter(
          "netlink.overruns", "netlink receive overruns (events lost; the view was re-read)")) {}

TrackWatcher::~TrackWatcher() {
  if (events_.fd() >= 0) {
    loop_.removeFd(events_.fd());
  }
}

Result<std::unique_ptr<TrackWatcher>> TrackWatcher::create(
    EventLoop& loop, Counters& counters, ChangeFn onChange) {
  auto w = std::make_unique<TrackWatcher>(Private{}, loop, counters, std::move(onChange));
  static constexpr uint32_t kGroups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR};
  HR_TRY(w->events_, NetlinkSocket::open(kGroups));
  HR_TRY(w->dumper_, NetlinkSocket::open());
  HR_TRY_VOID(w->resync());
  TrackWatcher* self = w.get();
  HR_TRY_VOID(loop.addFd(w->events_.fd(), EPOLLIN, [self](uint32_t) { self->onReadable(); }));
  return w;
}

Status TrackWatcher::dumpInto(uint16_t type, uint8_t family) {
  HR_TRY(auto msgs, dumper_.dump(type, family));
  for (const auto& raw : msgs) {
    HR_TRY(auto split, codec::nl::split(raw));
    for (const auto& m : split) {
      if (auto r = view_.apply(m); !r) {
        ++malformed_;
        HR_DEBUG(
            Netlink, "event=netlink_malformed type={} reason=\"{}\"", m.hdr.type, r.error().str());
      }
    }
  }
  return ok();
}

Status TrackWatcher::resync() {
  view_.clear();
  HR_TRY_VOID(dumpInto(RTM_GETLINK, AF_UNSPEC));
  HR_TRY_VOID(dumpInto(RTM_GETADDR, AF_UNSPEC));
  if (!view_.routeInterest().empty()) {
    HR_TRY_VOID(dumpInto(RTM_GETROUTE, AF_INET));
    HR_TRY_VOID(dumpInto(RTM_GETROUTE, AF_INET6));
  }
  return ok();
}

Status TrackWatcher::redumpRoutes() {
  view_.clearRoutes();
  HR_TRY_VOID(dumpInto(RTM_GETROUTE, AF_INET));
  HR_TRY_VOID(dumpInto(RTM_GETROUTE, AF_INET6));
  return ok();
}

Status TrackWatcher::setRouteInterest(std::set<RouteKey> keys) {
  bool want = !keys.empty();
  bool changed = keys != view_.routeInterest();
  view_.setRouteInterest(std::move(keys));
  if (want != routesJoined_) {
    int opt = want ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
    for (uint32_t g : {uint32_t{RTNLGRP_IPV4_ROUTE}, uint32_t{RTNLGRP_IPV6_ROUTE}}) {
      if (::setsockopt(events_.fd(), SOL_NETLINK, opt, &g, sizeof(g)) < 0) {
        return fail("vrrp.netlink_group", "route group {}: {}", g, strerror(errno));
      }
    }
    routesJoined_ = want;
  }
  if (want && changed) {
    HR_TRY_VOID(redumpRoutes());
  }
  return ok();
}

void TrackWatcher::onReadable() {
  uint32_t change = 0;
  for (int i = 0; i < 64; ++i) {
    auto msgs = events_.recv();
    if (!msgs) {
      if (msgs.error().code == "overrun") {
        ++overruns_;
        spdlog::warn("event=netlink_overrun action=resync");
        if (auto st = resync(); !st) {
          spdlog::error("event=netlink_resync_failed reason=\"{}\"", st.error().str());
        }
        change = KernelView::Links | KernelView::Addresses | KernelView::Routes;
        continue;
      }
      ++malformed_;
      spdlog::warn("event=netlink_recv_error reason=\"{}\"", msgs.error().str());
      break;
    }
    if (msgs->empty()) {
      break;
    }
    for (const auto& m : *msgs) {
      auto r = view_.apply(m);
      if (!r) {
        ++malformed_;
        HR_DEBUG(
            Netlink, "event=netlink_malformed type={} reason=\"{}\"", m.hdr.type, r.error().str());
        continue;
      }
      change |= *r;
    }
  }
  if ((change & KernelView::LinkDown) != 0 && !view_.routeInterest().empty()) {
    // Routes through that link vanished without RTM_DELROUTE: read the tables again.
    if (auto st = redumpRoutes(); !st) {
      spdlog::error("event=route_redump_failed reason=\"{}\"", st.error().str());
    }
    change |= KernelView::Routes;
  }
  if (change != 0) {
    onChange_(change);
  }
}

}  // namespace hr::vrrp

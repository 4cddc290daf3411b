#include "hostroute_learner/neigh_watcher.h"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "core/log.h"

namespace hr::learner {

NeighWatcher::NeighWatcher(
    EventLoop& loop, InterfaceDb& db, Counters& counters, Sink sink, NetnsScope scope)
    : loop_(loop), db_(db), sink_(std::move(sink)), scope_(std::move(scope)) {
  cMalformed_ = &counters.counter(
      "netlink.malformed", "netlink messages that failed to decode (counted and dropped)");
  cNeighEvents_ = &counters.counter(
      "netlink.neigh_events", "kernel neighbour entries received (dump and events)");
  cNeighDeleted_ = &counters.counter(
      "netlink.neigh_deleted",
      "RTM_DELNEIGH received (no effect: idle entries are garbage-collected)");
  cNeighSkipped_ = &counters.counter(
      "netlink.neigh_skipped",
      "neighbour entries skipped (incomplete, noarp, no link-layer address, fdb)");
  cOverruns_ = &counters.counter(
      "netlink.overruns", "netlink receive buffer overruns (events lost: everything re-dumped)");
  cLinkEvents_ = &counters.counter("netlink.link_events", "link messages received");
  cAddrEvents_ = &counters.counter("netlink.addr_events", "address messages received");
  cIfindexRange_ = &counters.counter(
      "netlink.ifindex_out_of_range",
      "messages about interfaces whose ifindex does not fit the learner's range (2^24 per "
      "namespace; dropped)");
  cRestored_ = &counters.counter(
      "neighbor.restored",
      "kernel neighbour entries set back to a host's verified MAC (RTM_NEWNEIGH replace)");
  cRestoreErrors_ = &counters.counter(
      "neighbor.restore_errors", "neighbour writes the kernel refused or did not answer");
}

std::vector<uint8_t> NeighWatcher::encodeSetNeighbor(
    int kernelIfindex, const IpAddress& ip, const MacAddress& mac, uint32_t seq) {
  std::vector<uint8_t> out;
  codec::nl::Builder b(
      out, RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
  // struct ndmsg: family u8, pad u8, pad u16, ifindex s32, state u16, flags u8, type u8.
  std::array<uint8_t, 12> nd{};
  nd[0] = ip.isV4() ? AF_INET : AF_INET6;
  auto putHost = [&](size_t at, const void* v, size_t n) { std::memcpy(nd.data() + at, v, n); };
  int32_t idx = kernelIfindex;
  uint16_t state = NUD_STALE;
  putHost(4, &idx, 4);
  putHost(8, &state, 2);
  nd[10] = 0;
  nd[11] = RTN_UNICAST;
  b.fixed(nd);
  b.attrAddress(NDA_DST, ip);
  b.attr(NDA_LLADDR, mac.bytes());
  b.finish();
  return out;
}

Status NeighWatcher::setNeighbor(int ifindex, const IpAddress& ip, const MacAddress& mac) {
  if (!scope_.owns(ifindex)) {
    ++*cRestoreErrors_;
    return fail("neigh.scope", "ifindex {} is not an interface of this namespace", ifindex);
  }
  if (!requests_) {
    auto s = NetlinkSocket::open({}, 1 << 16, scope_.netns);
    if (!s) {
      ++*cRestoreErrors_;
      return fail("neigh.socket", "{}", s.error().message);
    }
    requests_.emplace(std::move(*s));
  }
  auto req = encodeSetNeighbor(kernelIfindexOf(ifindex), ip, mac, requests_->nextSeq());
  // One request, answered by the kernel at once: the short wait never stalls the loop.
  auto acks = requests_->transact(req, 1, 200);
  if (!acks || acks->empty() || acks->front().second != 0) {
    ++*cRestoreErrors_;
    std::string why = !acks           ? acks.error().message
                      : acks->empty() ? std::string("no answer")
                                      : std::string(strerror(-acks->front().second));
    spdlog::warn(
        "event=neighbor_restore_failed addr={} mac={} ifindex={} reason=\"{}\"",
        ip.str(),
        mac.str(),
        ifindex,
        why);
    requests_.reset();  // a fresh socket next time (no stale ACKs)
    return fail("neigh.write", "{}", why);
  }
  ++*cRestored_;
  HR_DEBUG(
      Netlink, "event=neighbor_restored addr={} mac={} ifindex={}", ip.str(), mac.str(), ifindex);
  return ok();
}

size_t NeighWatcher::forget() {
  std::vector<int> mine;
  for (const auto& [idx, _] : db_.all()) {
    if (scope_.owns(idx)) {
      mine.push_back(idx);
    }
  }
  for (int idx : mine) {
    db_.removeLink(idx);
  }
  return mine.size();
}

NeighWatcher::~NeighWatcher() {
  if (events_) {
    loop_.removeFd(events_->fd());
  }
}

Status NeighWatcher::start() {
  static constexpr uint32_t kGroups[] = {
      RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_NEIGH};
  // Subscribe first, dump second: an event racing the dump is applied after it.
  HR_TRY(auto s, NetlinkSocket::open(kGroups, 8 << 20, scope_.netns));
  events_.emplace(std::move(s));
  HR_TRY_VOID(loop_.addFd(events_->fd(), EPOLLIN, [this](uint32_t) { onReadable(); }));
  return dumpAll();
}

Status NeighWatcher::resync() {
  return dumpAll();
}

Status NeighWatcher::dumpAll() {
  // A separate, unsubscribed socket: the blocking dump helper skips foreign messages.
  HR_TRY(auto s, NetlinkSocket::open({}, 8 << 20, scope_.netns));
  struct Req {
    uint16_t type;
    uint8_t family;
  };
  static constexpr Req kReqs[] = {
      {RTM_GETLINK, AF_UNSPEC},
      {RTM_GETADDR, AF_INET},
      {RTM_GETADDR, AF_INET6},
      {RTM_GETNEIGH, AF_INET},
      {RTM_GETNEIGH, AF_INET6}};
  for (const auto& r : kReqs) {
    HR_TRY(auto msgs, s.dump(r.type, r.family));
    for (const auto& raw : msgs) {
      auto split = codec::nl::split(raw);
      if (!split) {
        ++*cMalformed_;
        continue;
      }
      for (const auto& m : *split) {
        handle(m, true);
      }
    }
    if (r.type == RTM_GETADDR && r.family == AF_INET6) {
      sink_.interfacesChanged();
    }
  }
  return ok();
}

void NeighWatcher::onReadable() {
  for (int i = 0; i < 64; ++i) {
    auto msgs = events_->recv();
    if (!msgs) {
      if (msgs.error().code == "overrun") {
        ++*cOverruns_;
        spdlog::warn(
            "event=netlink_overrun vrf={} action=resync",
            scope_.vrf.empty() ? "default" : scope_.vrf);
        if (auto st = dumpAll(); !st) {
          spdlog::error(
              "event=netlink_resync_failed vrf={} reason=\"{}\"",
              scope_.vrf.empty() ? "default" : scope_.vrf,
              st.error().message);
        }
      } else {
        ++*cMalformed_;
        HR_DEBUG(Netlink, "event=netlink_bad_datagram reason=\"{}\"", msgs.error().str());
      }
      continue;
    }
    if (msgs->empty()) {
      return;
    }
    for (const auto& m : *msgs) {
      handle(m, false);
    }
  }
}

void NeighWatcher::handle(const codec::nl::Message& m, bool fromDump) {
  switch (m.hdr.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      ++*cLinkEvents_;
      auto l = codec::nl::decodeLink(m);
      if (!l) {
        ++*cMalformed_;
        HR_DEBUG(Netlink, "event=netlink_bad_link reason=\"{}\"", l.error().str());
        return;
      }
      int ifindex = scope_.toLearner(static_cast<int>(l->ifindex));
      if (ifindex == 0) {
        ++*cIfindexRange_;
        return;
      }
      if (!l->isNew) {
        // A bridge port leaving its bridge also comes as RTM_DELLINK with AF_BRIDGE: only a
        // plain DELLINK removes the interface.
        if (m.payload.empty() || m.payload[0] != AF_BRIDGE) {
          db_.removeLink(ifindex);
          if (!fromDump) {
            sink_.interfacesChanged();
          }
        }
        return;
      }
      if (!m.payload.empty() && m.payload[0] == AF_BRIDGE) {
        return;  // bridge port details
      }
      InterfaceInfo i;
      i.ifindex = ifindex;
      i.name = l->name;
      i.kind = l->kind;
      i.mac = l->mac;
      i.up = l->up() && l->running();
      i.master = scope_.toLearner(static_cast<int>(l->master));
      i.link = scope_.toLearner(static_cast<int>(l->link));
      i.netnsVrf = scope_.vrf;
      const auto* old = db_.get(ifindex);
      bool changed = old == nullptr || old->name != i.name || old->master != i.master ||
                     old->up != i.up || old->mac != i.mac || old->kind != i.kind ||
                     old->netnsVrf != i.netnsVrf;
      // RTM_NEWLINK notifications carry no IFLA_LINKINFO for some changes: keep the kind.
      if (i.kind.empty() && old != nullptr) {
        i.kind = old->kind;
      }
      db_.upsertLink(std::move(i));
      if (changed && !fromDump) {
        sink_.interfacesChanged();
      }
      return;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      ++*cAddrEvents_;
      auto a = codec::nl::decodeAddr(m);
      if (!a) {
        ++*cMalformed_;
        HR_DEBUG(Netlink, "event=netlink_bad_addr reason=\"{}\"", a.error().str());
        return;
      }
      int ifindex = scope_.toLearner(static_cast<int>(a->ifindex));
      if (ifindex == 0) {
        ++*cIfindexRange_;
        return;
      }
      if (a->isNew) {
        db_.addAddress(ifindex, a->prefix());
      } else {
        db_.removeAddress(ifindex, a->prefix());
      }
      if (!fromDump) {
        sink_.interfacesChanged();
      }
      return;
    }
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: {
      auto n = codec::nl::decodeNeigh(m);
      if (!n) {
        if (n.error().code == "not_ip") {
          ++*cNeighSkipped_;  // bridge fdb entries share the message type
        } else {
          ++*cMalformed_;
          HR_DEBUG(Netlink, "event=netlink_bad_neigh reason=\"{}\"", n.error().str());
        }
        return;
      }
      ++*cNeighEvents_;
      int ifindex = scope_.toLearner(static_cast<int>(n->ifindex));
      if (ifindex == 0) {
        ++*cIfindexRange_;
        return;
      }
      if (!n->isNew) {
        ++*cNeighDeleted_;
        return;
      }
      if (n->state & NUD_FAILED) {
        sink_.failed(ifindex, n->dst);
        return;
      }
      constexpr uint16_t kUsable =
          NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
      if ((n->state & kUsable) == 0 || !n->lladdr) {
        ++*cNeighSkipped_;
        return;
      }
      Observation o;
      o.ifindex = ifindex;
      o.ip = n->dst;
      o.mac = *n->lladdr;
      o.source = Source::Neighbor;
      o.extLearned = n->externallyLearned();
      o.confirms = (n->state & (NUD_REACHABLE | NUD_PERMANENT)) != 0;
      o.fromDump = fromDump;
      HR_DEBUG(
          Netlink,
          "event=neigh ifindex={} addr={} mac={} state={:#x} flags={:#x}",
          ifindex,
          n->dst.str(),
          n->lladdr->str(),
          n->state,
          n->flags);
      sink_.observe(o);
      return;
    }
    default:
      return;
  }
}

}  // namespace hr::learner

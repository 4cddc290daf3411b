#include "hostroute_learner/route_publisher.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "core/log.h"

namespace hr::learner {

RoutePublisher::RoutePublisher(
    EventLoop& loop, std::string socketPath, std::string instance, Counters& c, Sink sink)
    : loop_(loop),
      connector_(loop, std::move(socketPath), c, "fpm_client"),
      instance_(std::move(instance)),

      sink_(std::move(sink)),
      syncTimer_(loop, [this] { onSyncTimer(); }) {
  // A restarted learner starts a new generation (wall clock, microseconds).
  generation_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  cMessages_ = &c.counter("ipc.intent_messages", "RouteIntents messages sent to fpm_client");
  cAdds_ = &c.counter("ipc.routes_added", "host-route adds sent to fpm_client (deltas and syncs)");
  cWithdraws_ = &c.counter("ipc.routes_withdrawn", "host-route withdrawals sent to fpm_client");
  cSyncs_ = &c.counter("ipc.syncs", "full resynchronisations sent (SyncBegin ... SyncEnd)");
  cDropped_ = &c.counter(
      "ipc.deltas_while_down",
      "intents not sent while fpm_client was unreachable (the next sync carries them)");
  cStatus_ = &c.counter("ipc.route_status", "route states received from fpm_client");
  cRemote_ = &c.counter("ipc.remote_routes", "remote-route signals received from fpm_client");
  cMalformed_ =
      &c.counter("ipc.malformed", "messages from fpm_client with invalid contents (dropped)");
}

void RoutePublisher::start() {
  connector_.start(
      [this](ipc::Channel& ch) { onUp(ch); },
      [this](ipc::Channel&, const ipc::Envelope& e) { handle(e); },
      [this](const std::string&) {
        bool was = up_;
        up_ = false;
        syncEndPending_ = false;
        syncTimer_.cancel();
        for (const auto& [k, p] : pending_) {
          ++*cDropped_;
          if (sink_.dropped) {
            sink_.dropped(p.action);
          }
        }
        pending_.clear();
        if (was && sink_.southbound) {
          sink_.southbound(false);
        }
      });
}

void RoutePublisher::fill(ipc::HostRoute* r, const PublishAction& p, uint64_t seenUs) {
  r->set_vrf(p.vrf);
  auto b = p.ip.bytes();
  r->set_address(std::string(b.begin(), b.end()));
  if (p.add) {
    r->set_ifname(p.ifname);
    r->set_ifindex(static_cast<uint32_t>(p.ifindex));
    const auto& m = p.mac.bytes();
    r->set_mac(std::string(m.begin(), m.end()));
    r->set_flags(p.flags);
    if (seenUs != 0) {
      r->set_seen_realtime_us(seenUs);
    }
  }
}

void RoutePublisher::onUp(ipc::Channel& ch) {
  ipc::Envelope hello;
  hello.set_id(nextId_++);
  auto* h = hello.mutable_hello();
  h->set_daemon("hostroute_learner");
  h->set_instance(instance_);
  h->set_pid(static_cast<uint32_t>(::getpid()));
  h->set_version(HR_VERSION);
  ch.send(hello);
  ipc::Envelope sub;
  sub.set_id(nextId_++);
  sub.mutable_subscribe()->add_topics("route-status");
  sub.mutable_subscribe()->add_topics("remote-routes");
  ch.send(sub);

  ++generation_;
  ipc::Envelope begin;
  begin.set_id(nextId_++);
  begin.mutable_sync_begin()->set_generation(generation_);
  ch.send(begin);
  auto all = sink_.snapshot();
  for (size_t i = 0; i < all.size(); i += kBatch) {
    ipc::Envelope e;
    e.set_id(nextId_++);
    auto* in = e.mutable_intents();
    for (size_t j = i; j < std::min(all.size(), i + kBatch); ++j) {
      fill(in->add_add(), all[j], 0);
    }
    ch.send(e);
    ++*cMessages_;
  }
  *cAdds_ += all.size();
  pending_.clear();
  up_ = true;
  syncRoutes_ = all.size();
  if (sink_.southbound) {
    sink_.southbound(true);
  }
  if (sink_.synced) {
    sink_.synced();
  }
  syncEndPending_ = true;
  snapshotSeen_ = false;
  if (!sink_.recover) {
    endSync();
    return;
  }
  // SyncEnd waits for fpm_client's route-status snapshot (the answer to Subscribe) and the
  // check of the routes it holds that the table did not know.
  syncTimer_.arm(kSnapshotWait);
}

void RoutePublisher::endSync() {
  auto* ch = connector_.channel();
  if (!up_ || !syncEndPending_ || ch == nullptr) {
    return;
  }
  flush();  // the intents of this round (recovered hosts) go before SyncEnd
  syncEndPending_ = false;
  syncTimer_.cancel();
  ipc::Envelope end;
  end.set_id(nextId_++);
  end.mutable_sync_end()->set_generation(generation_);
  ch->send(end);
  ++*cSyncs_;
  spdlog::info("event=sync_sent peer=fpm_client generation={} routes={}", generation_, syncRoutes_);
}

void RoutePublisher::onSyncTimer() {
  if (!syncEndPending_) {
    return;
  }
  auto now = loop_.now();
  if (!snapshotSeen_) {
    spdlog::warn(
        "event=sync_no_snapshot peer=fpm_client wait_ms={} action=\"sync ended without "
        "checking held routes\"",
        std::chrono::duration_cast<std::chrono::milliseconds>(kSnapshotWait).count());
  } else if (now - snapshotAt_ >= kRecoverWait) {
    spdlog::warn(
        "event=sync_recover_timeout peer=fpm_client wait_s={} action=\"sync ended; unchecked "
        "held routes are swept\"",
        kRecoverWait.count());
  } else if (now - lastStatusAt_ < kSettle || (sink_.recovering && sink_.recovering())) {
    syncTimer_.arm(kSettle / 2);
    return;
  }
  endSync();
}

bool RoutePublisher::publish(const PublishAction& p, uint64_t seenRealtimeUs) {
  if (!up_ || connector_.channel() == nullptr) {
    ++*cDropped_;
    return false;
  }
  auto key = std::make_pair(p.vrf, p.ip);
  auto it = pending_.find(key);
  if (it != pending_.end() && seenRealtimeUs == 0) {
    seenRealtimeUs = it->second.seenUs;
  }
  pending_[key] = Pending{p, seenRealtimeUs};
  if (!flushScheduled_) {
    flushScheduled_ = true;
    std::weak_ptr<bool> alive = alive_;
    loop_.defer([this, alive] {
      if (alive.expired()) {
        return;
      }
      flushScheduled_ = false;
      flush();
    });
  }
  return true;
}

void RoutePublisher::flush() {
  auto* ch = connector_.channel();
  if (ch == nullptr || !up_) {
    *cDropped_ += pending_.size();
    if (sink_.dropped) {
      for (const auto& [k, p] : pending_) {
        sink_.dropped(p.action);
      }
    }
    pending_.clear();
    return;
  }
  while (!pending_.empty()) {
    ipc::Envelope e;
    e.set_id(nextId_++);
    auto* in = e.mutable_intents();
    std::vector<std::pair<PublishAction, uint64_t>> adds;
    size_t n = 0;
    for (auto it = pending_.begin(); it != pending_.end() && n < kBatch; ++n) {
      const auto& p = it->second;
      if (p.action.add) {
        fill(in->add_add(), p.action, p.seenUs);
        ++*cAdds_;
        if (p.seenUs != 0) {
          adds.emplace_back(p.action, p.seenUs);
        }
      } else {
        fill(in->add_withdraw(), p.action, 0);
        ++*cWithdraws_;
      }
      it = pending_.erase(it);
    }
    ch->send(e);
    ++*cMessages_;
    HR_DEBUG(Ipc, "event=intents_sent adds={} withdrawals={}", in->add_size(), in->withdraw_size());
    if (sink_.sent) {
      for (const auto& [a, seen] : adds) {
        sink_.sent(a, seen);
      }
    }
  }
}

void RoutePublisher::handle(const ipc::Envelope& e) {
  auto addr = [this](const std::string& b) -> std::optional<IpAddress> {
    auto a = IpAddress::fromBytes(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
    if (!a) {
      ++*cMalformed_;
      return std::nullopt;
    }
    return *a;
  };
  if (e.has_route_status()) {
    if (syncEndPending_ && (snapshotSeen_ || e.route_status().snapshot())) {
      // Every route fpm_client holds (its answer to Subscribe, possibly in several messages:
      // from before the learner's restart, or this learner's last connection): the table
      // checks the ones it does not know before the sync ends.
      auto now = loop_.now();
      if (!snapshotSeen_) {
        snapshotSeen_ = true;
        snapshotAt_ = now;
      }
      lastStatusAt_ = now;
      syncTimer_.arm(kSettle);
      std::vector<HeldRoute> held;
      held.reserve(static_cast<size_t>(e.route_status().status_size()));
      for (const auto& s : e.route_status().status()) {
        if (s.state() == ipc::ROUTE_REMOVED) {
          continue;  // not held
        }
        if (auto a = IpAddress::fromBytes(std::span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(s.address().data()), s.address().size()))) {
          held.push_back(HeldRoute{s.vrf(), *a, s.shared()});
        }
      }
      if (sink_.recover && !held.empty()) {
        sink_.recover(held);
      }
    }
    for (const auto& s : e.route_status().status()) {
      ++*cStatus_;
      auto a = addr(s.address());
      if (!a) {
        continue;
      }
      RouteState st = RouteState::Unknown;
      switch (s.state()) {
        case ipc::ROUTE_PENDING:
          st = RouteState::Pending;
          break;
        case ipc::ROUTE_INSTALLED:
          st = RouteState::Installed;
          break;
        case ipc::ROUTE_FAILED:
          st = RouteState::Failed;
          break;
        case ipc::ROUTE_REMOVED:
          st = RouteState::Removed;
          break;
        case ipc::ROUTE_SHADOWED:
          st = RouteState::Shadowed;
          break;
        case ipc::ROUTE_WAITING:
          st = RouteState::Waiting;
          break;
        default:
          break;
      }
      sink_.status(s.vrf(), *a, st, s.shared());
    }
  } else if (e.has_remote_routes()) {
    std::set<std::pair<std::string, IpAddress>> listed;
    for (const auto& r : e.remote_routes().routes()) {
      ++*cRemote_;
      auto a = addr(r.address());
      if (!a) {
        continue;
      }
      if (r.present()) {
        listed.emplace(r.vrf(), *a);
      }
      sink_.remote(r.vrf(), *a, r.present(), r.protocol());
    }
    // A snapshot (fpm_client's answer to Subscribe, e.g. after its restart) is the whole
    // state: hosts it does not list are not advertised elsewhere any more.
    if (e.remote_routes().snapshot() && sink_.remoteKeys) {
      for (const auto& [vrf, a] : sink_.remoteKeys()) {
        if (listed.count({vrf, a}) == 0) {
          sink_.remote(vrf, a, false, "snapshot");
        }
      }
    }
  }
}

}  // namespace hr::learner

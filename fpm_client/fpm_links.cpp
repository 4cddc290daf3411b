#include "fpm_client/fpm_links.h"

#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace hr::fpm_client {

Result<std::unique_ptr<LinkWatcher>> LinkWatcher::create(
    EventLoop& loop, const std::string& netnsPath, ChangeFn onChange) {
  auto w = std::make_unique<LinkWatcher>(Token{}, loop, netnsPath, std::move(onChange));
  static constexpr uint32_t kGroups[] = {RTNLGRP_LINK};
  HR_TRY(auto sock, NetlinkSocket::open(kGroups, 4 << 20, netnsPath));
  w->events_.emplace(std::move(sock));
  HR_TRY_VOID(w->dumpAll());
  auto* raw = w.get();
  HR_TRY_VOID(loop.addFd(w->events_->fd(), EPOLLIN, [raw](uint32_t) { raw->onReadable(); }));
  return w;
}

LinkWatcher::~LinkWatcher() {
  if (events_) {
    loop_.removeFd(events_->fd());
  }
}

Status LinkWatcher::dumpAll() {
  HR_TRY(auto sock, NetlinkSocket::open({}, 4 << 20, netnsPath_));
  HR_TRY(auto msgs, sock.dump(RTM_GETLINK, AF_UNSPEC));
  links_.clear();
  for (const auto& raw : msgs) {
    auto split = codec::nl::split(raw);
    if (split && split->size() == 1) {
      apply(split->at(0));
    }
  }
  reindex();
  return ok();
}

void LinkWatcher::reindex() {
  names_.clear();
  byName_.clear();
  for (const auto& [i, l] : links_) {
    names_[i] = l.name;
    byName_[l.name] = i;
  }
}

bool LinkWatcher::apply(const codec::nl::Message& m) {
  auto l = codec::nl::decodeLink(m);
  if (!l || l->ifindex <= 0) {
    return false;
  }
  auto idx = static_cast<uint32_t>(l->ifindex);
  if (!l->isNew) {
    return links_.erase(idx) > 0;
  }
  LinkInfo info{idx, l->name, l->up(), l->running(), l->kind, l->vrfTable};
  auto it = links_.find(idx);
  if (it != links_.end() && it->second == info) {
    return false;
  }
  links_[idx] = std::move(info);
  return true;
}

void LinkWatcher::onReadable() {
  bool changed = false;
  for (;;) {
    auto msgs = events_->recv();
    if (!msgs) {
      if (msgs.error().code == "overrun") {
        ++overruns_;
        spdlog::warn(
            "event=link_events_lost netns={} action=redump",
            netnsPath_.empty() ? "(own)" : netnsPath_);
        if (auto st = dumpAll(); !st) {
          spdlog::error(
              "event=link_dump_failed netns={} reason=\"{}\"", netnsPath_, st.error().message);
        }
        changed = true;
        continue;
      }
      break;
    }
    if (msgs->empty()) {
      break;
    }
    for (const auto& m : *msgs) {
      changed = apply(m) || changed;
    }
  }
  if (changed) {
    reindex();
    if (onChange_) {
      onChange_();
    }
  }
}

std::optional<uint32_t> LinkWatcher::index(const std::string& name) const {
  const LinkInfo* l = byName(name);
  return l ? std::optional<uint32_t>(l->index) : std::nullopt;
}

const LinkInfo* LinkWatcher::byName(const std::string& name) const {
  auto it = byName_.find(name);
  if (it == byName_.end()) {
    return nullptr;
  }
  auto l = links_.find(it->second);
  return l == links_.end() ? nullptr : &l->second;
}

std::set<uint32_t> vrfTablesOf(const std::unordered_map<uint32_t, LinkInfo>& links) {
  std::set<uint32_t> out;
  for (const auto& [i, l] : links) {
    if (l.kind == "vrf" && l.vrfTable != 0) {
      out.insert(l.vrfTable);
    }
  }
  return out;
}

std::set<uint32_t> LinkWatcher::vrfTables() const {
  return vrfTablesOf(links_);
}

}  // namespace hr::fpm_client

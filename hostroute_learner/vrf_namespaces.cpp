#include "hostroute_learner/vrf_namespaces.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace hr::learner {

NetnsVrfPlan planNetnsVrfs(
    const std::vector<NetnsVrf>& current, const std::vector<NetnsVrf>& desired) {
  NetnsVrfPlan p;
  for (const auto& c : current) {
    auto it = std::find_if(
        desired.begin(), desired.end(), [&](const NetnsVrf& d) { return d.name == c.name; });
    if (it == desired.end() || it->netns != c.netns) {
      p.close.push_back(c.name);
    }
  }
  for (const auto& d : desired) {
    auto it = std::find_if(
        current.begin(), current.end(), [&](const NetnsVrf& c) { return c.name == d.name; });
    if (it == current.end() || it->netns != d.netns) {
      p.open.push_back(d);
    }
  }
  return p;
}

std::optional<int> freeNetnsSlot(const std::vector<int>& used) {
  for (int s = 1; s <= kMaxNetnsSlots; ++s) {
    if (std::find(used.begin(), used.end(), s) == used.end()) {
      return s;
    }
  }
  return std::nullopt;
}

namespace {

std::string dirOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

std::string baseOf(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

VrfNamespaces::VrfNamespaces(EventLoop& loop, InterfaceDb& db, Counters& c, Hooks hooks)
    : loop_(loop), db_(db), counters_(c), hooks_(std::move(hooks)) {
  gOpen_ = &c.gauge("vrf.namespaces_watched", "netns VRFs whose namespace is being watched");
  cOpened_ = &c.counter("vrf.namespace_opens", "netns VRF namespaces opened (sockets inside)");
  cOpenFailures_ = &c.counter(
      "vrf.namespace_open_failures",
      "attempts to open a netns VRF's namespace that failed (absent, not mounted yet, ...)");
  cClosed_ = &c.counter(
      "vrf.namespace_closes", "netns VRF namespaces closed (deleted, or removed from the config)");
  inotify_ = Fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_) {
    spdlog::warn(
        "event=vrf_inotify_unavailable reason=\"{}\" effect=\"namespaces are only retried on "
        "a timer\"",
        strerror(errno));
  } else if (auto st = loop_.addFd(inotify_.get(), EPOLLIN, [this](uint32_t) { onInotify(); });
             !st) {
    spdlog::warn("event=vrf_inotify_unavailable reason=\"{}\"", st.error().message);
    inotify_.reset();
  }
}

VrfNamespaces::~VrfNamespaces() {
  for (auto& [_, v] : vrfs_) {
    v.retry.reset();
    v.packets.reset();
    v.watcher.reset();
  }
  if (inotify_) {
    loop_.removeFd(inotify_.get());
  }
}

void VrfNamespaces::apply(const std::vector<NetnsVrf>& desired) {
  std::vector<NetnsVrf> current;
  for (const auto& [_, v] : vrfs_) {
    current.push_back(v.cfg);
  }
  auto plan = planNetnsVrfs(current, desired);
  for (const auto& name : plan.close) {
    auto it = vrfs_.find(name);
    if (it != vrfs_.end()) {
      close(it->second, "removed from the configuration");
      vrfs_.erase(it);
    }
  }
  for (const auto& cfg : plan.open) {
    std::vector<int> used;
    for (const auto& [_, v] : vrfs_) {
      used.push_back(v.slot);
    }
    auto [it, _] = vrfs_.try_emplace(cfg.name);
    Vrf& v = it->second;
    v.cfg = cfg;
    v.since = loop_.now();
    auto slot = freeNetnsSlot(used);
    if (!slot) {
      v.state = State::Refused;
      v.lastError = fmt::format("more than {} netns VRFs", kMaxNetnsSlots);
      spdlog::error("event=vrf_netns_refused vrf={} reason=\"{}\"", cfg.name, v.lastError);
      continue;
    }
    v.slot = *slot;
    watchDirectory(dirOf(cfg.netns));
    tryOpen(v);
  }
  exportGauges();
}

void VrfNamespaces::watchDirectory(const std::string& dir) {
  if (!inotify_ || dir.empty()) {
    return;
  }
  for (const auto& [_, d] : watches_) {
    if (d == dir) {
      return;
    }
  }
  int wd = ::inotify_add_watch(
      inotify_.get(), dir.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM);
  if (wd < 0) {
    spdlog::warn(
        "event=vrf_inotify_watch_failed dir={} reason=\"{}\" effect=\"retried on a timer\"",
        dir,
        strerror(errno));
    return;
  }
  watches_[wd] = dir;
}

void VrfNamespaces::tryOpen(Vrf& v) {
  if (v.state == State::Open) {
    return;
  }
  auto failed = [&](std::string why) {
    ++*cOpenFailures_;
    ++v.failures;
    if (why != v.lastError) {
      spdlog::warn(
          "event=vrf_netns_unavailable vrf={} netns={} reason=\"{}\" action=retry",
          v.cfg.name,
          v.cfg.netns,
          why);
    }
    v.lastError = std::move(why);
    v.packets.reset();
    v.watcher.reset();
    scheduleRetry(v);
  };
  struct stat target {};
  if (::stat(v.cfg.netns.c_str(), &target) < 0) {
    failed(fmt::format("cannot stat {}: {}", v.cfg.netns, strerror(errno)));
    return;
  }
  struct stat own {};
  if (::stat("/proc/self/ns/net", &own) == 0 && own.st_dev == target.st_dev &&
      own.st_ino == target.st_ino) {
    v.state = State::Refused;
    v.lastError = fmt::format("{} is the learner's own network namespace", v.cfg.netns);
    spdlog::error(
        "event=vrf_netns_refused vrf={} netns={} reason=\"{}\"",
        v.cfg.name,
        v.cfg.netns,
        v.lastError);
    return;
  }
  NetnsScope scope{v.slot, v.cfg.name, v.cfg.netns};
  v.watcher = std::make_unique<NeighWatcher>(loop_, db_, counters_, hooks_.sink, scope);
  v.packets =
      std::make_unique<PacketIo>(loop_, db_, counters_, hooks_.isLearning, hooks_.observe, scope);
  // The packet socket first: when the netlink dump delivers the hosts, their probes can go.
  if (auto st = v.packets->start(); !st) {
    failed(st.error().message);
    return;
  }
  if (auto st = v.watcher->start(); !st) {
    // A dump cut short may have left some of the namespace's interfaces behind.
    if (v.watcher->forget() > 0) {
      hooks_.sink.interfacesChanged();
    }
    failed(st.error().message);
    return;
  }
  v.state = State::Open;
  v.nsInode = target.st_ino;
  v.lastError.clear();
  v.since = loop_.now();
  v.backoff.reset();
  if (v.retry) {
    v.retry->cancel();
  }
  ++v.opens;
  ++*cOpened_;
  size_t ifs = 0;
  for (const auto& [idx, _] : db_.all()) {
    ifs += scope.owns(idx) ? 1 : 0;
  }
  spdlog::info(
      "event=vrf_netns_open vrf={} netns={} ns=net:[{}] slot={} interfaces={}",
      v.cfg.name,
      v.cfg.netns,
      v.nsInode,
      v.slot,
      ifs);
  exportGauges();
}

void VrfNamespaces::close(Vrf& v, const std::string& why) {
  if (v.retry) {
    v.retry->cancel();
  }
  bool wasOpen = v.state == State::Open;
  v.packets.reset();
  size_t forgotten = 0;
  if (v.watcher) {
    forgotten = v.watcher->forget();
    v.watcher.reset();
  }
  v.state = State::Waiting;
  v.since = loop_.now();
  if (wasOpen) {
    ++*cClosed_;
    spdlog::info(
        "event=vrf_netns_closed vrf={} netns={} reason=\"{}\" interfaces={}",
        v.cfg.name,
        v.cfg.netns,
        why,
        forgotten);
  }
  if (forgotten > 0) {
    hooks_.sink.interfacesChanged();  // the VRF's hosts are withdrawn (interface gone)
  }
  exportGauges();
}

void VrfNamespaces::scheduleRetry(Vrf& v, std::optional<Duration> after) {
  if (!v.retry) {
    std::string name = v.cfg.name;
    v.retry = std::make_unique<Timer>(loop_, [this, name] {
      auto it = vrfs_.find(name);
      if (it != vrfs_.end() && it->second.state == State::Waiting) {
        tryOpen(it->second);
      }
    });
  }
  v.retry->arm(after ? *after : v.backoff.next());
}

void VrfNamespaces::onInotify() {
  alignas(inotify_event) std::array<char, 4096> buf;
  for (;;) {
    ssize_t n = ::read(inotify_.get(), buf.data(), buf.size());
    if (n <= 0) {
      return;
    }
    for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      inotify_event ev;
      std::memcpy(&ev, buf.data() + off, sizeof(ev));
      size_t total = sizeof(inotify_event) + ev.len;
      if (off + static_cast<ssize_t>(total) > n) {
        break;
      }
      std::string name;
      if (ev.len > 0) {
        const char* p = buf.data() + off + sizeof(inotify_event);
        name.assign(p, strnlen(p, ev.len));
      }
      off += static_cast<ssize_t>(total);
      if (ev.mask & IN_Q_OVERFLOW) {
        for (auto& [_, v] : vrfs_) {
          if (v.state == State::Waiting) {
            v.backoff.reset();
            scheduleRetry(v, Duration::zero());
          }
        }
        continue;
      }
      if (ev.mask & IN_IGNORED) {
        watches_.erase(ev.wd);
        continue;
      }
      auto w = watches_.find(ev.wd);
      if (w == watches_.end() || name.empty()) {
        continue;
      }
      for (auto& [_, v] : vrfs_) {
        if (dirOf(v.cfg.netns) != w->second || baseOf(v.cfg.netns) != name) {
          continue;
        }
        if (ev.mask & (IN_DELETE | IN_MOVED_FROM)) {
          if (v.state == State::Open) {
            close(v, "namespace deleted");
          }
          v.state = State::Waiting;
          v.lastError = "namespace deleted";
          scheduleRetry(v);
        } else if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
          if (v.state != State::Open) {
            // `ip netns add` creates the file, then mounts the namespace on it: retry soon,
            // with back-off, until the mount is there.
            v.state = State::Waiting;
            v.backoff.reset();
            scheduleRetry(v, Duration::zero());
          }
        }
      }
    }
  }
}

size_t VrfNamespaces::open() const {
  size_t n = 0;
  for (const auto& [_, v] : vrfs_) {
    n += v.state == State::Open ? 1 : 0;
  }
  return n;
}

void VrfNamespaces::exportGauges() {
  gOpen_->set(open());
}

Status VrfNamespaces::send(const ProbeAction& p) {
  int slot = netnsSlotOf(p.sendIfindex);
  for (auto& [_, v] : vrfs_) {
    if (v.slot == slot && v.packets) {
      return v.packets->send(p);
    }
  }
  return fail("probe.no_namespace", "no watched namespace for ifindex {}", p.sendIfindex);
}

Status VrfNamespaces::setNeighbor(int ifindex, const IpAddress& ip, const MacAddress& mac) {
  int slot = netnsSlotOf(ifindex);
  for (auto& [_, v] : vrfs_) {
    if (v.slot == slot && v.watcher) {
      return v.watcher->setNeighbor(ifindex, ip, mac);
    }
  }
  return fail("neigh.no_namespace", "no watched namespace for ifindex {}", ifindex);
}

nlohmann::json VrfNamespaces::json(TimePoint now) const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, v] : vrfs_) {
    size_t ifs = 0;
    NetnsScope scope{v.slot, name, v.cfg.netns};
    for (const auto& [idx, _] : db_.all()) {
      ifs += v.slot != 0 && scope.owns(idx) ? 1 : 0;
    }
    nlohmann::json j{
        {"name", name},
        {"netns", v.cfg.netns},
        {"state",
         v.state == State::Open ? "watching" : (v.state == State::Waiting ? "waiting" : "refused")},
        {"sinceSeconds", std::chrono::duration_cast<std::chrono::seconds>(now - v.since).count()},
        {"interfaces", ifs},
        {"opens", v.opens},
        {"failures", v.failures},
    };
    j["namespace"] = v.state == State::Open ? nlohmann::json(fmt::format("net:[{}]", v.nsInode))
                                            : nlohmann::json(nullptr);
    j["lastError"] = v.lastError.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.lastError);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace hr::learner

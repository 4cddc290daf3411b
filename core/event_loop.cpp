#include "core/event_loop.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

namespace hr {
namespace {
constexpr auto kSlowHandler = std::chrono::milliseconds(100);
constexpr uint64_t kTimerToken = 0;  // reserved epoll tokens
constexpr uint64_t kSignalToken = ~0ULL;
}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  auto loop = std::make_unique<EventLoop>(Key());
  loop->epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!loop->epoll_) {
    return fail("loop.epoll_create", "epoll_create1: {}", strerror(errno));
  }
  loop->timerFd_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!loop->timerFd_) {
    return fail("loop.timerfd_create", "timerfd_create: {}", strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerToken;
  if (::epoll_ctl(loop->epoll_.get(), EPOLL_CTL_ADD, loop->timerFd_.get(), &ev) < 0) {
    return fail("loop.epoll_ctl", "epoll_ctl(timerfd): {}", strerror(errno));
  }
  return loop;
}

EventLoop::~EventLoop() = default;

Status EventLoop::addFd(int fd, uint32_t events, FdCallback cb) {
  if (fds_.count(fd) != 0) {
    return fail("loop.fd_exists", "fd {} already watched", fd);
  }
  auto entry = std::make_shared<FdEntry>(FdEntry{std::move(cb), nextToken_++});
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = entry->token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    return fail("loop.epoll_ctl", "epoll_ctl(add {}): {}", fd, strerror(errno));
  }
  tokenToFd_[entry->token] = fd;
  fds_[fd] = std::move(entry);
  return ok();
}

Status EventLoop::modifyFd(int fd, uint32_t events) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    return fail("loop.unknown_fd", "fd {} not watched", fd);
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = it->second->token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) {
    return fail("loop.epoll_ctl", "epoll_ctl(mod {}): {}", fd, strerror(errno));
  }
  return ok();
}

void EventLoop::removeFd(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    return;
  }
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  tokenToFd_.erase(it->second->token);
  fds_.erase(it);
}

Status EventLoop::onSignal(int signo, Callback cb) {
  signals_[signo] = std::move(cb);
  sigset_t mask;
  sigemptyset(&mask);
  for (const auto& [s, unused] : signals_) {
    sigaddset(&mask, s);
  }
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) {
    return fail("loop.sigprocmask", "sigprocmask: {}", strerror(errno));
  }
  int fd = ::signalfd(signalFd_ ? signalFd_.get() : -1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    return fail("loop.signalfd", "signalfd: {}", strerror(errno));
  }
  if (!signalFd_) {
    signalFd_ = Fd(fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kSignalToken;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
      return fail("loop.epoll_ctl", "epoll_ctl(signalfd): {}", strerror(errno));
    }
  }
  return ok();
}

void EventLoop::defer(Callback cb) {
  deferred_.push_back(std::move(cb));
}

void EventLoop::run() {
  running_ = true;
  while (running_) {
    runOnce(std::chrono::seconds(60));
  }
}

void EventLoop::timed(const char* what, const std::function<void()>& fn) {
  auto start = SteadyClock::now();
  fn();
  ++dispatched_;
  auto took = SteadyClock::now() - start;
  if (took > kSlowHandler) {
    ++slowHandlers_;
    spdlog::warn(
        "event=slow_handler kind={} ms={}",
        what,
        std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  }
}

void EventLoop::runOnce(Duration timeout) {
  int timeoutMs =
      deferred_.empty()
          ? static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count())
          : 0;
  epoll_event events[64];
  int n = ::epoll_wait(epoll_.get(), events, 64, timeoutMs);
  if (n < 0 && errno != EINTR) {
    spdlog::error("event=epoll_wait_failed error=\"{}\"", strerror(errno));
  }
  for (int i = 0; i < n; ++i) {
    uint64_t token = events[i].data.u64;
    if (token == kTimerToken) {
      uint64_t expirations;
      while (::read(timerFd_.get(), &expirations, sizeof(expirations)) > 0) {
      }
      armedFor_ = TimePoint{};
      fireTimers();
      continue;
    }
    if (token == kSignalToken) {
      signalfd_siginfo si;
      while (::read(signalFd_.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
        auto it = signals_.find(static_cast<int>(si.ssi_signo));
        if (it != signals_.end()) {
          Callback cb = it->second;
          timed("signal", cb);
        }
      }
      continue;
    }
    auto tf = tokenToFd_.find(token);
    if (tf == tokenToFd_.end()) {
      continue;  // removed earlier in this round
    }
    auto entry = fds_[tf->second];  // keep alive while its callback runs
    uint32_t ev = events[i].events;
    timed("fd", [&] { entry->cb(ev); });
  }
  fireTimers();
  while (!deferred_.empty()) {
    auto batch = std::move(deferred_);
    deferred_.clear();
    for (auto& cb : batch) {
      timed("deferred", cb);
    }
  }
  rearmTimerFd();
}

uint64_t EventLoop::addTimerEntry(TimePoint when, Callback* cb) {
  uint64_t id = nextTimerId_++;
  timers_.emplace(when, std::make_pair(id, cb));
  if (armedFor_ == TimePoint{} || when < armedFor_) {
    rearmTimerFd();
  }
  return id;
}

void EventLoop::removeTimerEntry(uint64_t id, TimePoint when) {
  auto [b, e] = timers_.equal_range(when);
  for (auto it = b; it != e; ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
}

void EventLoop::fireTimers() {
  auto now = SteadyClock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto it = timers_.begin();
    Callback* cb = it->second.second;
    timers_.erase(it);
    timed("timer", *cb);
  }
}

void EventLoop::rearmTimerFd() {
  if (timers_.empty()) {
    if (armedFor_ != TimePoint{}) {
      itimerspec off{};
      ::timerfd_settime(timerFd_.get(), 0, &off, nullptr);
      armedFor_ = TimePoint{};
    }
    return;
  }
  TimePoint next = timers_.begin()->first;
  if (next == armedFor_) {
    return;
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next.time_since_epoch()).count();
  if (ns <= 0) {
    ns = 1;
  }
  itimerspec its{};
  its.it_value.tv_sec = ns / 1000000000;
  its.it_value.tv_nsec = ns % 1000000000;
  ::timerfd_settime(timerFd_.get(), TFD_TIMER_ABSTIME, &its, nullptr);
  armedFor_ = next;
}

void Timer::armAt(TimePoint when) {
  cancel();
  when_ = when;
  id_ = loop_->addTimerEntry(when, &trampoline_);
}

void Timer::cancel() {
  if (id_ != 0) {
    loop_->removeTimerEntry(id_, when_);
    id_ = 0;
  }
}

void Timer::fire() {
  id_ = 0;        // the loop already dropped the entry
  auto cb = cb_;  // the callback may destroy this Timer
  cb();
}

}  // namespace hr

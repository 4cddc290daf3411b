// EventLoop: the single epoll loop each daemon runs on (CONVENTIONS §3).
//
// Everything a daemon does happens in a callback of this loop, on one thread: fd readiness
// (epoll), timers (one timerfd driving an ordered set of deadlines), signals (signalfd) and
// deferred calls. Cores therefore need no locks. Handlers must not block; a handler that runs
// longer than 100 ms is logged (event=slow_handler) and counted.
//
//   auto loop = EventLoop::create();           // Result<std::unique_ptr<EventLoop>>
//   loop->addFd(fd, EPOLLIN, [&](uint32_t ev) { ... });
//   Timer t(*loop, [&] { ... });  t.arm(500ms);
//   loop->onSignal(SIGTERM, [&] { loop->stop(); });
//   loop->run();
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace hr {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;

class EventLoop {
  // Passkey: only create() can make one, yet make_unique can call the public constructor.
  struct Key {
    explicit Key() = default;
  };

 public:
  using Callback = std::function<void()>;
  using FdCallback = std::function<void(uint32_t events)>;

  static Result<std::unique_ptr<EventLoop>> create();
  explicit EventLoop(Key) {}
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd for `events` (EPOLLIN, EPOLLOUT, ...). The loop never owns or closes fd.
  Status addFd(int fd, uint32_t events, FdCallback cb);
  Status modifyFd(int fd, uint32_t events);
  // Safe to call from inside any callback, including fd's own.
  void removeFd(int fd);

  // Blocks `signo` for the process and delivers it through signalfd to cb.
  Status onSignal(int signo, Callback cb);

  // Runs cb after the current dispatch round (never re-entrantly).
  void defer(Callback cb);

  // Runs until stop(). Returns when the loop was stopped.
  void run();
  // Runs one round: waits at most `timeout` for events and dispatches them.
  void runOnce(Duration timeout);
  void stop() {
    running_ = false;
  }
  bool running() const {
    return running_;
  }

  TimePoint now() const {
    return SteadyClock::now();
  }

  uint64_t slowHandlers() const {
    return slowHandlers_;
  }
  uint64_t dispatched() const {
    return dispatched_;
  }

 private:
  friend class Timer;
  uint64_t addTimerEntry(TimePoint when, Callback* cb);
  void removeTimerEntry(uint64_t id, TimePoint when);
  void rearmTimerFd();
  void fireTimers();
  void timed(const char* what, const std::function<void()>& fn);

  struct FdEntry {
    FdCallback cb;
    uint64_t token;
  };
  Fd epoll_;
  Fd timerFd_;
  Fd signalFd_;
  bool running_ = false;
  uint64_t nextToken_ = 1;
  uint64_t nextTimerId_ = 1;
  uint64_t slowHandlers_ = 0;
  uint64_t dispatched_ = 0;
  std::unordered_map<int, std::shared_ptr<FdEntry>> fds_;
  std::unordered_map<uint64_t, int> tokenToFd_;
  std::multimap<TimePoint, std::pair<uint64_t, Callback*>> timers_;
  TimePoint armedFor_{};
  std::map<int, Callback> signals_;
  std::vector<Callback> deferred_;
};

// A one-shot timer owned by its user; destroying it cancels it. Re-arming replaces the
// previous deadline. Callbacks may destroy or re-arm the timer that fired.
class Timer {
 public:
  Timer(EventLoop& loop, EventLoop::Callback cb) : loop_(&loop), cb_(std::move(cb)) {}
  ~Timer() {
    cancel();
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(Duration after) {
    armAt(loop_->now() + after);
  }
  void armAt(TimePoint when);
  void cancel();
  bool armed() const {
    return id_ != 0;
  }
  TimePoint deadline() const {
    return when_;
  }

 private:
  friend class EventLoop;
  void fire();
  EventLoop* loop_;
  EventLoop::Callback cb_;
  EventLoop::Callback trampoline_ = [this] { fire(); };
  uint64_t id_ = 0;
  TimePoint when_{};
};

// Exponential back-off for reconnects (CONVENTIONS §3): 100 ms doubling to a cap, reset on
// success. Pure: the caller arms its own Timer with next().
class Backoff {
 public:
  Backoff(Duration initial, Duration max) : initial_(initial), max_(max), next_(initial) {}
  Duration next() {
    Duration d = next_;
    next_ = std::min(max_, next_ * 2);
    return d;
  }
  void reset() {
    next_ = initial_;
  }

 private:
  Duration initial_;
  Duration max_;
  Duration next_;
};

}  // namespace hr

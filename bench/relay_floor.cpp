// relay_floor: this machine's floor for the learner's own part of learn-to-route latency.
//
// The learner's own part (docs/host-routing.md) is two process wake-ups: the kernel hands a
// frame to hostroute_learner, which writes an intent to fpm_client, which writes a ROUTE_ADD
// to zebra. relay_floor does the same hops with no work in between: a sender writes its
// clock into a unix socket, a first process waits for it in epoll and passes it on through
// a second socket to a second process, which waits in epoll too and notes the delay. On an
// idle machine that is a few tens of microseconds; on a loaded one it is the time the
// scheduler takes to run the woken processes, which no daemon can beat.
//
//   relay_floor COUNT GAP_MS    (prints {"n":..,"p50_us":..,"p99_us":..,"max_us":..} on stdout)
//
// Run by bench/lab_learning.py beside the learner, in the same run.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

int64_t nowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Waits for one 8-byte message on `in` through epoll, as the daemons' loops do.
bool receive(int ep, int in, int64_t& v) {
  epoll_event ev{};
  for (;;) {
    int n = ::epoll_wait(ep, &ev, 1, -1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n != 1) {
      return false;
    }
    return ::read(in, &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v));
  }
}

int waiter(int in) {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = in;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev);
  return ep;
}

int pct(std::vector<int64_t>& v, size_t p) {
  size_t k = (v.size() * p + 99) / 100;
  k = k == 0 ? 0 : k - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<int>(v[k] / 1000);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: relay_floor COUNT GAP_MS\n");
    return 2;
  }
  const long count = std::strtol(argv[1], nullptr, 10);
  const double gapMs = std::strtod(argv[2], nullptr);
  if (count <= 0 || gapMs < 0) {
    std::fprintf(stderr, "relay_floor: COUNT > 0, GAP_MS >= 0\n");
    return 2;
  }
  int a[2];
  int b[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0 ||
      ::socketpair(AF_UNIX, SOCK_STREAM, 0, b) < 0) {
    std::perror("relay_floor");
    return 1;
  }
  pid_t relay = ::fork();
  if (relay == 0) {  // the first hop (the learner's place)
    int ep = waiter(a[1]);
    int64_t v = 0;
    while (receive(ep, a[1], v)) {
      if (::write(b[0], &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v))) {
        break;
      }
    }
    ::_exit(0);
  }
  pid_t last = ::fork();
  if (last == 0) {  // the second hop (fpm_client's place): notes the delays
    int ep = waiter(b[1]);
    std::vector<int64_t> d;
    d.reserve(static_cast<size_t>(count));
    int64_t v = 0;
    while (static_cast<long>(d.size()) < count && receive(ep, b[1], v)) {
      d.push_back(nowNs() - v);
    }
    int64_t mx = d.empty() ? 0 : *std::max_element(d.begin(), d.end());
    std::printf(
        "{\"n\": %zu, \"p50_us\": %d, \"p99_us\": %d, \"max_us\": %lld}\n",
        d.size(),
        d.empty() ? 0 : pct(d, 50),
        d.empty() ? 0 : pct(d, 99),
        static_cast<long long>(mx / 1000));
    std::fflush(stdout);
    ::_exit(0);
  }
  const int64_t gapNs = static_cast<int64_t>(gapMs * 1e6);
  const int64_t start = nowNs();
  for (long i = 0; i < count; ++i) {
    int64_t due = start + i * gapNs;
    for (int64_t t = nowNs(); t < due; t = nowNs()) {
      timespec ts{
          static_cast<time_t>((due - t) / 1'000'000'000),
          static_cast<long>((due - t) % 1'000'000'000)};
      ::nanosleep(&ts, nullptr);
    }
    int64_t t = nowNs();
    if (::write(a[0], &t, sizeof(t)) != static_cast<ssize_t>(sizeof(t))) {
      break;
    }
  }
  int status = 0;
  ::waitpid(last, &status, 0);
  ::kill(relay, SIGTERM);
  ::waitpid(relay, &status, 0);
  return 0;
}

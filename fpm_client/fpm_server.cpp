#include "fpm_client/fpm_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hr::fpm_client {

namespace {

std::string sockaddrStr(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &s->sin_addr, buf, sizeof(buf));
    return fmt::format("{}:{}", buf, ntohs(s->sin_port));
  }
  const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
  ::inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof(buf));
  return fmt::format("[{}]:{}", buf, ntohs(s->sin6_port));
}

// Reads at most this much per readiness callback, so acks from the data path and timers
// are served in between (one loop, CONVENTIONS §3).
constexpr size_t kReadBudget = 4 << 20;

}  // namespace

Result<std::unique_ptr<FpmServer>> FpmServer::listen(
    EventLoop& loop, const IpAddress& addr, uint16_t port, Callbacks cb) {
  auto s = std::make_unique<FpmServer>(Token{}, loop, std::move(cb));
  int family = addr.isV4() ? AF_INET : AF_INET6;
  s->listen_ = Fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s->listen_) {
    return fail("fpm.listen", "socket: {}", strerror(errno));
  }
  int one = 1;
  ::setsockopt(s->listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (addr.isV4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, addr.bytes().data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    std::memcpy(&a->sin6_addr, addr.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  }
  if (::bind(s->listen_.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return fail("fpm.listen", "bind {}:{}: {}", addr.str(), port, strerror(errno));
  }
  if (::listen(s->listen_.get(), 4) < 0) {
    return fail("fpm.listen", "listen {}:{}: {}", addr.str(), port, strerror(errno));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  ::getsockname(s->listen_.get(), reinterpret_cast<sockaddr*>(&bound), &blen);
  s->local_ = sockaddrStr(bound);
  auto* raw = s.get();
  HR_TRY_VOID(loop.addFd(s->listen_.get(), EPOLLIN, [raw](uint32_t) { raw->onAccept(); }));
  return s;
}

FpmServer::~FpmServer() {
  if (conn_) {
    loop_.removeFd(conn_.get());
  }
  if (listen_) {
    loop_.removeFd(listen_.get());
  }
}

void FpmServer::onAccept() {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    Fd c(::accept4(
        listen_.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!c) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        spdlog::warn("event=fpm_accept_failed reason=\"{}\"", strerror(errno));
      }
      return;
    }
    if (conn_) {
      ++stats_.replaced;
      closeSession("replaced by a new connection", false);
    }
    ++stats_.accepts;
    conn_ = std::move(c);
    peer_ = sockaddrStr(ss);
    since_ = loop_.now();
    reader_.reset();
    int rcv = 4 << 20;
    ::setsockopt(conn_.get(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    spdlog::info("event=fpm_session_up peer={} local={}", peer_, local_);
    if (cb_.sessionUp) {
      cb_.sessionUp(peer_);
    }
    if (!conn_) {
      return;  // the callback closed it
    }
    if (auto st =
            loop_.addFd(conn_.get(), paused_ ? 0u : EPOLLIN, [this](uint32_t) { onReadable(); });
        !st) {
      spdlog::error("event=fpm_session_error reason=\"{}\"", st.error().message);
      closeSession("cannot watch the socket", false);
    }
  }
}

void FpmServer::pause(bool paused) {
  if (paused == paused_) {
    return;
  }
  paused_ = paused;
  if (paused) {
    ++stats_.pauses;
  }
  if (conn_) {
    (void)loop_.modifyFd(conn_.get(), paused ? 0u : EPOLLIN);
    if (!paused) {
      // Data may already be waiting (level-triggered epoll reports it again anyway).
      loop_.defer([this] {
        if (conn_ && !paused_) {
          onReadable();
        }
      });
    }
  }
}

void FpmServer::onReadable() {
  size_t total = 0;
  while (conn_ && !paused_ && total < kReadBudget) {
    ssize_t n = ::read(conn_.get(), buf_.data(), std::min(buf_.size(), reader_.room()));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      closeSession(fmt::format("read: {}", strerror(errno)), false);
      return;
    }
    if (n == 0) {
      ++stats_.closedByPeer;
      closeSession("closed by zebra", false);
      return;
    }
    total += static_cast<size_t>(n);
    stats_.bytes += static_cast<size_t>(n);
    reader_.append(std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
    for (;;) {
      auto f = reader_.next();
      if (!f) {
        ++stats_.errors["fpm_" + f.error().code];
        closeSession(fmt::format("malformed frame header: {}", f.error().str()), true);
        return;
      }
      if (!*f) {
        break;
      }
      ++stats_.frames;
      Status st = cb_.frame ? cb_.frame(**f) : ok();
      if (!st) {
        ++stats_.errors["netlink_" + st.error().code];
        closeSession(
            fmt::format("malformed netlink in frame {}: {}", stats_.frames, st.error().str()),
            true);
        return;
      }
      if (!conn_) {
        return;
      }
    }
  }
}

void FpmServer::closeSession(const std::string& reason, bool malformed) {
  if (!conn_) {
    return;
  }
  loop_.removeFd(conn_.get());
  conn_.reset();
  reader_.reset();
  lastDownReason_ = reason;
  if (malformed) {
    ++stats_.resets;
    if (auto n = rl_.allow("malformed", loop_.now())) {
      spdlog::warn(
          "event=fpm_session_reset peer={} reason=\"{}\" suppressed={} action=\"closed; zebra "
          "reconnects and replays, the mirror is kept\"",
          peer_,
          reason,
          *n);
    }
  } else {
    spdlog::info("event=fpm_session_down peer={} reason=\"{}\"", peer_, reason);
  }
  if (cb_.sessionDown) {
    cb_.sessionDown(reason);
  }
}

nlohmann::json FpmServer::statusJson(TimePoint now) const {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [k, v] : stats_.errors) {
    errors[k] = v;
  }
  nlohmann::json j = {
      {"listen", local_},
      {"connected", connected()},
      {"peer", connected() ? nlohmann::json(peer_) : nlohmann::json(nullptr)},
      {"readPaused", paused_},
      {"lastDownReason",
       lastDownReason_.empty() ? nlohmann::json(nullptr) : nlohmann::json(lastDownReason_)},
      {"accepts", stats_.accepts},
      {"replaced", stats_.replaced},
      {"closedByPeer", stats_.closedByPeer},
      {"resets", stats_.resets},
      {"bytes", stats_.bytes},
      {"frames", stats_.frames},
      {"pauses", stats_.pauses},
      {"errors", errors},
  };
  if (connected()) {
    j["upSeconds"] = std::chrono::duration<double>(now - since_).count();
  }
  return j;
}

}  // namespace hr::fpm_client

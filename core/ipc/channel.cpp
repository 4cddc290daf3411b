#include "core/ipc/channel.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>

#include "core/assert.h"
#include "core/log.h"

namespace hr::ipc {
namespace {

Result<sockaddr_un> unixAddress(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path)) {
    return fail(
        "ipc.path_too_long",
        "socket path '{}' is longer than {} bytes",
        path,
        sizeof(sa.sun_path) - 1);
  }
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

// A blocking client socket connected to `path`, or the connect error classified (see
// requestOnce in channel.h).
Result<Fd> connectTo(const std::string& path) {
  HR_TRY(auto sa, unixAddress(path));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    return fail("ipc.socket", "socket: {}", strerror(errno));
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    int e = errno;
    if (e == ENOENT || e == ECONNREFUSED) {
      return fail(
          "ipc.not_running",
          "cannot connect to {}: {} (the daemon is not running)",
          path,
          strerror(e));
    }
    if (e == EACCES || e == EPERM) {
      return fail("ipc.permission", "cannot connect to {}: {} (run as root)", path, strerror(e));
    }
    return fail("ipc.connect", "cannot connect to {}: {}", path, strerror(e));
  }
  return fd;
}

}  // namespace

Channel::Channel(EventLoop& loop, Fd fd, uint64_t id, Counters* counters)
    : loop_(loop), fd_(std::move(fd)), id_(id), counters_(counters) {}

Channel::~Channel() {
  *alive_ = false;
  if (fd_) {
    loop_.removeFd(fd_.get());
  }
}

Status Channel::start(MessageHandler onMessage, CloseHandler onClose) {
  onMessage_ = std::move(onMessage);
  onClose_ = std::move(onClose);
  return loop_.addFd(fd_.get(), EPOLLIN | EPOLLRDHUP, [this](uint32_t ev) { onEvents(ev); });
}

bool Channel::subscribed(const std::string& topic) const {
  return std::find(subs_.begin(), subs_.end(), topic) != subs_.end();
}

bool Channel::send(const Envelope& e) {
  if (!fd_ || closing_) {
    return false;
  }
  std::string bytes;
  if (!e.SerializeToString(&bytes)) {
    HR_BUG("ipc: envelope failed to serialize");
    return false;
  }
  if (pendingOutput() + bytes.size() > kMaxOutput) {
    if (counters_ != nullptr) {
      ++counters_->counter(
          "ipc.slow_peer_disconnects",
          "control connections closed because the peer stopped reading");
    }
    close("peer too slow: output buffer full");
    return false;
  }
  if (outPos_ > 0 && outPos_ == out_.size()) {
    out_.clear();
    outPos_ = 0;
  }
  appendFrame(
      out_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (counters_ != nullptr) {
    ++counters_->counter("ipc.tx_messages", "control messages sent");
  }
  flush();
  return fd_.valid();
}

void Channel::flush() {
  while (fd_ && outPos_ < out_.size()) {
    ssize_t n = ::send(
        fd_.get(), out_.data() + outPos_, out_.size() - outPos_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      close(fmt::format("send: {}", strerror(errno)));
      return;
    }
    outPos_ += static_cast<size_t>(n);
  }
  if (outPos_ == out_.size()) {
    out_.clear();
    outPos_ = 0;
  }
  updateInterest();
}

void Channel::updateInterest() {
  if (!fd_ || closing_) {
    return;
  }
  bool want = outPos_ < out_.size();
  if (want != wantWrite_) {
    wantWrite_ = want;
    (void)loop_.modifyFd(fd_.get(), EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u));
  }
}

void Channel::onEvents(uint32_t events) {
  if (events & EPOLLOUT) {
    flush();
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    readSome();
  }
}

void Channel::readSome() {
  uint8_t buf[65536];
  auto alive = alive_;
  for (int rounds = 0; rounds < 64 && fd_ && !closing_; ++rounds) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      close(fmt::format("recv: {}", strerror(errno)));
      return;
    }
    if (n == 0) {
      close("peer closed the connection");
      return;
    }
    if (auto st = decoder_.feed(std::span<const uint8_t>(buf, static_cast<size_t>(n))); !st) {
      if (counters_ != nullptr) {
        ++counters_->counter(
            "ipc.rx_bad_frames", "control frames refused (too long or unparsable)");
      }
      close(st.error().message);
      return;
    }
    std::string frame;
    while (decoder_.next(frame)) {
      Envelope e;
      if (!e.ParseFromString(frame)) {
        if (counters_ != nullptr) {
          ++counters_->counter(
              "ipc.rx_bad_frames", "control frames refused (too long or unparsable)");
        }
        close("unparsable envelope");
        return;
      }
      if (counters_ != nullptr) {
        ++counters_->counter("ipc.rx_messages", "control messages received");
      }
      onMessage_(*this, e);
      if (!*alive || !fd_ || closing_) {
        return;  // the handler closed or destroyed us
      }
    }
    if (decoder_.failed()) {
      if (counters_ != nullptr) {
        ++counters_->counter(
            "ipc.rx_bad_frames", "control frames refused (too long or unparsable)");
      }
      close("frame too long");
      return;
    }
  }
}

void Channel::close(const std::string& reason) {
  if (closing_) {
    return;
  }
  closing_ = true;
  if (fd_) {
    loop_.removeFd(fd_.get());
    fd_.reset();
  }
  HR_DEBUG(Ipc, "event=ipc_close channel={} peer={} reason=\"{}\"", id_, peerDaemon_, reason);
  std::weak_ptr<bool> alive = alive_;
  loop_.defer([this, alive, reason] {
    if (auto a = alive.lock(); a && *a && onClose_) {
      auto cb = std::move(onClose_);  // the handler may destroy this channel
      cb(*this, reason);
    }
  });
}

Result<std::unique_ptr<ControlServer>> ControlServer::listen(
    EventLoop& loop, const std::string& path, Counters& counters) {
  auto s = std::make_unique<ControlServer>(Key(), loop, counters);
  s->path_ = path;
  HR_TRY(auto sa, unixAddress(path));
  s->listen_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s->listen_) {
    return fail("ipc.socket", "socket: {}", strerror(errno));
  }
  ::unlink(path.c_str());
  if (::bind(s->listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    return fail("ipc.bind", "bind {}: {}", path, strerror(errno));
  }
  ::chmod(path.c_str(), 0660);
  if (::listen(s->listen_.get(), 64) < 0) {
    return fail("ipc.listen", "listen {}: {}", path, strerror(errno));
  }
  ControlServer* raw = s.get();
  HR_TRY_VOID(loop.addFd(s->listen_.get(), EPOLLIN, [raw](uint32_t) { raw->accept(); }));
  return s;
}

ControlServer::~ControlServer() {
  channels_.clear();
  if (listen_) {
    loop_.removeFd(listen_.get());
    ::unlink(path_.c_str());
  }
}

void ControlServer::accept() {
  for (;;) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      return;
    }
    uint64_t id = nextId_++;
    auto ch = std::make_unique<Channel>(loop_, Fd(fd), id, &counters_);
    Channel* raw = ch.get();
    channels_[id] = std::move(ch);
    ++counters_.counter("ipc.accepted", "control connections accepted");
    auto st = raw->start(
        [this](Channel& c, const Envelope& e) {
          if (onMessage_) {
            onMessage_(c, e);
          }
        },
        [this](Channel& c, const std::string&) {
          if (onDisconnect_) {
            onDisconnect_(c);
          }
          channels_.erase(c.id());  // runs from a deferred call: safe to destroy
        });
    if (!st) {
      spdlog::warn("event=ipc_accept_failed error=\"{}\"", st.error().message);
      channels_.erase(id);
    }
  }
}

void ControlServer::publish(const std::string& topic, const Envelope& e) {
  for (auto& [id, ch] : channels_) {
    if (ch->open() && ch->subscribed(topic)) {
      ch->send(e);
    }
  }
}

Connector::Connector(EventLoop& loop, std::string path, Counters& counters, std::string counterArea)
    : loop_(loop),
      path_(std::move(path)),
      counters_(counters),
      area_(std::move(counterArea)),
      redial_(loop, [this] { dial(); }) {}

void Connector::start(ChannelEvent onUp, MessageHandler onMessage, DownHandler onDown) {
  onUp_ = std::move(onUp);
  onMessage_ = std::move(onMessage);
  onDown_ = std::move(onDown);
  dial();
}

void Connector::scheduleRedial(const std::string& reason) {
  auto delay = backoff_.next();
  if (!loggedDown_) {
    spdlog::warn(
        "event=peer_unreachable socket={} reason=\"{}\" retry_ms={}",
        path_,
        reason,
        std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    loggedDown_ = true;
  }
  redial_.arm(delay);
}

void Connector::dial() {
  auto sa = unixAddress(path_);
  if (!sa) {
    scheduleRedial(sa.error().message);
    return;
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&*sa), sizeof(*sa)) < 0) {
    ++counters_.counter(area_ + ".connect_failures", "failed connection attempts to a peer daemon");
    scheduleRedial(strerror(errno));
    return;
  }
  channel_ = std::make_unique<Channel>(loop_, std::move(fd), 0, &counters_);
  auto st = channel_->start(
      [this](Channel& c, const Envelope& e) {
        if (onMessage_) {
          onMessage_(c, e);
        }
      },
      [this](Channel&, const std::string& reason) {
        ++counters_.counter(area_ + ".disconnects", "connections to a peer daemon lost");
        spdlog::warn("event=peer_disconnected socket={} reason=\"{}\"", path_, reason);
        loggedDown_ = true;
        if (onDown_) {
          onDown_(reason);
        }
        channel_.reset();  // deferred call: safe
        redial_.arm(backoff_.next());
      });
  if (!st) {
    channel_.reset();
    scheduleRedial(st.error().message);
    return;
  }
  backoff_.reset();
  loggedDown_ = false;
  ++counters_.counter(area_ + ".connects", "connections established to a peer daemon");
  spdlog::info("event=peer_connected socket={}", path_);
  if (onUp_) {
    onUp_(*channel_);
  }
}

Status probe(const std::string& path) {
  HR_TRY(auto fd, connectTo(path));
  (void)fd;
  return ok();
}

Result<Envelope> requestOnce(
    const std::string& path, const Envelope& req, std::chrono::milliseconds timeout) {
  HR_TRY(auto fd, connectTo(path));
  std::vector<uint8_t> out;
  std::string bytes;
  req.SerializeToString(&bytes);
  appendFrame(
      out, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("ipc.send", "send to {}: {}", path, strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  FrameDecoder dec;
  uint8_t buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      return fail(
          "ipc.timeout",
          "no reply from {} within {} ms (the daemon is not responding)",
          path,
          timeout.count());
    }
    pollfd p{fd.get(), POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(left));
    if (pr < 0 && errno == EINTR) {
      continue;
    }
    if (pr <= 0) {
      continue;
    }
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("ipc.recv", "recv from {}: {}", path, strerror(errno));
    }
    if (n == 0) {
      return fail("ipc.closed", "{} closed the connection without a reply", path);
    }
    HR_TRY_VOID(dec.feed(std::span<const uint8_t>(buf, static_cast<size_t>(n))));
    std::string frame;
    while (dec.next(frame)) {
      Envelope e;
      if (!e.ParseFromString(frame)) {
        return fail("ipc.bad_reply", "unparsable reply from {}", path);
      }
      if (e.id() == req.id()) {
        return e;
      }
    }
  }
}

}  // namespace hr::ipc

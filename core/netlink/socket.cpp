#include "core/netlink/socket.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>

#include <chrono>

namespace hr {

Result<NetlinkSocket> NetlinkSocket::open(
    std::span<const uint32_t> groups, int rcvbuf, const std::string& netnsPath) {
  Fd origNs;
  if (!netnsPath.empty()) {
    origNs = Fd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    Fd target(::open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!origNs || !target) {
      return fail("netns", "cannot open network namespace {}: {}", netnsPath, strerror(errno));
    }
    if (::setns(target.get(), CLONE_NEWNET) < 0) {
      return fail("netns", "setns({}): {}", netnsPath, strerror(errno));
    }
  }
  NetlinkSocket s;
  s.fd_ = Fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  int savedErrno = errno;
  if (origNs) {
    ::setns(origNs.get(), CLONE_NEWNET);
  }
  if (!s.fd_) {
    return fail("socket", "netlink socket: {}", strerror(savedErrno));
  }
  if (::setsockopt(s.fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
    ::setsockopt(s.fd_.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  int one = 1;
  ::setsockopt(s.fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  ::setsockopt(s.fd_.get(), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(s.fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    return fail("bind", "netlink bind: {}", strerror(errno));
  }
  socklen_t len = sizeof(sa);
  ::getsockname(s.fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  s.portId_ = sa.nl_pid;
  for (uint32_t g : groups) {
    if (::setsockopt(s.fd_.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
      return fail("membership", "join netlink group {}: {}", g, strerror(errno));
    }
  }
  s.buf_.resize(1 << 20);
  return s;
}

Status NetlinkSocket::send(std::span<const uint8_t> buf) {
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  ssize_t n =
      ::sendto(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return fail("again", "netlink send would block");
    }
    return fail("send", "netlink send: {}", strerror(errno));
  }
  if (static_cast<size_t>(n) != buf.size()) {
    return fail("short_send", "netlink sent {} of {} bytes", n, buf.size());
  }
  return ok();
}

Result<std::vector<codec::nl::Message>> NetlinkSocket::recv() {
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf_.data(), buf_.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return std::vector<codec::nl::Message>{};
      }
      if (errno == ENOBUFS) {
        return fail("overrun", "netlink receive buffer overrun: events lost");
      }
      return fail("recv", "netlink recv: {}", strerror(errno));
    }
    if (static_cast<size_t>(n) > buf_.size()) {
      buf_.resize(static_cast<size_t>(n));
      return fail("truncated", "netlink datagram of {} bytes truncated; buffer grown", n);
    }
    return codec::nl::split(std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
  }
}

namespace {
bool waitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  if (left <= 0) {
    return false;
  }
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(left)) > 0;
}
}  // namespace

Result<std::vector<std::vector<uint8_t>>> NetlinkSocket::dump(
    uint16_t type, uint8_t family, int timeoutMs) {
  std::vector<uint8_t> req;
  uint32_t seq = nextSeq();
  codec::nl::encodeDumpRequest(req, type, family, seq);
  HR_TRY_VOID(send(req));
  std::vector<std::vector<uint8_t>> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    if (!waitReadable(fd_.get(), deadline)) {
      return fail("timeout", "netlink dump of type {} timed out", type);
    }
    HR_TRY(auto msgs, recv());
    for (const auto& m : msgs) {
      if (m.hdr.seq != seq || m.hdr.pid != portId_) {
        continue;  // an unrelated event on a subscribed socket
      }
      if (m.hdr.type == NLMSG_DONE) {
        return out;
      }
      if (m.hdr.type == NLMSG_ERROR) {
        HR_TRY(auto e, codec::nl::decodeError(m));
        if (e.error != 0) {
          return fail("dump_error", "netlink dump of type {}: {}", type, strerror(-e.error));
        }
        continue;
      }
      std::vector<uint8_t> copy;
      copy.reserve(codec::nl::kHeaderLen + m.payload.size());
      codec::ByteWriter w(copy);
      w.u32host(m.hdr.len);
      w.u16host(m.hdr.type);
      w.u16host(m.hdr.flags);
      w.u32host(m.hdr.seq);
      w.u32host(m.hdr.pid);
      w.bytes(m.payload);
      out.push_back(std::move(copy));
    }
  }
}

Result<std::vector<std::pair<uint32_t, int>>> NetlinkSocket::transact(
    std::span<const uint8_t> buf, size_t expectedAcks, int timeoutMs) {
  HR_TRY_VOID(send(buf));
  std::vector<std::pair<uint32_t, int>> acks;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (acks.size() < expectedAcks) {
    if (!waitReadable(fd_.get(), deadline)) {
      return fail(
          "timeout", "netlink: {} of {} acks before the deadline", acks.size(), expectedAcks);
    }
    HR_TRY(auto msgs, recv());
    for (const auto& m : msgs) {
      if (m.hdr.type != NLMSG_ERROR || m.hdr.pid != portId_) {
        continue;
      }
      HR_TRY(auto e, codec::nl::decodeError(m));
      acks.emplace_back(e.orig.seq, e.error);
    }
  }
  return acks;
}

}  // namespace hr

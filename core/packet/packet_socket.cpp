#include "core/packet/packet_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace hr {

Result<PacketSocket> PacketSocket::open(
    uint16_t ethertype,
    int ifindex,
    std::span<const sock_filter> filter,
    const std::string& netnsPath) {
  PacketSocket s;
  // A socket belongs to the network namespace it was created in: enter the target one for
  // the socket() call only.
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
  // Open with protocol 0 so nothing is queued before the filter is attached, then bind.
  s.fd_ = Fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  int savedErrno = errno;
  if (origNs && ::setns(origNs.get(), CLONE_NEWNET) < 0) {
    return fail("netns", "cannot return from network namespace {}: {}", netnsPath, strerror(errno));
  }
  if (!s.fd_) {
    return fail("socket", "AF_PACKET socket: {}", strerror(savedErrno));
  }
  if (!filter.empty()) {
    sock_fprog prog{
        static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
    if (::setsockopt(s.fd_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
      return fail("filter", "attach BPF filter: {}", strerror(errno));
    }
  }
  sockaddr_ll sa{};
  sa.sll_family = AF_PACKET;
  sa.sll_protocol = htons(ethertype);
  sa.sll_ifindex = ifindex;
  if (::bind(s.fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    return fail("bind", "bind AF_PACKET to ifindex {}: {}", ifindex, strerror(errno));
  }
  int one = 1;
  ::setsockopt(s.fd_.get(), SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
  ::setsockopt(s.fd_.get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  s.buf_.resize(65536);
  return s;
}

namespace {

// SO_TIMESTAMPNS and PACKET_AUXDATA
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(tpacket_auxdata));

// One received message as a frame: `n` is the frame's real length (MSG_TRUNC), `cap` what
// the buffer held.
ReceivedFrame toFrame(
    const msghdr& mh, const sockaddr_ll& from, size_t n, const uint8_t* data, size_t cap) {
  ReceivedFrame f;
  f.truncated = n > cap;
  f.data = std::span<const uint8_t>(data, std::min(n, cap));
  f.ifindex = from.sll_ifindex;
  f.pktType = from.sll_pkttype;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&mh), c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS &&
        c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      f.rxRealtimeNs = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
  }
  return f;
}

}  // namespace

struct PacketSocket::Batch {
  std::vector<uint8_t> data = std::vector<uint8_t>(kBatch * kBatchFrameBytes);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_ll, kBatch> from{};
  struct alignas(cmsghdr) Control {
    char bytes[kControlBytes];
  };
  std::array<Control, kBatch> control{};
  std::array<ReceivedFrame, kBatch> frames{};
};

PacketSocket::PacketSocket() = default;
PacketSocket::~PacketSocket() = default;
PacketSocket::PacketSocket(PacketSocket&&) noexcept = default;
PacketSocket& PacketSocket::operator=(PacketSocket&&) noexcept = default;

Result<std::span<const ReceivedFrame>> PacketSocket::recvBatch() {
  if (!batch_) {
    batch_ = std::make_unique<Batch>();
  }
  Batch& b = *batch_;
  for (size_t i = 0; i < kBatch; ++i) {
    b.iov[i] = iovec{b.data.data() + i * kBatchFrameBytes, kBatchFrameBytes};
    msghdr& mh = b.msgs[i].msg_hdr;
    mh = msghdr{};
    mh.msg_name = &b.from[i];
    mh.msg_namelen = sizeof(sockaddr_ll);
    mh.msg_iov = &b.iov[i];
    mh.msg_iovlen = 1;
    mh.msg_control = b.control[i].bytes;
    mh.msg_controllen = kControlBytes;
    b.msgs[i].msg_len = 0;
  }
  for (;;) {
    int n = ::recvmmsg(fd_.get(), b.msgs.data(), kBatch, MSG_TRUNC, nullptr);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return std::span<const ReceivedFrame>{};
      }
      return fail("recv", "AF_PACKET recvmmsg: {}", strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
      b.frames[i] = toFrame(
          b.msgs[i].msg_hdr,
          b.from[i],
          b.msgs[i].msg_len,
          b.data.data() + static_cast<size_t>(i) * kBatchFrameBytes,
          kBatchFrameBytes);
    }
    return std::span<const ReceivedFrame>(b.frames.data(), static_cast<size_t>(n));
  }
}

Result<ReceivedFrame> PacketSocket::recv() {
  sockaddr_ll from{};
  socklen_t fromLen = sizeof(from);
  alignas(cmsghdr) char control[kControlBytes];
  for (;;) {
    iovec iov{buf_.data(), buf_.size()};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = fromLen;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd_.get(), &mh, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return ReceivedFrame{};
      }
      return fail("recv", "AF_PACKET recv: {}", strerror(errno));
    }
    return toFrame(mh, from, static_cast<size_t>(n), buf_.data(), buf_.size());
  }
}

Status PacketSocket::send(int ifindex, std::span<const uint8_t> frame) {
  if (frame.size() < ETH_HLEN) {
    return fail(
        "short_frame", "frame of {} bytes is shorter than an Ethernet header", frame.size());
  }
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = ETH_ALEN;
  std::memcpy(to.sll_addr, frame.data(), ETH_ALEN);
  ssize_t n = ::sendto(
      fd_.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return fail("again", "AF_PACKET send would block");
    }
    return fail("send", "AF_PACKET send on ifindex {}: {}", ifindex, strerror(errno));
  }
  return ok();
}

Status PacketSocket::ignoreOutgoing() {
  int one = 1;
  if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
    return fail("ignore_outgoing", "PACKET_IGNORE_OUTGOING: {}", strerror(errno));
  }
  return ok();
}

Result<PacketSocketStats> PacketSocket::stats() {
  tpacket_stats st{};
  socklen_t len = sizeof(st);
  if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) {
    return fail("statistics", "PACKET_STATISTICS: {}", strerror(errno));
  }
  // tp_packets counts the dropped frames too.
  return PacketSocketStats{st.tp_packets, st.tp_drops};
}

Status PacketSocket::addMembership(int ifindex, const MacAddress& mac) {
  packet_mreq mr{};
  mr.mr_ifindex = ifindex;
  mr.mr_type = PACKET_MR_MULTICAST;
  mr.mr_alen = ETH_ALEN;
  std::memcpy(mr.mr_address, mac.bytes().data(), ETH_ALEN);
  if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
    return fail(
        "membership",
        "PACKET_ADD_MEMBERSHIP {} on ifindex {}: {}",
        mac.str(),
        ifindex,
        strerror(errno));
  }
  return ok();
}

}  // namespace hr

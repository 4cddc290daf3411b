#include "vrrp_anycast/packet_io.h"

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <spdlog/spdlog.h>

#include <set>

#include "core/codec/vrrp.h"
#include "core/net/addr.h"

namespace hr::vrrp {
namespace {

// Classic BPF: accept Ethernet IPv4 with protocol 112 and IPv6 with next header 112.
constexpr sock_filter kFilter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),               // ethertype
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),  // IPv4?
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),               // IPv4 protocol
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 112, 3, 4),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 3),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),  // IPv6 next header
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 112, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0xffff),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

}  // namespace

PacketIo::PacketIo(EventLoop& loop, Counters& counters, FrameFn onFrame)
    : loop_(loop),
      onFrame_(std::move(onFrame)),
      rxFrames_(counters.counter("packets.rx", "VRRP frames received (before validation)")),
      txFrames_(counters.counter("packets.tx", "frames sent (advertisements, gratuitous ARP, NA)")),
      txErrors_(counters.counter("packets.tx_errors", "frames the kernel refused to send")),
      rxTruncated_(counters.counter(
          "packets.rx_truncated", "frames longer than the receive buffer (dropped)")),
      openErrors_(
          counters.counter("packets.socket_errors", "packet sockets that could not be opened")) {}

PacketIo::~PacketIo() {
  for (const auto& [idx, s] : sockets_) {
    loop_.removeFd(s->fd());
  }
}

void PacketIo::setInterfaces(const std::vector<int>& wanted) {
  std::set<int> want(wanted.begin(), wanted.end());
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (want.count(it->first) == 0) {
      loop_.removeFd(it->second->fd());
      spdlog::info("event=vrrp_socket_closed ifindex={}", it->first);
      it = sockets_.erase(it);
    } else {
      ++it;
    }
  }
  for (int idx : want) {
    if (sockets_.count(idx) != 0) {
      continue;
    }
    auto s = PacketSocket::open(ETH_P_ALL, idx, kFilter);
    if (!s) {
      ++openErrors_;
      spdlog::error("event=vrrp_socket_failed ifindex={} reason=\"{}\"", idx, s.error().str());
      continue;
    }
    auto sock = std::make_unique<PacketSocket>(std::move(*s));
    // The advertisement groups, for NICs that filter multicast (a bridge takes every group).
    for (Family f : {Family::V4, Family::V6}) {
      if (auto m = sock->addMembership(idx, codec::vrrp::groupMac(f)); !m) {
        spdlog::warn("event=vrrp_membership_failed ifindex={} reason=\"{}\"", idx, m.error().str());
      }
    }
    int fd = sock->fd();
    if (auto st = loop_.addFd(fd, EPOLLIN, [this, idx](uint32_t) { onReadable(idx); }); !st) {
      ++openErrors_;
      spdlog::error("event=vrrp_socket_failed ifindex={} reason=\"{}\"", idx, st.error().str());
      continue;
    }
    sockets_[idx] = std::move(sock);
    spdlog::info("event=vrrp_socket_open ifindex={}", idx);
  }
}

Status PacketIo::send(int ifindex, std::span<const uint8_t> frame) {
  auto it = sockets_.find(ifindex);
  if (it == sockets_.end()) {
    ++txErrors_;
    return fail("vrrp.no_socket", "no packet socket on ifindex {}", ifindex);
  }
  auto st = it->second->send(ifindex, frame);
  if (!st) {
    ++txErrors_;
    return st;
  }
  ++txFrames_;
  return ok();
}

void PacketIo::onReadable(int ifindex) {
  for (int i = 0; i < 64; ++i) {
    auto it = sockets_.find(ifindex);
    if (it == sockets_.end()) {
      return;  // closed by a callback
    }
    auto f = it->second->recv();
    if (!f) {
      spdlog::warn("event=vrrp_recv_error ifindex={} reason=\"{}\"", ifindex, f.error().str());
      return;
    }
    if (f->data.empty() && f->ifindex == 0) {
      return;
    }
    if (f->pktType == PACKET_OUTGOING) {
      continue;
    }
    if (f->truncated) {
      ++rxTruncated_;
      continue;
    }
    ++rxFrames_;
    onFrame_(ifindex, f->data);
  }
}

}  // namespace hr::vrrp

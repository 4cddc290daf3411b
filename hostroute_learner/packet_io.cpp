#include "hostroute_learner/packet_io.h"

#include <fmt/format.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"

namespace hr::learner {
namespace {

using namespace hr::codec::arpnd;

// Classic BPF: accept ARP, RARP, and IPv6 whose next header is ICMPv6 with type 135 or 136.
// Offsets are into the frame as the socket sees it (802.1Q tags are stripped into
// metadata by the kernel). Jump offsets count from the next instruction.
constexpr uint16_t kEthPRarp = 0x8035;
constexpr sock_filter kFilter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                 // 0: ethertype
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 7, 0),   // 1: ARP -> accept
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEthPRarp, 6, 0),   // 2: RARP -> accept
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 6),  // 3: not IPv6 -> drop
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),                 // 4: next header
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 4),          // 5: not ICMPv6 -> drop
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),                 // 6: ICMPv6 type
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 1, 0),         // 7: NS -> accept
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),         // 8: not NA -> drop
    BPF_STMT(BPF_RET | BPF_K, 0xffff),                      // 9: accept
    BPF_STMT(BPF_RET | BPF_K, 0),                           // 10: drop
};

}  // namespace

PacketIo::PacketIo(
    EventLoop& loop,
    const InterfaceDb& db,
    Counters& c,
    LearningFn isLearning,
    ObserveFn observe,
    NetnsScope scope)
    : loop_(loop),
      db_(db),
      counters_(c),
      isLearning_(std::move(isLearning)),
      observe_(std::move(observe)),
      scope_(std::move(scope)),
      statsTimer_(loop, [this] { readSocketStats(); }) {
  cRx_ = &c.counter("packets.rx", "ARP/ND frames received by the snooping socket");
  cMalformed_ = &c.counter(
      "packets.malformed", "frames that failed to decode (per reason: packets.malformed.<code>)");
  cIgnored_ = &c.counter("packets.ignored", "frames that were not ARP or ND NS/NA");
  cOtherIf_ = &c.counter("packets.other_interface", "frames on interfaces that do not learn");
  cOutgoing_ =
      &c.counter("packets.outgoing", "frames sent by this switch, seen by the socket and skipped");
  cDuplicateView_ = &c.counter(
      "packets.bridge_copy", "frames seen again on the bridge device after its port (skipped)");
  cShaMismatch_ = &c.counter(
      "packets.sha_mismatch",
      "ARP/ND link-layer addresses that differ from the Ethernet source (dropped)");
  cTx_ = &c.counter("probes.tx", "probe frames written to the wire");
  cTxErrors_ =
      &c.counter("probes.tx_errors", "probe frames the kernel refused (interface down, ...)");
  cTruncated_ = &c.counter("packets.truncated", "frames larger than the receive buffer");
  cSocketDrops_ = &c.counter(
      "packets.socket_drops",
      "frames the kernel dropped because the snooping socket's buffer was full (hosts missed "
      "until they send again or are probed)");
}

PacketIo::~PacketIo() {
  if (sock_) {
    loop_.removeFd(sock_->fd());
  }
}

Status PacketIo::start() {
  HR_TRY(auto s, PacketSocket::open(ETH_P_ALL, 0, kFilter, scope_.netns));
  sock_.emplace(std::move(s));
  // A burst of new hosts (a rack coming up: 10k ARPs at once) must not overflow the socket
  // while the loop is busy: the default (rmem_default, ~200 KB) held a few hundred frames and
  // lost most of a 5,000-host burst in bench/lab_injection.py. FORCE passes rmem_max (root).
  constexpr int kRcvBuf = 8 << 20;
  if (::setsockopt(sock_->fd(), SOL_SOCKET, SO_RCVBUFFORCE, &kRcvBuf, sizeof(kRcvBuf)) < 0) {
    (void)::setsockopt(sock_->fd(), SOL_SOCKET, SO_RCVBUF, &kRcvBuf, sizeof(kRcvBuf));
  }
  if (auto st = sock_->ignoreOutgoing(); !st) {
    // Older kernels: the frames still arrive and classify() skips them.
    spdlog::info("event=ignore_outgoing_unsupported reason=\"{}\"", st.error().message);
  }
  (void)sock_->stats();  // start the kernel's count from zero
  statsTimer_.arm(std::chrono::seconds(1));
  return loop_.addFd(sock_->fd(), EPOLLIN, [this](uint32_t) { onReadable(); });
}

void PacketIo::readSocketStats() {
  statsTimer_.arm(std::chrono::seconds(1));
  auto st = sock_->stats();
  if (!st || st->drops == 0) {
    return;
  }
  *cSocketDrops_ += st->drops;
  dropsSinceWarning_ += st->drops;
  TimePoint now = loop_.now();
  if (!lastDropWarning_ || now - *lastDropWarning_ >= std::chrono::minutes(1)) {
    spdlog::warn(
        "event=snooping_overflow dropped={} total={} netns=\"{}\" hint=\"the socket's buffer "
        "filled while the daemon was busy; missed hosts are learned when they send again\"",
        dropsSinceWarning_,
        cSocketDrops_->value(),
        scope_.netns);
    lastDropWarning_ = now;
    dropsSinceWarning_ = 0;
  }
}

void PacketIo::onReadable() {
  // Up to 8 batches (256 frames) per wake-up, then back to the loop so timers and the other
  // sockets get their turn; level-triggered epoll brings us back for the rest.
  for (int round = 0; round < 8; ++round) {
    auto batch = sock_->recvBatch();
    if (!batch) {
      spdlog::warn("event=packet_recv_failed reason=\"{}\"", batch.error().message);
      return;
    }
    if (batch->empty()) {
      return;
    }
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    const int64_t nowRealtimeNs = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    const TimePoint now = loop_.now();
    for (const ReceivedFrame& f : *batch) {
      onFrame(f, now, nowRealtimeNs);
    }
    if (batch->size() < PacketSocket::kBatch) {
      return;
    }
  }
}

void PacketIo::onFrame(const ReceivedFrame& f, TimePoint now, int64_t nowRealtimeNs) {
  // The kernel's receive time when it gave one (the frame may have waited in the socket
  // while the loop was busy), as a point on the loop's clock.
  TimePoint rx = now;
  if (f.rxRealtimeNs != 0) {
    int64_t waited = nowRealtimeNs - f.rxRealtimeNs;
    if (waited > 0) {
      rx -= std::chrono::nanoseconds(waited);
    }
  }
  ++*cRx_;
  if (f.truncated) {
    ++*cTruncated_;
    return;
  }
  int ifindex = scope_.toLearner(f.ifindex);
  if (ifindex == 0) {
    ++*cOtherIf_;
    return;
  }
  if (auto o = classify(f.data, ifindex, f.pktType)) {
    observe_(*o, rx);
  }
}

std::optional<Observation> PacketIo::classify(
    std::span<const uint8_t> frame, int ifindex, uint8_t pktType) {
  if (pktType == PACKET_OUTGOING) {
    ++*cOutgoing_;
    return std::nullopt;
  }
  // Which learning interface, which port.
  int l3 = ifindex;
  int port = 0;
  if (int br = db_.bridgeOf(ifindex); br != 0) {
    l3 = br;
    port = ifindex;
  } else if (db_.isBridge(ifindex) && db_.hasPorts(ifindex)) {
    ++*cDuplicateView_;
    return std::nullopt;
  }
  if (!isLearning_(l3)) {
    ++*cOtherIf_;
    return std::nullopt;
  }
  auto d = decode(frame);
  if (!d) {
    if (isIgnore(d.error())) {
      ++*cIgnored_;
    } else {
      ++*cMalformed_;
      ++counters_.counter(fmt::format("packets.malformed.{}", d.error().code));
      HR_DEBUG(Packets, "event=bad_frame ifindex={} reason=\"{}\"", ifindex, d.error().str());
    }
    return std::nullopt;
  }
  Observation o;
  o.ifindex = l3;
  o.port = port;
  if (const Arp* a = d->arp()) {
    if (a->sha != d->eth.src) {
      ++*cShaMismatch_;
      return std::nullopt;
    }
    o.mac = a->sha;
    if (a->isReverse()) {
      // RARP: a MAC and no address (a hypervisor announcing a migrated VM).
      o.ip = IpAddress::v4(uint32_t{0});
      o.source = Source::Rarp;
    } else if (a->isProbe()) {
      o.ip = a->tpa;
      o.source = Source::ArpProbe;
    } else {
      o.ip = a->spa;
      o.source = a->isGratuitous()
                     ? Source::Garp
                     : (a->op == ArpOp::Reply ? Source::ArpReply : Source::ArpRequest);
    }
  } else if (const Nd* n = d->nd()) {
    auto ll = n->linkLayer();
    if (ll && *ll != d->eth.src) {
      ++*cShaMismatch_;
      return std::nullopt;
    }
    o.mac = ll.value_or(d->eth.src);
    if (n->type == NdType::Ns) {
      if (n->isDad()) {
        o.ip = n->target;
        o.source = Source::DadNs;
      } else {
        o.ip = n->src;
        o.source = Source::Ns;
      }
    } else {
      o.ip = n->target;
      o.source = n->solicited ? Source::Na : Source::UnsolicitedNa;
    }
  }
  HR_DEBUG(
      Packets,
      "event=snooped ifindex={} port={} source={} addr={} mac={}",
      o.ifindex,
      o.port,
      sourceName(o.source),
      o.ip.str(),
      o.mac.str());
  return o;
}

Status PacketIo::send(const ProbeAction& p) {
  std::vector<uint8_t> frame;
  MacAddress dst = p.broadcast ? MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) : p.dstMac;
  if (p.target.isV4()) {
    frame = buildArpRequest(p.srcMac, p.src, dst, p.target);
  } else {
    frame = buildNs(
        p.srcMac, p.src, p.broadcast ? std::nullopt : std::optional<MacAddress>(dst), p.target);
  }
  if (!sock_ || !scope_.owns(p.sendIfindex)) {
    ++*cTxErrors_;
    return fail("probe.scope", "ifindex {} is not an interface of this namespace", p.sendIfindex);
  }
  auto st = sock_->send(kernelIfindexOf(p.sendIfindex), frame);
  if (!st) {
    ++*cTxErrors_;
    HR_DEBUG(
        Packets,
        "event=probe_send_failed ifindex={} addr={} reason=\"{}\"",
        p.sendIfindex,
        p.target.str(),
        st.error().message);
    return st;
  }
  ++*cTx_;
  HR_DEBUG(
      Packets,
      "event=probe_sent ifindex={} addr={} mac={} src={}",
      p.sendIfindex,
      p.target.str(),
      dst.str(),
      p.src.str());
  return ok();
}

}  // namespace hr::learner

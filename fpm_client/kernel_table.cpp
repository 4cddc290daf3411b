#include "fpm_client/kernel_table.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>

#include "core/codec/bytes.h"
#include "core/codec/netlink.h"

namespace hr::fpm_client {

namespace nl = codec::nl;

namespace {

constexpr size_t kDatagram = 64 * 1024;

// The /32s of table `table` from an RTM_GETROUTE dump.
std::set<IpAddress> hostRoutesOf(const std::vector<std::vector<uint8_t>>& dump, uint32_t table) {
  static const nl::AttrPolicy policy[] = {
      {RTA_DST, nl::AttrKind::Binary, 4, 16},
      {RTA_OIF, nl::AttrKind::U32},
      {RTA_TABLE, nl::AttrKind::U32},
  };
  std::set<IpAddress> out;
  for (const auto& raw : dump) {
    auto msgs = nl::split(raw);
    if (!msgs) {
      continue;
    }
    for (const auto& m : *msgs) {
      if (m.hdr.type != RTM_NEWROUTE || m.payload.size() < sizeof(rtmsg)) {
        continue;
      }
      codec::ByteReader r(m.payload);
      uint8_t family = r.u8();
      uint8_t dstLen = r.u8();
      r.skip(2);
      uint8_t tableByte = r.u8();
      r.skip(7);
      auto attrs = nl::parseAttrs(m.payload.subspan(sizeof(rtmsg)), policy);
      if (!attrs || family != AF_INET || dstLen != 32) {
        continue;
      }
      uint32_t t = attrs->has(RTA_TABLE) ? attrs->get(RTA_TABLE)->u32() : tableByte;
      if (t != table || !attrs->has(RTA_DST)) {
        continue;
      }
      if (auto a = IpAddress::fromBytes(attrs->get(RTA_DST)->data)) {
        out.insert(*a);
      }
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<KernelTable>> KernelTable::open(
    EventLoop& loop, Counters& counters, uint32_t table, Done done) {
  HR_TRY(auto sock, NetlinkSocket::open({}, 8 << 20));
  auto existing = sock.dump(RTM_GETROUTE, AF_INET);
  auto kt =
      std::make_unique<KernelTable>(Key{}, loop, counters, table, std::move(done), std::move(sock));
  if (existing) {
    kt->leftovers_ = hostRoutesOf(*existing, table);
    if (!kt->leftovers_.empty()) {
      spdlog::info(
          "event=kernel_table_leftovers table={} routes={} action=\"kept until the learner's first "
          "sync\"",
          table,
          kt->leftovers_.size());
    }
  } else {
    spdlog::warn(
        "event=kernel_table_dump_failed table={} reason=\"{}\"", table, existing.error().message);
  }
  KernelTable* raw = kt.get();
  HR_TRY_VOID(loop.addFd(raw->sock_.fd(), EPOLLIN, [raw](uint32_t) { raw->onReadable(); }));
  return kt;
}

KernelTable::KernelTable(
    Key, EventLoop& loop, Counters& counters, uint32_t table, Done done, NetlinkSocket sock)
    : loop_(loop),
      counters_(counters),
      table_(table),
      done_(std::move(done)),
      sock_(std::move(sock)) {
  counters_.counter(
      "kernel_table.requests", "route requests sent to the kernel table (kernel-table method)");
  counters_.counter(
      "kernel_table.errors", "route requests the kernel refused (kernel-table method)");
}

KernelTable::~KernelTable() {
  loop_.removeFd(sock_.fd());
}

void KernelTable::encode(std::vector<uint8_t>& out, const Op& op, uint32_t seq) const {
  uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
  if (op.add) {
    flags |= NLM_F_CREATE | NLM_F_REPLACE;
  }
  nl::Builder b(out, op.add ? RTM_NEWROUTE : RTM_DELROUTE, flags, seq);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_dst_len = 32;
  rt.rtm_table =
      table_ < 256 ? static_cast<uint8_t>(table_) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = op.add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
  rt.rtm_type = op.add ? RTN_UNICAST : RTN_UNSPEC;
  b.fixed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&rt), sizeof(rt)));
  b.attrAddress(RTA_DST, op.key.address);
  b.attrU32(RTA_TABLE, table_);
  if (op.add) {
    b.attrU32(RTA_OIF, op.ifindex);
  }
  b.finish();
}

void KernelTable::apply(const std::vector<RouteOp>& ops) {
  for (const auto& op : ops) {
    if (op.backend != Backend::KernelTable || !op.key.address.isV4()) {
      continue;
    }
    queue_.push_back(Op{op.key, op.kind == RouteOp::Kind::Add, op.ifindex});
  }
  sendMore();
}

void KernelTable::sweepLeftovers(const std::set<IpAddress>& keep) {
  size_t n = 0;
  for (const auto& a : leftovers_) {
    if (keep.count(a)) {
      continue;
    }
    queue_.push_back(Op{RouteKey{"", a}, false, 0});
    ++n;
  }
  if (n > 0) {
    spdlog::info("event=kernel_table_sweep table={} routes={}", table_, n);
  }
  leftovers_.clear();
  sendMore();
}

void KernelTable::sendMore() {
  std::vector<uint8_t> buf;
  while (!queue_.empty() && inFlight_.size() < kWindow) {
    buf.clear();
    while (!queue_.empty() && inFlight_.size() < kWindow && buf.size() < kDatagram) {
      uint32_t seq = sock_.nextSeq();
      encode(buf, queue_.front(), seq);
      inFlight_.emplace(seq, std::move(queue_.front()));
      queue_.pop_front();
    }
    if (auto st = sock_.send(buf); !st) {
      // Nothing of this datagram reached the kernel: report each request as failed.
      spdlog::warn("event=kernel_table_send_failed reason=\"{}\"", st.error().message);
      for (auto it = inFlight_.begin(); it != inFlight_.end();) {
        ++counters_.counter("kernel_table.errors");
        done_(it->second.key, it->second.add, EIO);
        it = inFlight_.erase(it);
      }
      return;
    }
  }
}

void KernelTable::onReadable() {
  for (;;) {
    auto msgs = sock_.recv();
    if (!msgs) {
      spdlog::warn("event=kernel_table_recv_failed reason=\"{}\"", msgs.error().message);
      return;
    }
    if (msgs->empty()) {
      break;
    }
    for (const auto& m : *msgs) {
      if (m.hdr.type != NLMSG_ERROR) {
        continue;
      }
      auto e = nl::decodeError(m);
      if (!e) {
        continue;
      }
      auto it = inFlight_.find(m.hdr.seq);
      if (it == inFlight_.end()) {
        continue;
      }
      Op op = std::move(it->second);
      inFlight_.erase(it);
      ++counters_.counter("kernel_table.requests");
      int err = -e->error;
      if (err != 0 && !(err == ESRCH && !op.add)) {
        ++counters_.counter("kernel_table.errors");
      }
      done_(op.key, op.add, err == ESRCH && !op.add ? 0 : err);
    }
  }
  sendMore();
}

}  // namespace hr::fpm_client

// KernelTable: the kernel-table injection method (learning/injection/method kernel-table),
// the way Cumulus' redistribute-neighbour works and the baseline of bench/lab_injection.py.
// Each IPv4 host route goes into a dedicated kernel routing table N (`dev IFNAME`,
// proto boot, scope link) with batched netlink; zebra imports the table (`ip import-table N`)
// as route type table, instance N, which bgpd and ospfd redistribute (`redistribute table N`).
// FRR 8.4 has no `ipv6 import-table`, so IPv6 host routes keep going through ZAPI.
//
// Requests are sent many per datagram with NLM_F_ACK, at most kWindow in flight (so the
// acknowledgements cannot overrun the socket's receive buffer); each ACK or error goes back
// to RouteSync. Known problem of the method (ZAPI.md §6.3): zebra can lose deletions of a
// large table flushed at once and keep advertising routes the kernel no longer has.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/netlink/socket.h"
#include "fpm_client/route_sync.h"

namespace hr::fpm_client {

class KernelTable {
 public:
  // (key, add, errno): errno 0 = done.
  using Done = std::function<void(const RouteKey& key, bool add, int err)>;
  static constexpr size_t kWindow = 2048;

  static Result<std::unique_ptr<KernelTable>> open(
      EventLoop& loop, Counters& counters, uint32_t table, Done done);
  ~KernelTable();
  KernelTable(const KernelTable&) = delete;
  KernelTable& operator=(const KernelTable&) = delete;

  uint32_t table() const {
    return table_;
  }
  // Queues the kernel-table ops (others are ignored) and sends what the window allows.
  void apply(const std::vector<RouteOp>& ops);
  // IPv4 /32 routes that were in the table when fpm_client started (a previous run's).
  const std::set<IpAddress>& leftovers() const {
    return leftovers_;
  }
  // Deletes the leftovers that are not in `keep` (after the learner's first full sync).
  void sweepLeftovers(const std::set<IpAddress>& keep);
  size_t inFlight() const {
    return inFlight_.size();
  }
  size_t queued() const {
    return queue_.size();
  }

  struct Key {
    explicit Key() = default;
  };
  KernelTable(
      Key, EventLoop& loop, Counters& counters, uint32_t table, Done done, NetlinkSocket sock);

 private:
  struct Op {
    RouteKey key;
    bool add = true;
    uint32_t ifindex = 0;
  };
  void sendMore();
  void onReadable();
  void encode(std::vector<uint8_t>& out, const Op& op, uint32_t seq) const;

  EventLoop& loop_;
  Counters& counters_;
  uint32_t table_;
  Done done_;
  NetlinkSocket sock_;
  std::deque<Op> queue_;
  std::unordered_map<uint32_t, Op> inFlight_;
  std::set<IpAddress> leftovers_;
};

}  // namespace hr::fpm_client

// ZAPI codec rates (Google Benchmark): encoding the ROUTE_ADD/ROUTE_DELETE fpm_client sends,
// decoding what zebra sends (ROUTE_NOTIFY_OWNER, REDISTRIBUTE_ROUTE_ADD, INTERFACE_ADD) and
// splitting a stream of 10,000 messages. Baseline in the same run: a plain memcpy of the same
// bytes (what a codec can never beat).
//
//   build/bin/bench_zapi                   (or ./dev.sh bench zapi)
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "core/codec/zapi.h"

namespace {

using namespace hr;
using namespace hr::codec::zapi;

Message hostRoute(uint32_t i, bool v6) {
  Route r;
  if (v6) {
    std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8, 0, 1};
    b[12] = static_cast<uint8_t>(i >> 24);
    b[13] = static_cast<uint8_t>(i >> 16);
    b[14] = static_cast<uint8_t>(i >> 8);
    b[15] = static_cast<uint8_t>(i);
    r.prefix = Prefix::host(IpAddress::v6(b));
  } else {
    r.prefix = Prefix::host(IpAddress::v4(0x0a640000u + i));
  }
  r.message = kMsgNexthop | kMsgDistance | kMsgTag;
  Nexthop nh;
  nh.ifindex = 7;
  r.nexthops.push_back(nh);
  r.distance = 250;
  r.tag = 2;
  return Message{Command::RouteAdd, 0, r};
}

void BM_EncodeRouteAddV4(benchmark::State& st) {
  std::vector<uint8_t> out;
  out.reserve(64 * 10000);
  uint32_t i = 0;
  for (auto _ : st) {
    if (out.size() > 60 * 10000) {
      out.clear();
    }
    auto s = encode(out, hostRoute(i++, false), frr84());
    benchmark::DoNotOptimize(s);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_EncodeRouteAddV4);

void BM_EncodeRouteAddV6(benchmark::State& st) {
  std::vector<uint8_t> out;
  out.reserve(64 * 10000);
  uint32_t i = 0;
  for (auto _ : st) {
    if (out.size() > 60 * 10000) {
      out.clear();
    }
    auto s = encode(out, hostRoute(i++, true), frr84());
    benchmark::DoNotOptimize(s);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_EncodeRouteAddV6);

void BM_EncodeRouteDeleteV4(benchmark::State& st) {
  std::vector<uint8_t> out;
  out.reserve(64 * 10000);
  uint32_t i = 0;
  for (auto _ : st) {
    if (out.size() > 60 * 10000) {
      out.clear();
    }
    Route r;
    r.prefix = Prefix::host(IpAddress::v4(0x0a640000u + i++));
    auto s = encode(out, Message{Command::RouteDelete, 0, r}, frr84());
    benchmark::DoNotOptimize(s);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_EncodeRouteDeleteV4);

std::vector<uint8_t> one(const Message& m) {
  std::vector<uint8_t> out;
  (void)encode(out, m, frr84());
  return out;
}

void BM_DecodeNotifyOwner(benchmark::State& st) {
  NotifyOwner n;
  n.note = static_cast<uint32_t>(Note::Installed);
  n.prefix = *Prefix::parse("10.1.0.50/32");
  n.tableId = 254;
  auto bytes = one(Message{Command::RouteNotifyOwner, 0, n});
  for (auto _ : st) {
    auto d = decodeMessage(bytes, frr84());
    benchmark::DoNotOptimize(d);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_DecodeNotifyOwner);

void BM_DecodeRedistributedBgpRoute(benchmark::State& st) {
  Route r;
  r.type = route_type::kBgp;
  r.flags = kFlagSelected;
  r.message = kMsgNexthop | kMsgDistance | kMsgMetric | kMsgMtu;
  r.prefix = *Prefix::parse("2001:db8:1::77/128");
  Nexthop nh;
  nh.type = NexthopType::Ipv6Ifindex;
  nh.gate = *IpAddress::parse("fe80::1");
  nh.ifindex = 2;
  nh.weight = 1;
  r.nexthops.push_back(nh);
  r.distance = 20;
  auto bytes = one(Message{Command::RedistributeRouteAdd, 0, r});
  for (auto _ : st) {
    auto d = decodeMessage(bytes, frr84());
    benchmark::DoNotOptimize(d);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_DecodeRedistributedBgpRoute);

void BM_DecodeInterfaceAdd(benchmark::State& st) {
  Interface i;
  i.name = "br10";
  i.ifindex = 7;
  i.status = kIfStatusActive | kIfStatusLinkDetection;
  i.flags = kIffUp | kIffRunning;
  i.mtu = 1500;
  i.hwAddr = {2, 0, 0, 0, 0, 1};
  auto bytes = one(Message{Command::InterfaceAdd, 0, i});
  for (auto _ : st) {
    auto d = decodeMessage(bytes, frr84());
    benchmark::DoNotOptimize(d);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_DecodeInterfaceAdd);

std::vector<uint8_t> stream10k() {
  std::vector<uint8_t> s;
  for (uint32_t i = 0; i < 10000; ++i) {
    NotifyOwner n;
    n.note = static_cast<uint32_t>(Note::Installed);
    n.prefix = Prefix::host(IpAddress::v4(0x0a640000u + i));
    n.tableId = 254;
    (void)encode(s, Message{Command::RouteNotifyOwner, 0, n}, frr84());
  }
  return s;
}

// 10,000 notifications arriving in 64 KiB reads: split and decode each.
void BM_SplitAndDecode10k(benchmark::State& st) {
  auto s = stream10k();
  for (auto _ : st) {
    Splitter sp;
    size_t n = 0;
    for (size_t off = 0; off < s.size(); off += 65536) {
      sp.feed(std::span<const uint8_t>(s).subspan(off, std::min<size_t>(65536, s.size() - off)));
      for (;;) {
        auto f = sp.next();
        if (!f || !*f) {
          break;
        }
        auto d = decode(**f, frr84());
        n += d.outcome == Outcome::Ok;
      }
    }
    benchmark::DoNotOptimize(n);
  }
  st.SetItemsProcessed(st.iterations() * 10000);
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_SplitAndDecode10k);

// Baseline: copying the same 10,000 messages' bytes.
void BM_Baseline_Memcpy10k(benchmark::State& st) {
  auto s = stream10k();
  std::vector<uint8_t> dst(s.size());
  for (auto _ : st) {
    std::memcpy(dst.data(), s.data(), s.size());
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * 10000);
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_Baseline_Memcpy10k);

}  // namespace

// FPM codec micro-benchmarks: the per-route costs on fpm_client's hot path that do not
// depend on the kernel. Frames are zebra's own (NHG mode single-path route, inline ECMP
// route, as in tests/unit/fpm); items/s = routes per second on one core.
//
//   build/bin/bench_fpm
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "core/codec/fpm.h"
#include "core/codec/netlink.h"
#include "core/codec/netlink_route.h"

namespace {

using namespace hr::codec;

// FPM.md §2.2: NHG mode, 10.201.0.0/24 via next-hop group 16.
const std::vector<uint8_t> kNhgFrame = {
    0x01, 0x01, 0x00, 0x38, 0x34, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01, 0x05, 0x00, 0x00,
    0x00, 0x00, 0xeb, 0x2e, 0xdc, 0xe2, 0x02, 0x18, 0x00, 0x00, 0xfe, 0xba, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x0a, 0xc9, 0x00, 0x00, 0x08, 0x00,
    0x06, 0x00, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x1e, 0x00, 0x10, 0x00, 0x00, 0x00};

// Inline mode, ECMP over two gateways (RTA_MULTIPATH with NLA_F_NESTED).
const std::vector<uint8_t> kEcmpFrame = {
    0x01, 0x01, 0x00, 0x54, 0x50, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01, 0x05, 0x00, 0x00,
    0x00, 0x00, 0xeb, 0x2e, 0xdc, 0xe2, 0x02, 0x18, 0x00, 0x00, 0xfe, 0xba, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x0a, 0xc9, 0x00, 0x00, 0x08, 0x00,
    0x06, 0x00, 0x14, 0x00, 0x00, 0x00, 0x24, 0x00, 0x09, 0x80, 0x10, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x01, 0x01, 0x10, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x02, 0x01};

// A stream of n frames with distinct /32s (the bulk of a 100k load).
std::vector<uint8_t> stream(const std::vector<uint8_t>& frame, size_t n) {
  std::vector<uint8_t> out;
  out.reserve(frame.size() * n);
  for (size_t i = 0; i < n; ++i) {
    size_t at = out.size();
    out.insert(out.end(), frame.begin(), frame.end());
    out[at + 4 + 16 + 1] = 32;  // dst_len
    uint32_t addr = 0x64400000u + static_cast<uint32_t>(i);
    uint8_t b[4] = {uint8_t(addr >> 24), uint8_t(addr >> 16), uint8_t(addr >> 8), uint8_t(addr)};
    std::memcpy(&out[at + 4 + 16 + 12 + 4], b, 4);
  }
  return out;
}

void decodeAll(benchmark::State& state, const std::vector<uint8_t>& frame) {
  auto data = stream(frame, 10000);
  for (auto _ : state) {
    fpm::FrameReader r(data.size() + 16);
    r.append(data);
    size_t routes = 0;
    while (true) {
      auto f = r.next();
      if (!f || !*f) {
        break;
      }
      auto msgs = nl::split(**f);
      for (const auto& m : *msgs) {
        auto route = nl::decodeRoute(m);
        routes += route ? 1 : 0;
      }
    }
    benchmark::DoNotOptimize(routes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 10000);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}

void BM_DecodeNhgRouteFrames(benchmark::State& state) {
  decodeAll(state, kNhgFrame);
}
BENCHMARK(BM_DecodeNhgRouteFrames);

void BM_DecodeInlineEcmpFrames(benchmark::State& state) {
  decodeAll(state, kEcmpFrame);
}
BENCHMARK(BM_DecodeInlineEcmpFrames);

// Reassembly alone, reading the stream in 1460-byte TCP segments.
void BM_ReassembleSegments(benchmark::State& state) {
  auto data = stream(kNhgFrame, 10000);
  for (auto _ : state) {
    fpm::FrameReader r;
    size_t frames = 0;
    for (size_t off = 0; off < data.size(); off += 1460) {
      r.append(
          std::span<const uint8_t>(data).subspan(off, std::min<size_t>(1460, data.size() - off)));
      while (true) {
        auto f = r.next();
        if (!f || !*f) {
          break;
        }
        ++frames;
      }
    }
    benchmark::DoNotOptimize(frames);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 10000);
}
BENCHMARK(BM_ReassembleSegments);

// What the Linux backend writes per route: an RTM_NEWROUTE with RTA_NH_ID into a batch.
void BM_EncodeRouteBatch(benchmark::State& state) {
  nl::RouteMsg m;
  m.nlFlags = 0x501;
  m.family = hr::Family::V4;
  m.dstLen = 32;
  m.rtmTable = 254;
  m.protocol = 186;
  m.type = 1;
  m.priority = 20;
  m.nhId = 7;
  std::vector<uint8_t> buf;
  buf.reserve(1024 * 64);
  for (auto _ : state) {
    buf.clear();
    for (uint32_t i = 0; i < 1024; ++i) {
      m.seq = i;
      m.dst = hr::IpAddress::v4(0x64400000u + i);
      nl::encodeRoute(buf, m);
    }
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1024);
}
BENCHMARK(BM_EncodeRouteBatch);

}  // namespace

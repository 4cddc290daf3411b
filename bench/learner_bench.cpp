// The learner's pure core on one core: events per second and memory per host.
//
//   BM_LearnNewHosts     a burst of new hosts (ARP from each): admission, insert, publish
//   BM_RefreshKnownHosts the steady state: frames from hosts already known
//   BM_SpoofedGarp       announcements from a duplicate (the conflict path, rate-limited)
//   BM_AgeOutHosts       100k quiet hosts probed within the budget and withdrawn
//   BM_MemoryPerHost     bytes of heap per learned host (mallinfo2 before/after), with and
//                        without the timeline (reported as counters)
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <malloc.h>

#include "core/counters.h"
#include "hostroute_learner/host_table.h"

namespace {

using namespace hr;
using namespace hr::learner;

LearnerConfig config(uint8_t timeline) {
  LearnerConfig c;
  InterfaceConfig i;
  i.name = "br10";
  i.learning = true;
  i.subnets = {Prefix::parse("10.0.0.0/8").value()};
  c.interfaces.push_back(i);
  c.maxHosts = 10'000'000;
  c.timelineLength = timeline;
  c.holdTime = std::chrono::seconds(300);
  c.probeRateLimit = 100000;
  return c;
}

void interfaces(InterfaceDb& db) {
  InterfaceInfo br;
  br.ifindex = 10;
  br.name = "br10";
  br.kind = "bridge";
  br.mac = MacAddress::parse("02:00:00:00:00:10").value();
  br.up = true;
  db.upsertLink(br);
  db.addAddress(10, Prefix::parse("10.0.0.1/8").value());
  InterfaceInfo p;
  p.ifindex = 11;
  p.name = "p1";
  p.mac = MacAddress::parse("02:00:00:00:00:11").value();
  p.master = 10;
  p.up = true;
  db.upsertLink(p);
}

Observation obs(uint32_t i) {
  Observation o;
  o.ifindex = 10;
  o.port = 11;
  o.ip = IpAddress::v4(0x0a000000u + 2 + i);
  o.mac = MacAddress(
      {0x02,
       0xaa,
       static_cast<uint8_t>(i >> 24),
       static_cast<uint8_t>(i >> 16),
       static_cast<uint8_t>(i >> 8),
       static_cast<uint8_t>(i)});
  o.source = Source::ArpRequest;
  return o;
}

struct Table {
  Counters counters{"hostroute_learner"};
  HostTable t{counters};
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  Actions out;
  explicit Table(uint8_t timeline = 8) {
    interfaces(t.interfaces());
    t.configure(config(timeline), now, out);
  }
};

void BM_LearnNewHosts(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto tb = std::make_unique<Table>();
    state.ResumeTiming();
    for (uint32_t i = 0; i < n; ++i) {
      tb->t.observe(obs(i), tb->now, tb->out);
      tb->out.clear();
    }
    benchmark::DoNotOptimize(tb->t.liveHosts());
    state.PauseTiming();
    tb.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}
BENCHMARK(BM_LearnNewHosts)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_RefreshKnownHosts(benchmark::State& state) {
  const uint32_t n = 100'000;
  Table tb;
  for (uint32_t i = 0; i < n; ++i) {
    tb.t.observe(obs(i), tb.now, tb.out);
  }
  tb.out.clear();
  uint32_t i = 0;
  for (auto _ : state) {
    tb.t.observe(obs(i), tb.now, tb.out);
    tb.out.clear();
    i = (i + 7919) % n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RefreshKnownHosts);

void BM_SpoofedGarp(benchmark::State& state) {
  Table tb;
  tb.t.observe(obs(0), tb.now, tb.out);
  auto spoof = obs(0);
  spoof.mac = MacAddress::parse("02:bb:00:00:00:01").value();
  spoof.port = 12;
  auto reply = obs(0);
  reply.source = Source::ArpReply;
  tb.t.observe(spoof, tb.now, tb.out);
  tb.t.observe(reply, tb.now, tb.out);  // conflict decided: duplicate
  tb.out.clear();
  for (auto _ : state) {
    tb.t.observe(spoof, tb.now, tb.out);
    tb.out.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SpoofedGarp);

// 100k hosts go quiet at once: every probe (3 each, within a budget of 100k/s) and every
// withdrawal, driven by ticks every 10 ms as the daemon's timer would.
void BM_AgeOutHosts(benchmark::State& state) {
  const uint32_t n = 100'000;
  size_t actions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tb = std::make_unique<Table>();
    for (uint32_t i = 0; i < n; ++i) {
      tb->t.observe(obs(i), tb->now, tb->out);
    }
    tb->out.clear();
    TimePoint t = tb->now + std::chrono::seconds(297);
    state.ResumeTiming();
    while (tb->t.liveHosts() > 0) {
      t += std::chrono::milliseconds(10);
      tb->t.tick(t, tb->out);
      actions += tb->out.size();
      tb->out.clear();
    }
    state.PauseTiming();
    tb.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(actions));
}
BENCHMARK(BM_AgeOutHosts)->Unit(benchmark::kMillisecond);

size_t heapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void BM_MemoryPerHost(benchmark::State& state) {
  const uint32_t n = 100'000;
  const uint8_t timeline = static_cast<uint8_t>(state.range(0));
  double perHost = 0;
  for (auto _ : state) {
    malloc_trim(0);
    size_t before = heapInUse();
    {
      Table tb(timeline);
      for (uint32_t i = 0; i < n; ++i) {
        tb.t.observe(obs(i), tb.now, tb.out);
        tb.out.clear();
      }
      size_t after = heapInUse();
      perHost = static_cast<double>(after - before) / n;
    }
  }
  state.counters["bytes_per_host"] = perHost;
  state.counters["entry_bytes"] = static_cast<double>(HostTable::kHostEntryBytes);
  state.counters["timeline_bytes"] = static_cast<double>(timeline * sizeof(HostTable::Event));
}
BENCHMARK(BM_MemoryPerHost)->Arg(0)->Arg(8)->Arg(16)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

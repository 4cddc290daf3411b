#include "fpm_client/write_latency.h"

#include <algorithm>
#include <limits>

namespace hr::fpm_client {

void WriteLatency::intent(const RouteKey& key, uint64_t seenRealtimeUs) {
  if (seenRealtimeUs != 0) {
    seen_[key] = seenRealtimeUs;
  }
}

void WriteLatency::withdrawn(const RouteKey& key) {
  seen_.erase(key);
}

void WriteLatency::queued(const RouteKey& key, uint64_t mark) {
  auto it = seen_.find(key);
  if (it == seen_.end()) {
    return;
  }
  marks_.emplace_back(mark, it->second);
  seen_.erase(it);
}

void WriteLatency::endOfRound() {
  seen_.clear();
}

bool WriteLatency::written(uint64_t total, uint64_t nowRealtimeUs) {
  bool any = false;
  while (!marks_.empty() && marks_.front().first <= total) {
    uint64_t seen = marks_.front().second;
    add(nowRealtimeUs > seen ? nowRealtimeUs - seen : 0);
    marks_.pop_front();
    any = true;
  }
  if (any) {
    recompute();
  }
  return any;
}

void WriteLatency::reset() {
  seen_.clear();
  marks_.clear();
}

void WriteLatency::add(uint64_t us) {
  ring_[stats_.samples % kWindow] =
      static_cast<uint32_t>(std::min<uint64_t>(us, std::numeric_limits<uint32_t>::max()));
  ++stats_.samples;
  if (us > kTargetUs) {
    ++stats_.overTarget;
  }
}

void WriteLatency::recompute() {
  size_t n = std::min<uint64_t>(stats_.samples, kWindow);
  if (n == 0) {
    return;
  }
  auto copy = ring_;
  auto* b = copy.data();
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  auto rank = [n](size_t p) { return (n * p + 99) / 100 - 1; };
  size_t i50 = rank(50);
  size_t i99 = rank(99);
  std::nth_element(b, b + i99, b + n);
  stats_.p99Us = b[i99];
  stats_.maxUs = *std::max_element(b + i99, b + n);
  std::nth_element(b, b + i50, b + i99);
  stats_.p50Us = b[i50];
}

}  // namespace hr::fpm_client

#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <atomic>
#include <cstdlib>

#include "core/assert.h"

namespace hr {
namespace {
std::atomic<uint64_t> gBugs{0};
}

void reportBug(std::string_view file, int line, std::string_view what) {
  gBugs.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("event=bug where={}:{} what=\"{}\"", file, line, what);
}

uint64_t bugCount() {
  return gBugs.load(std::memory_order_relaxed);
}

}  // namespace hr

namespace hr::log {
namespace {
constexpr std::array<std::string_view, static_cast<size_t>(Debug::Count)> kDebugNames = {
    "packets", "zapi", "netlink", "fpm", "vrrp", "ipc", "config"};
std::array<bool, static_cast<size_t>(Debug::Count)> gDebug{};
spdlog::level::level_enum gConfigured = spdlog::level::info;

void applyLevel() {
  spdlog::set_level(effectiveLevel());
}
}  // namespace

std::string_view debugName(Debug d) {
  return kDebugNames[static_cast<size_t>(d)];
}

std::optional<Debug> parseDebug(std::string_view name) {
  for (size_t i = 0; i < kDebugNames.size(); ++i) {
    if (kDebugNames[i] == name) {
      return static_cast<Debug>(i);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> debugNames() {
  return {kDebugNames.begin(), kDebugNames.end()};
}

Result<spdlog::level::level_enum> parseLevel(std::string_view s) {
  if (s == "trace") {
    return spdlog::level::trace;
  }
  if (s == "debug") {
    return spdlog::level::debug;
  }
  if (s == "info") {
    return spdlog::level::info;
  }
  if (s == "warning" || s == "warn") {
    return spdlog::level::warn;
  }
  if (s == "error") {
    return spdlog::level::err;
  }
  if (s == "critical") {
    return spdlog::level::critical;
  }
  return fail(
      "log.bad_level", "unknown log level '{}' (trace|debug|info|warning|error|critical)", s);
}

Result<Target> parseTarget(std::string_view s) {
  if (s == "auto") {
    return Target::Auto;
  }
  if (s == "stderr") {
    return Target::Stderr;
  }
  if (s == "journald") {
    return Target::Journald;
  }
  return fail("log.bad_target", "unknown log target '{}' (auto|stderr|journald)", s);
}

void init(const std::string& daemon, Target target, spdlog::level::level_enum level) {
  if (target == Target::Auto) {
    target = std::getenv("JOURNAL_STREAM") != nullptr ? Target::Journald : Target::Stderr;
  }
  std::shared_ptr<spdlog::logger> logger;
  if (target == Target::Journald) {
    auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(daemon);
    logger = std::make_shared<spdlog::logger>(daemon, sink);
    logger->set_pattern("%v");
  } else {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    logger = std::make_shared<spdlog::logger>(daemon, sink);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f %n[%P] %l %v");
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  setLevel(level);
}

void setLevel(spdlog::level::level_enum level) {
  gConfigured = level;
  applyLevel();
}

spdlog::level::level_enum configuredLevel() {
  return gConfigured;
}

spdlog::level::level_enum effectiveLevel() {
  if (anyDebugOn() && gConfigured > spdlog::level::debug) {
    return spdlog::level::debug;
  }
  return gConfigured;
}

std::string_view levelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warning";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

void setDebug(Debug d, bool on) {
  gDebug[static_cast<size_t>(d)] = on;
  applyLevel();
}

bool anyDebugOn() {
  for (bool on : gDebug) {
    if (on) {
      return true;
    }
  }
  return false;
}

bool debugOn(Debug d) {
  return gDebug[static_cast<size_t>(d)];
}

std::vector<std::string> debugEnabledNames() {
  std::vector<std::string> out;
  for (size_t i = 0; i < gDebug.size(); ++i) {
    if (gDebug[i]) {
      out.emplace_back(kDebugNames[i]);
    }
  }
  return out;
}

std::optional<uint64_t> RateLimiter::allow(
    const std::string& key, std::chrono::steady_clock::time_point now) {
  auto& slot = slots_[key];
  if (slot.last == std::chrono::steady_clock::time_point{} || now - slot.last >= interval_) {
    uint64_t suppressed = slot.suppressed;
    slot.last = now;
    slot.suppressed = 0;
    return suppressed;
  }
  ++slot.suppressed;
  return std::nullopt;
}

}  // namespace hr::log

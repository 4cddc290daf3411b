// Logging (CONVENTIONS §5): one spdlog logger per daemon, to stderr or journald, with levels
// and runtime debug categories. Lines are structured key=value:
//   spdlog::info("event=host_learned vrf={} addr={} ifname={}", ...);
// Per-packet problems are counted and logged through a RateLimiter, never once per packet.
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace hr::log {

enum class Target { Auto, Stderr, Journald };

// Runtime debug categories (`hostroutectl debug CATEGORY on|off`, YANG logging/debug).
enum class Debug : uint8_t { Packets, Zapi, Netlink, Fpm, Vrrp, Ipc, Config, Count };

std::string_view debugName(Debug d);
std::optional<Debug> parseDebug(std::string_view name);
std::vector<std::string_view> debugNames();

Result<spdlog::level::level_enum> parseLevel(std::string_view s);
Result<Target> parseTarget(std::string_view s);

// Installs the process-wide logger named after the daemon. Auto = journald when started by
// systemd (JOURNAL_STREAM is set), stderr otherwise.
void init(const std::string& daemon, Target target, spdlog::level::level_enum level);

// Two levels: the configured one (config logging/level, --log-level, `log-level LEVEL`) and
// the one in effect, which is the configured one lowered to debug while any debug category
// is on (HR_DEBUG lines are spdlog::debug lines). Switching the last category off restores
// the configured level.
void setLevel(spdlog::level::level_enum level);
spdlog::level::level_enum configuredLevel();
spdlog::level::level_enum effectiveLevel();
std::string_view levelName(spdlog::level::level_enum level);

void setDebug(Debug d, bool on);
bool debugOn(Debug d);
bool anyDebugOn();
std::vector<std::string> debugEnabledNames();

// Allows one log line per key per interval and reports how many were suppressed in between.
class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::steady_clock::duration interval = std::chrono::seconds(10))
      : interval_(interval) {}
  // Returns the number of suppressed calls since the last allowed one when the caller may
  // log now, nullopt when it must stay quiet.
  std::optional<uint64_t> allow(const std::string& key, std::chrono::steady_clock::time_point now);

 private:
  struct Slot {
    std::chrono::steady_clock::time_point last{};
    uint64_t suppressed = 0;
  };
  std::chrono::steady_clock::duration interval_;
  std::unordered_map<std::string, Slot> slots_;
};

}  // namespace hr::log

#define HR_DEBUG(cat, ...)                           \
  do {                                               \
    if (::hr::log::debugOn(::hr::log::Debug::cat)) { \
      spdlog::debug(__VA_ARGS__);                    \
    }                                                \
  } while (0)

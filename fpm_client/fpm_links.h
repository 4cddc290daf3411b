// LinkWatcher: the links of one network namespace (adapter). A dump at start, then
// RTM_NEWLINK/RTM_DELLINK events; on a receive-buffer overrun it dumps again.
//
// The FPM feed names interfaces by zebra's ifindexes (FPM.md §0.4): fpm_client watches the
// links of zebra's namespace to turn them into names, and those of the target namespace to
// turn names back into ifindexes there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/event_loop.h"
#include "core/netlink/socket.h"
#include "core/result.h"
#include "fpm_client/fib_types.h"

namespace hr::fpm_client {

struct LinkInfo {
  uint32_t index = 0;
  std::string name;
  bool up = false;
  bool running = false;
  std::string kind;
  uint32_t vrfTable = 0;
  bool operator==(const LinkInfo&) const = default;
};

// The kernel tables of the VRF devices among `links` (zebra replays each VRF's table).
std::set<uint32_t> vrfTablesOf(const std::unordered_map<uint32_t, LinkInfo>& links);

class LinkWatcher {
  struct Token {
    explicit Token() = default;
  };

 public:
  using ChangeFn = std::function<void()>;
  LinkWatcher(Token, EventLoop& loop, std::string netnsPath, ChangeFn onChange)
      : loop_(loop), netnsPath_(std::move(netnsPath)), onChange_(std::move(onChange)) {}

  // netnsPath empty: the current namespace.
  static Result<std::unique_ptr<LinkWatcher>> create(
      EventLoop& loop, const std::string& netnsPath, ChangeFn onChange);
  ~LinkWatcher();
  LinkWatcher(const LinkWatcher&) = delete;
  LinkWatcher& operator=(const LinkWatcher&) = delete;

  const IfNames& names() const {
    return names_;
  }
  const std::unordered_map<uint32_t, LinkInfo>& links() const {
    return links_;
  }
  std::optional<uint32_t> index(const std::string& name) const;
  const LinkInfo* byName(const std::string& name) const;
  // Tables of the VRF devices (zebra replays each VRF's table).
  std::set<uint32_t> vrfTables() const;
  uint64_t overruns() const {
    return overruns_;
  }

 private:
  Status dumpAll();
  void reindex();
  void onReadable();
  bool apply(const codec::nl::Message& m);

  EventLoop& loop_;
  std::string netnsPath_;
  ChangeFn onChange_;
  std::optional<NetlinkSocket> events_;
  std::unordered_map<uint32_t, LinkInfo> links_;
  IfNames names_;
  std::unordered_map<std::string, uint32_t> byName_;
  uint64_t overruns_ = 0;
};

}  // namespace hr::fpm_client

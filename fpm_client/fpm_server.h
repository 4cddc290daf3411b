// FpmServer: the TCP side of zebra's FPM session (adapter). zebra (dplane_fpm_nl) is the
// client: it connects to `fpm address A port P` and streams frames; it never reads what
// we send (FRR 8.4 discards it), so this side only reads.
//
// One session at a time: a new connection replaces the current one (zebra only connects
// when it believes it has none). Frames are reassembled across reads (codec/fpm.h) and
// handed over one payload at a time. A malformed header or payload is counted by reason,
// and the session is closed cleanly: zebra reconnects 3 s later and replays its FIB, while
// everything already mirrored stays (the daemon keeps running).
//
// Back-pressure: pause(true) stops reading the socket (the kernel's receive buffer fills,
// then zebra's output buffer: zebra queues behind it); pause(false) resumes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/codec/fpm.h"
#include "core/event_loop.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/net/addr.h"
#include "core/result.h"

namespace hr::fpm_client {

class FpmServer {
  struct Token {
    explicit Token() = default;
  };

 public:
  struct Callbacks {
    std::function<void(const std::string& peer)> sessionUp;
    std::function<void(const std::string& reason)> sessionDown;
    // One frame's payload; an error resets the session (the reason is counted).
    std::function<Status(std::span<const uint8_t> payload)> frame;
  };
  struct Stats {
    uint64_t accepts = 0;
    uint64_t replaced = 0;
    uint64_t closedByPeer = 0;
    uint64_t resets = 0;  // sessions we closed because of malformed input
    uint64_t bytes = 0;
    uint64_t frames = 0;
    uint64_t pauses = 0;
    std::map<std::string, uint64_t> errors;  // reason -> count
  };

  FpmServer(Token, EventLoop& loop, Callbacks cb) : loop_(loop), cb_(std::move(cb)) {}
  static Result<std::unique_ptr<FpmServer>> listen(
      EventLoop& loop, const IpAddress& addr, uint16_t port, Callbacks cb);
  ~FpmServer();
  FpmServer(const FpmServer&) = delete;
  FpmServer& operator=(const FpmServer&) = delete;

  void pause(bool paused);
  bool paused() const {
    return paused_;
  }
  bool connected() const {
    return conn_.valid();
  }
  const std::string& peer() const {
    return peer_;
  }
  const Stats& stats() const {
    return stats_;
  }
  std::string localAddress() const {
    return local_;
  }
  nlohmann::json statusJson(TimePoint now) const;

 private:
  void onAccept();
  void onReadable();
  void closeSession(const std::string& reason, bool malformed);

  EventLoop& loop_;
  Callbacks cb_;
  Fd listen_;
  Fd conn_;
  std::string local_;
  std::string peer_;
  codec::fpm::FrameReader reader_;
  std::vector<uint8_t> buf_ = std::vector<uint8_t>(256 << 10);
  bool paused_ = false;
  TimePoint since_{};
  std::string lastDownReason_;
  Stats stats_;
  log::RateLimiter rl_;
};

}  // namespace hr::fpm_client

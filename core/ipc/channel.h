// The control channel's adapters (CONVENTIONS §3: a connection is an object owned by the
// loop; to reconnect, destroy it, back off and create a new one).
//
//   ControlServer  listens on a unix socket and owns the accepted Channels.
//   Connector      dials a peer daemon's socket and re-dials with back-off.
//   Channel        one framed, non-blocking, bidirectional connection carrying Envelopes.
//   requestOnce()  the blocking one-shot request the CLI uses.
//
// A Channel's output is bounded (kMaxOutput): a peer that stops reading is disconnected and
// counted instead of letting the daemon's memory grow.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/fd.h"
#include "core/ipc/frame.h"
#include "core/result.h"
#include "hostroute_ipc.pb.h"

namespace hr::ipc {

constexpr size_t kMaxOutput = 256u << 20;

class Channel {
 public:
  using MessageHandler = std::function<void(Channel&, const Envelope&)>;
  using CloseHandler = std::function<void(Channel&, const std::string& reason)>;

  Channel(EventLoop& loop, Fd fd, uint64_t id, Counters* counters);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Must be called once before any traffic is processed.
  Status start(MessageHandler onMessage, CloseHandler onClose);
  // Queues an envelope. Returns false if the channel is closed or the peer is too slow (the
  // channel is then closed).
  bool send(const Envelope& e);
  // Closes the fd and calls the close handler (once), from a deferred call.
  void close(const std::string& reason);

  uint64_t id() const {
    return id_;
  }
  bool open() const {
    return fd_.valid();
  }
  size_t pendingOutput() const {
    return out_.size() - outPos_;
  }
  // From the peer's Hello, if any.
  const std::string& peerDaemon() const {
    return peerDaemon_;
  }
  void setPeerDaemon(std::string d) {
    peerDaemon_ = std::move(d);
  }
  // Topics the peer subscribed to.
  std::vector<std::string>& subscriptions() {
    return subs_;
  }
  bool subscribed(const std::string& topic) const;

 private:
  void onEvents(uint32_t events);
  void readSome();
  void flush();
  void updateInterest();

  EventLoop& loop_;
  Fd fd_;
  uint64_t id_;
  Counters* counters_;
  FrameDecoder decoder_;
  std::vector<uint8_t> out_;
  size_t outPos_ = 0;
  bool wantWrite_ = false;
  bool closing_ = false;
  MessageHandler onMessage_;
  CloseHandler onClose_;
  std::string peerDaemon_;
  std::vector<std::string> subs_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class ControlServer {
  // Passkey: only listen() can make one, yet make_unique can call the public constructor.
  struct Key {
    explicit Key() = default;
  };

 public:
  using MessageHandler = Channel::MessageHandler;
  using ChannelEvent = std::function<void(Channel&)>;

  // Creates the listening socket at `path` (a stale file is replaced; mode 0660).
  static Result<std::unique_ptr<ControlServer>> listen(
      EventLoop& loop, const std::string& path, Counters& counters);
  ControlServer(Key, EventLoop& loop, Counters& counters) : loop_(loop), counters_(counters) {}
  ~ControlServer();

  void onMessage(MessageHandler h) {
    onMessage_ = std::move(h);
  }
  void onDisconnect(ChannelEvent h) {
    onDisconnect_ = std::move(h);
  }
  // Sends to every channel subscribed to topic.
  void publish(const std::string& topic, const Envelope& e);
  size_t connections() const {
    return channels_.size();
  }
  const std::string& path() const {
    return path_;
  }

 private:
  void accept();

  EventLoop& loop_;
  Counters& counters_;
  std::string path_;
  Fd listen_;
  uint64_t nextId_ = 1;
  std::map<uint64_t, std::unique_ptr<Channel>> channels_;
  MessageHandler onMessage_;
  ChannelEvent onDisconnect_;
};

class Connector {
 public:
  using ChannelEvent = std::function<void(Channel&)>;
  using MessageHandler = Channel::MessageHandler;
  using DownHandler = std::function<void(const std::string& reason)>;

  Connector(EventLoop& loop, std::string path, Counters& counters, std::string counterArea);
  // Starts dialling; reconnects with back-off (100 ms .. 5 s) whenever the channel drops.
  void start(ChannelEvent onUp, MessageHandler onMessage, DownHandler onDown);
  Channel* channel() {
    return channel_ && channel_->open() ? channel_.get() : nullptr;
  }
  const std::string& path() const {
    return path_;
  }

 private:
  void dial();
  void scheduleRedial(const std::string& reason);

  EventLoop& loop_;
  std::string path_;
  Counters& counters_;
  std::string area_;
  Backoff backoff_{std::chrono::milliseconds(100), std::chrono::seconds(5)};
  Timer redial_;
  std::unique_ptr<Channel> channel_;
  ChannelEvent onUp_;
  MessageHandler onMessage_;
  DownHandler onDown_;
  bool loggedDown_ = false;
};

// Blocking request for tools: connects, sends `req`, returns the first reply whose id
// matches. Errors name the socket path, and their codes tell the cases apart:
//   ipc.not_running  nothing listens there (ENOENT, ECONNREFUSED: e.g. a stale socket file
//                    left by a daemon that was killed)
//   ipc.permission   the socket exists but we may not connect (EACCES, EPERM)
//   ipc.connect      any other connect error
//   ipc.timeout      connected, but no reply within `timeout` (the daemon is stuck)
//   ipc.closed, ipc.send, ipc.recv, ipc.bad_reply, ipc.frame_too_long, ipc.path_too_long
Result<Envelope> requestOnce(
    const std::string& path, const Envelope& req, std::chrono::milliseconds timeout);

// Connects to `path` and hangs up: ok if a daemon accepts connections there (its socket file
// alone proves nothing). Errors as requestOnce's connect step.
Status probe(const std::string& path);

}  // namespace hr::ipc

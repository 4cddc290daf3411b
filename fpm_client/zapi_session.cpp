#include "fpm_client/zapi_session.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace hr::fpm_client {

namespace zapi = codec::zapi;

std::string_view ZapiSession::stateName(State s) {
  switch (s) {
    case State::Idle:
      return "idle";
    case State::CheckingVersion:
      return "checking-version";
    case State::Refused:
      return "refused";
    case State::Connecting:
      return "connecting";
    case State::Syncing:
      return "syncing";
    case State::Ready:
      return "ready";
    case State::Backoff:
      return "backoff";
    case State::Stopped:
      return "stopped";
  }
  return "unknown";
}

ZapiSession::ZapiSession(
    EventLoop& loop, Counters& counters, FrrProbe& probe, Options opts, Callbacks cb)
    : loop_(loop),
      counters_(counters),
      probe_(probe),
      opts_(std::move(opts)),
      cb_(std::move(cb)),
      barrier_(loop, [this] { becomeReady("timer (no router-id answer)"); }),
      retry_(loop, [this] { detect(); }) {
  counters_.counter("zapi.connects", "ZAPI sessions established with zebra");
  counters_.counter("zapi.disconnects", "ZAPI sessions lost (EOF, error, broken stream)");
  counters_.counter(
      "zapi.version_refusals",
      "connections not attempted: the running FRR release is not supported");
  counters_.counter(
      "zapi.version_mismatch_suspected",
      "sessions reset by zebra right after HELLO (likely a ZAPI version mismatch)");
  counters_.counter("zapi.rx_messages", "ZAPI messages received from zebra");
  counters_.counter("zapi.tx_messages", "ZAPI messages queued to zebra");
  counters_.counter(
      "zapi.rx_errors",
      "malformed ZAPI messages from zebra (dropped; per reason in zapi.rx_error.*)");
  counters_.counter(
      "zapi.rx_ignored",
      "ZAPI messages ignored (unknown or unused command; per reason in zapi.rx_ignored.*)");
  counters_.counter(
      "zapi.stream_errors", "ZAPI streams broken by a bad header (connection closed)");
  counters_.counter("zapi.encode_errors", "ZAPI messages that could not be encoded (not sent)");
  counters_.counter("zapi.zebra_errors", "ZEBRA_ERROR messages received");
}

ZapiSession::~ZapiSession() {
  *alive_ = false;
  if (fd_) {
    loop_.removeFd(fd_.get());
  }
}

void ZapiSession::start() {
  detect();
}

void ZapiSession::detect() {
  if (state_ == State::Stopped) {
    return;
  }
  state_ = State::CheckingVersion;
  std::weak_ptr<bool> alive = alive_;
  probe_.detectVersion([this, alive](Result<FrrProbe::Version> v) {
    auto a = alive.lock();
    if (!a || !*a || state_ != State::CheckingVersion) {
      return;
    }
    if (!v) {
      refusal_ = v.error().message + " (force it with fpm_client --frr-version X.Y.Z)";
      state_ = State::Refused;
      ++counters_.counter("zapi.version_refusals");
      if (rl_.allow("version", loop_.now())) {
        spdlog::error(
            "event=zapi_refused code={} reason=\"{}\" retry_s={}",
            v.error().code,
            refusal_,
            std::chrono::duration_cast<std::chrono::seconds>(opts_.refusedRetry).count());
      }
      retry_.arm(opts_.refusedRetry);
      return;
    }
    auto t = zapi::tableForVersion(v->version);
    if (!t) {
      refusal_ = t.error().message;
      state_ = State::Refused;
      version_ = *v;
      ++counters_.counter("zapi.version_refusals");
      if (rl_.allow("version", loop_.now())) {
        spdlog::error(
            "event=zapi_refused code={} frr_version={} source=\"{}\" reason=\"{}\" action=\"no "
            "host routes are injected; "
            "install FRR 8.4 or a frr-hostroute build for this release\"",
            t.error().code,
            v->version.text,
            v->source,
            t.error().message);
      }
      retry_.arm(opts_.refusedRetry);
      return;
    }
    if (!version_ || version_->version.text != v->version.text) {
      spdlog::info(
          "event=frr_version version={} source=\"{}\" command_table={}",
          v->version.text,
          v->source,
          (*t)->release());
    }
    version_ = *v;
    table_ = *t;
    refusal_.clear();
    connect();
  });
}

void ZapiSession::connect() {
  state_ = State::Connecting;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (opts_.path.size() >= sizeof(sa.sun_path)) {
    drop(fmt::format("socket path {} too long", opts_.path), false);
    return;
  }
  std::memcpy(sa.sun_path, opts_.path.c_str(), opts_.path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    std::string why = fmt::format("connect {}: {}", opts_.path, strerror(errno));
    if (rl_.allow("connect", loop_.now())) {
      spdlog::warn("event=zapi_connect_failed reason=\"{}\"", why);
    }
    lastError_ = why;
    state_ = State::Backoff;
    scheduleReconnect();
    return;
  }
  fd_ = std::move(fd);
  if (auto st = loop_.addFd(fd_.get(), EPOLLIN | EPOLLRDHUP, [this](uint32_t ev) { onEvents(ev); });
      !st) {
    drop(st.error().message, false);
    return;
  }
  splitter_ = zapi::Splitter();
  out_.clear();
  outPos_ = 0;
  queuedTotal_ = writtenTotal_;
  wantWrite_ = false;
  gotCapabilities_ = false;
  completeSent_ = false;
  grVrfs_.clear();
  vrfs_.clear();
  watchingOwn_ = true;
  connectedAt_ = loop_.now();
  state_ = State::Syncing;
  ++sessions_;
  ++counters_.counter("zapi.connects");
  spdlog::info(
      "event=zapi_connected socket={} frr_version={} session={}",
      opts_.path,
      version_->version.text,
      sessions_);
  if (cb_.onReset) {
    cb_.onReset();
  }

  using zapi::Command;
  (void)queue(zapi::Message{Command::Hello, 0, zapi::Hello{}});
  announceVrf(0);
  (void)queue(zapi::Message{Command::InterfaceAdd, 0, zapi::Empty{}});
  (void)queue(zapi::Message{Command::RouterIdAdd, 0, zapi::RouterIdRequest{zapi::kAfiIp}});
  flush();
  barrier_.arm(opts_.barrierTimeout);
}

// Graceful restart and subscriptions for one VRF (0 at connect, others on VRF_ADD).
void ZapiSession::announceVrf(uint32_t vrfId) {
  using zapi::Command;
  if (opts_.staleTime.count() > 0 && !grVrfs_.count(vrfId)) {
    zapi::ClientCapabilities gr;
    gr.cap = static_cast<uint32_t>(zapi::Cap::GracefulRestart);
    gr.staleTime = static_cast<uint32_t>(opts_.staleTime.count());
    gr.vrfId = vrfId;
    (void)queue(zapi::Message{Command::ClientCapabilities, 0, gr});
    if (!completeSent_) {
      for (uint32_t afi : {uint32_t{zapi::kAfiIp}, uint32_t{zapi::kAfiIp6}}) {
        zapi::ClientCapabilities p;
        p.cap = static_cast<uint32_t>(zapi::Cap::RouteUpdatePending);
        p.afi = afi;
        p.safi = zapi::kSafiUnicast;
        p.vrfId = vrfId;
        (void)queue(zapi::Message{Command::ClientCapabilities, 0, p});
      }
    }
    grVrfs_.insert(vrfId);
  }
  const std::pair<uint8_t, uint8_t> subs[] = {
      {zapi::kAfiIp, zapi::route_type::kBgp},
      {zapi::kAfiIp, zapi::route_type::kOspf},
      {zapi::kAfiIp6, zapi::route_type::kBgp},
      {zapi::kAfiIp6, zapi::route_type::kOspf6}};
  for (auto [afi, type] : subs) {
    (void)queue(zapi::Message{Command::RedistributeAdd, vrfId, zapi::Redistribute{afi, type, 0}});
  }
  if (watchingOwn_) {
    for (uint8_t afi : {zapi::kAfiIp, zapi::kAfiIp6}) {
      (void)queue(zapi::Message{
          Command::RedistributeAdd, vrfId, zapi::Redistribute{afi, zapi::route_type::kTable, 0}});
    }
  }
  vrfs_.insert(vrfId);
}

void ZapiSession::stopWatchingOwnRoutes() {
  if (!fd_ || !watchingOwn_) {
    return;
  }
  for (uint32_t vrf : vrfs_) {
    for (uint8_t afi : {zapi::kAfiIp, zapi::kAfiIp6}) {
      (void)queue(zapi::Message{
          zapi::Command::RedistributeDelete,
          vrf,
          zapi::Redistribute{afi, zapi::route_type::kTable, 0}});
    }
  }
  watchingOwn_ = false;
  flush();
}

void ZapiSession::sendComplete() {
  if (!fd_ || completeSent_ || opts_.staleTime.count() == 0) {
    return;
  }
  for (uint32_t vrf : grVrfs_) {
    for (uint32_t afi : {uint32_t{zapi::kAfiIp}, uint32_t{zapi::kAfiIp6}}) {
      zapi::ClientCapabilities c;
      c.cap = static_cast<uint32_t>(zapi::Cap::RouteUpdateComplete);
      c.afi = afi;
      c.safi = zapi::kSafiUnicast;
      c.vrfId = vrf;
      (void)queue(zapi::Message{zapi::Command::ClientCapabilities, 0, c});
    }
  }
  completeSent_ = true;
  flush();
  spdlog::info("event=zapi_gr_complete vrfs={}", grVrfs_.size());
}

Status ZapiSession::queue(const zapi::Message& m) {
  if (!fd_ || !table_) {
    return fail("zapi.not_connected", "no session with zebra");
  }
  if (outPos_ > 0 && outPos_ == out_.size()) {
    out_.clear();
    outPos_ = 0;
  }
  size_t before = out_.size();
  auto st = zapi::encode(out_, m, *table_);
  queuedTotal_ += out_.size() - before;
  if (!st) {
    ++counters_.counter("zapi.encode_errors");
    if (rl_.allow("encode", loop_.now())) {
      spdlog::error("event=zapi_encode_failed reason=\"{}\"", st.error().message);
    }
    return st;
  }
  ++counters_.counter("zapi.tx_messages");
  ++counters_.counter(fmt::format("zapi.tx.{}", zapi::commandName(m.command)));
  HR_DEBUG(Zapi, "event=zapi_tx command={} vrf={}", zapi::commandName(m.command), m.vrfId);
  return ok();
}

void ZapiSession::flush() {
  uint64_t writtenBefore = writtenTotal_;
  while (fd_ && outPos_ < out_.size()) {
    ssize_t n = ::send(
        fd_.get(), out_.data() + outPos_, out_.size() - outPos_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      drop(fmt::format("send: {}", strerror(errno)), false);
      return;
    }
    counters_.counter("zapi.tx_bytes", "bytes written to zebra") += static_cast<uint64_t>(n);
    outPos_ += static_cast<size_t>(n);
    writtenTotal_ += static_cast<uint64_t>(n);
  }
  if (outPos_ == out_.size()) {
    out_.clear();
    outPos_ = 0;
  }
  updateInterest();
  if (writtenTotal_ != writtenBefore && cb_.onWritten) {
    cb_.onWritten(writtenTotal_);
  }
}

void ZapiSession::updateInterest() {
  if (!fd_) {
    return;
  }
  bool want = outPos_ < out_.size();
  if (want != wantWrite_) {
    wantWrite_ = want;
    (void)loop_.modifyFd(fd_.get(), EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u));
  }
}

void ZapiSession::onEvents(uint32_t events) {
  auto alive = alive_;
  if (events & EPOLLOUT) {
    flush();
  }
  if (!*alive || !fd_) {
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    readSome();
  }
}

void ZapiSession::readSome() {
  uint8_t buf[65536];
  auto alive = alive_;
  for (int rounds = 0; rounds < 64 && fd_; ++rounds) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      bool early = errno == ECONNRESET && !gotCapabilities_;
      drop(fmt::format("recv: {}", strerror(errno)), early);
      return;
    }
    if (n == 0) {
      drop("zebra closed the connection (EOF)", !gotCapabilities_);
      return;
    }
    counters_.counter("zapi.rx_bytes", "bytes read from zebra") += static_cast<uint64_t>(n);
    splitter_.feed(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
    for (;;) {
      auto f = splitter_.next();
      if (!f) {
        ++counters_.counter("zapi.stream_errors");
        ++counters_.counter(fmt::format("zapi.rx_error.{}", f.error().code.substr(5)));
        spdlog::error(
            "event=zapi_stream_broken reason=\"{}\" action=\"reconnecting\"", f.error().message);
        drop(f.error().message, !gotCapabilities_ && f.error().code == "zapi.bad_version");
        return;
      }
      if (!*f) {
        break;
      }
      auto d = zapi::decode(**f, *table_);
      ++counters_.counter("zapi.rx_messages");
      if (d.outcome == zapi::Outcome::Error) {
        ++counters_.counter("zapi.rx_errors");
        ++counters_.counter(fmt::format("zapi.rx_error.{}", d.reason));
        if (auto sup = rl_.allow("rx_error." + d.reason, loop_.now())) {
          spdlog::warn(
              "event=zapi_bad_message reason={} detail=\"{}\" suppressed={} action=dropped",
              d.reason,
              d.detail,
              *sup);
        }
        continue;
      }
      if (d.outcome == zapi::Outcome::Ignore) {
        ++counters_.counter("zapi.rx_ignored");
        ++counters_.counter(fmt::format("zapi.rx_ignored.{}", d.reason));
        HR_DEBUG(Zapi, "event=zapi_ignored reason={} detail=\"{}\"", d.reason, d.detail);
        continue;
      }
      ++counters_.counter(fmt::format("zapi.rx.{}", zapi::commandName(d.message.command)));
      HR_DEBUG(
          Zapi,
          "event=zapi_rx command={} vrf={}",
          zapi::commandName(d.message.command),
          d.message.vrfId);
      handle(d.message);
      if (!*alive || !fd_) {
        return;
      }
    }
  }
}

void ZapiSession::handle(const zapi::Message& m) {
  using zapi::Command;
  switch (m.command) {
    case Command::Capabilities:
      gotCapabilities_ = true;
      if (auto* c = std::get_if<zapi::Capabilities>(&m.body)) {
        caps_ = *c;
      }
      break;
    case Command::VrfAdd:
      if (m.vrfId != 0 && state_ != State::Stopped) {
        announceVrf(m.vrfId);
        flush();
      }
      break;
    case Command::RouterIdUpdate:
      if (auto* r = std::get_if<zapi::RouterIdUpdate>(&m.body)) {
        routerId_ = r->prefix;
      }
      if (state_ == State::Syncing) {
        becomeReady("router-id barrier");
      }
      break;
    case Command::Error:
      ++counters_.counter("zapi.zebra_errors");
      if (auto* e = std::get_if<zapi::ErrorMsg>(&m.body);
          e && rl_.allow("zebra_error", loop_.now())) {
        spdlog::warn("event=zebra_error code={} vrf={}", e->code, m.vrfId);
      }
      break;
    case Command::ClientCloseNotify:
      if (auto* c = std::get_if<zapi::ClientCloseNotify>(&m.body)) {
        spdlog::info(
            "event=zebra_client_closed proto={} instance={}",
            zapi::routeTypeName(c->proto),
            c->instance);
      }
      break;
    default:
      break;
  }
  if (cb_.onMessage) {
    cb_.onMessage(m);
  }
}

void ZapiSession::becomeReady(const char* how) {
  if (state_ != State::Syncing || !fd_) {
    return;
  }
  barrier_.cancel();
  state_ = State::Ready;
  backoff_.reset();
  spdlog::info("event=zapi_ready via=\"{}\"", how);
  if (cb_.onReady) {
    cb_.onReady();
  }
}

void ZapiSession::drop(const std::string& why, bool suspectVersion) {
  bool wasConnected = fd_.valid();
  if (fd_) {
    loop_.removeFd(fd_.get());
    fd_.reset();
  }
  barrier_.cancel();
  out_.clear();
  outPos_ = 0;
  queuedTotal_ = writtenTotal_;  // what was not written is gone
  wantWrite_ = false;
  lastError_ = why;
  connectedAt_.reset();
  if (wasConnected) {
    ++counters_.counter("zapi.disconnects");
    if (suspectVersion) {
      ++counters_.counter("zapi.version_mismatch_suspected");
      spdlog::error(
          "event=zapi_reset_after_hello reason=\"{}\" frr_version={} zapi_version={} "
          "diagnosis=\"zebra dropped the "
          "session right after HELLO, before CAPABILITIES: most likely a ZAPI version or "
          "command-number mismatch "
          "(zebra logs 'Client ... encountered an error'; turn on 'debug zebra packet' to see "
          "it)\"",
          why,
          version_ ? version_->version.text : "unknown",
          zapi::kVersion);
    } else {
      spdlog::warn(
          "event=zapi_disconnected reason=\"{}\" action=\"reconnect with back-off, then re-inject "
          "everything\"",
          why);
    }
    if (cb_.onDown) {
      cb_.onDown(why);
    }
  }
  if (state_ == State::Stopped) {
    return;
  }
  state_ = State::Backoff;
  scheduleReconnect();
}

void ZapiSession::scheduleReconnect() {
  ++reconnects_;
  // Re-check the version on every attempt: a restarted zebra may be another release.
  retry_.arm(backoff_.next());
}

void ZapiSession::stop(bool withdraw) {
  if (fd_ && withdraw && table_) {
    for (uint32_t vrf : grVrfs_) {
      zapi::ClientCapabilities c;
      c.cap = static_cast<uint32_t>(zapi::Cap::GracefulRestartDisable);
      c.vrfId = vrf;
      (void)queue(zapi::Message{zapi::Command::ClientCapabilities, 0, c});
    }
    // zebra drops whatever it read in the same read cycle as our EOF (zserv_read() frees its
    // batch on EOF): close only once it has answered a request sent after GR_DISABLE.
    (void)queue(zapi::Message{zapi::Command::RouterIdAdd, 0, zapi::RouterIdRequest{zapi::kAfiIp}});
    bool answered = drainAndAwait(zapi::Command::RouterIdUpdate, std::chrono::seconds(2));
    spdlog::info(
        "event=zapi_stop action=withdraw acknowledged={} (GR disabled: zebra removes every host "
        "route)",
        answered);
  } else if (fd_) {
    spdlog::info(
        "event=zapi_stop action=keep stale_time_s={} (zebra keeps the host routes under graceful "
        "restart)",
        opts_.staleTime.count());
  }
  state_ = State::Stopped;
  retry_.cancel();
  barrier_.cancel();
  if (fd_) {
    loop_.removeFd(fd_.get());
    fd_.reset();
  }
}

// Shutdown only: writes everything queued and reads until `cmd` arrives, blocking up to
// `limit` (the loop is about to stop; nothing else runs).
bool ZapiSession::drainAndAwait(zapi::Command cmd, std::chrono::milliseconds limit) {
  auto deadline = SteadyClock::now() + limit;
  uint8_t buf[65536];
  while (fd_ && SteadyClock::now() < deadline) {
    if (outPos_ < out_.size()) {
      ssize_t n = ::send(
          fd_.get(), out_.data() + outPos_, out_.size() - outPos_, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        outPos_ += static_cast<size_t>(n);
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return false;
      }
    }
    pollfd p{fd_.get(), static_cast<short>(POLLIN | (outPos_ < out_.size() ? POLLOUT : 0)), 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
                    .count();
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left))) <= 0) {
      continue;
    }
    if (!(p.revents & POLLIN)) {
      continue;
    }
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) {
      return false;
    }
    splitter_.feed(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
    for (;;) {
      auto f = splitter_.next();
      if (!f || !*f) {
        break;
      }
      if (table_->fromWire((*f)->header.command) == cmd && outPos_ >= out_.size()) {
        return true;
      }
    }
  }
  return false;
}

nlohmann::json ZapiSession::toJson() const {
  nlohmann::json j = {
      {"state", stateName(state_)},
      {"socket", opts_.path},
      {"zapiVersion", zapi::kVersion},
      {"routeType", "table"},
      {"instance", 0},
      {"sessions", sessions_},
      {"reconnects", reconnects_},
      {"lastError", lastError_.empty() ? nlohmann::json(nullptr) : nlohmann::json(lastError_)},
      {"pendingOutputBytes", pendingOutput()},
  };
  j["frrVersion"] = version_ ? nlohmann::json(version_->version.text) : nlohmann::json(nullptr);
  j["frrVersionSource"] = version_ ? nlohmann::json(version_->source) : nlohmann::json(nullptr);
  j["commandTable"] =
      table_ ? nlohmann::json(std::string(table_->release())) : nlohmann::json(nullptr);
  j["refusal"] = refusal_.empty() ? nlohmann::json(nullptr) : nlohmann::json(refusal_);
  j["connectedSeconds"] =
      connectedAt_
          ? nlohmann::json(std::chrono::duration<double>(loop_.now() - *connectedAt_).count())
          : nlohmann::json(nullptr);
  j["routerId"] = routerId_ ? nlohmann::json(routerId_->str()) : nlohmann::json(nullptr);
  if (caps_) {
    j["capabilities"] = {
        {"multipath", caps_->multipathNum},
        {"mpls", caps_->mplsEnabled != 0},
        {"vrfBackend", caps_->vrfBackend},
        {"mlagRole", caps_->mlagRole}};
  } else {
    j["capabilities"] = nullptr;
  }
  j["gracefulRestart"] = {
      {"staleTimeSeconds", opts_.staleTime.count()},
      {"enabled", opts_.staleTime.count() > 0},
      {"vrfs", std::vector<uint32_t>(grVrfs_.begin(), grVrfs_.end())},
      {"completeSent", completeSent_},
  };
  j["subscriptions"] = {"ipv4 bgp", "ipv4 ospf", "ipv6 bgp", "ipv6 ospf6"};
  if (watchingOwn_) {
    j["subscriptions"].push_back("ipv4 table");
    j["subscriptions"].push_back("ipv6 table");
  }
  return j;
}

}  // namespace hr::fpm_client

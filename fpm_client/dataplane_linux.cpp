#include "fpm_client/dataplane_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <malloc.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "core/codec/netlink_route.h"

namespace hr::fpm_client {

namespace nl = codec::nl;
using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxBatchBytes = 192 << 10;

// Writes `value` to /proc/sys/<key> as seen from the network namespace `netnsPath`.
Status writeSysctlIn(
    const std::string& netnsPath, const std::string& key, const std::string& value) {
  Fd self(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  Fd target(::open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
  if (!self || !target) {
    return fail("netns", "cannot open {}: {}", netnsPath, strerror(errno));
  }
  if (::setns(target.get(), CLONE_NEWNET) < 0) {
    return fail("netns", "setns {}: {}", netnsPath, strerror(errno));
  }
  std::string path = "/proc/sys/" + key;
  Fd f(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  int err = errno;
  ::setns(self.get(), CLONE_NEWNET);
  if (!f) {
    return fail("sysctl", "{}: {}", path, strerror(err));
  }
  if (::write(f.get(), value.data(), value.size()) < 0) {
    return fail("sysctl", "write {}: {}", path, strerror(errno));
  }
  return ok();
}

uint8_t rtnType(RouteKind k) {
  switch (k) {
    case RouteKind::Unicast:
      return RTN_UNICAST;
    case RouteKind::Blackhole:
      return RTN_BLACKHOLE;
    case RouteKind::Unreachable:
      return RTN_UNREACHABLE;
    case RouteKind::Prohibit:
      return RTN_PROHIBIT;
  }
  return RTN_UNICAST;
}

}  // namespace

std::optional<RouteNotification> readRouteNotification(
    const nl::Message& m, const DataplaneConfig& cfg) {
  if (m.hdr.type != RTM_NEWROUTE && m.hdr.type != RTM_DELROUTE) {
    return std::nullopt;
  }
  auto r = nl::decodeRoute(m);
  if (!r || r->priority.value_or(0) != cfg.metric || r->table() == RT_TABLE_LOCAL) {
    return std::nullopt;
  }
  return RouteNotification{
      FibKey{cfg.zebraTable(r->table()), r->prefix().canonical()},
      r->isNew,
      r->rtmFlags & (RTM_F_OFFLOAD | RTM_F_TRAP | RTM_F_OFFLOAD_FAILED),
      m.hdr.pid};
}

LinuxDataplane::LinuxDataplane(Token, EventLoop& loop, DataplaneConfig cfg)
    : loop_(loop),
      cfg_(std::move(cfg)),
      resyncTimer_(
          loop,
          [this] {
            if (auto st = doResync(resyncWhy_.c_str()); !st) {
              spdlog::error(
                  "event=dataplane_resync_failed reason=\"{}\" action=\"retry in 5 s\"",
                  st.error().message);
              resyncTimer_.arm(5s);
            }
          }),
      neighTimer_(loop, [this] {
        countNeighbours();
        neighTimer_.arm(10s);
      }) {}

Result<std::unique_ptr<LinuxDataplane>> LinuxDataplane::create(
    EventLoop& loop, const DataplaneConfig& cfg) {
  return std::make_unique<LinuxDataplane>(Token{}, loop, cfg);
}

LinuxDataplane::~LinuxDataplane() {
  if (mon_) {
    loop_.removeFd(mon_->fd());
  }
}

Status LinuxDataplane::openSockets() {
  HR_TRY(auto req, NetlinkSocket::open({}, 8 << 20, cfg_.netnsPath));
  int one = 1;
  // Error answers without a copy of the refused request: a failing batch stays small.
  ::setsockopt(req.fd(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  req_.emplace(std::move(req));
  static constexpr uint32_t kGroups[] = {RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_NEXTHOP};
  HR_TRY(auto mon, NetlinkSocket::open(kGroups, 64 << 20, cfg_.netnsPath));
  mon_.emplace(std::move(mon));
  HR_TRY_VOID(loop_.addFd(mon_->fd(), EPOLLIN, [this](uint32_t) { onMonitorReadable(); }));
  HR_TRY(links_, LinkWatcher::create(loop_, cfg_.netnsPath, [this] {
           scheduleResync("a port of the target changed");
         }));
  return ok();
}

Status LinuxDataplane::start() {
  HR_TRY_VOID(openSockets());
  auto v4 = writeSysctlIn(cfg_.netnsPath, "net/ipv4/fib_notify_on_flag_change", "1");
  auto v6 = writeSysctlIn(cfg_.netnsPath, "net/ipv6/fib_notify_on_flag_change", "1");
  flagNotify_ = v4 && v6;
  if (!flagNotify_) {
    spdlog::warn(
        "event=dataplane_flag_notify_unavailable reason=\"{}\" note=\"offload flags are then only "
        "seen on resyncs\"",
        !v4 ? v4.error().message : v6.error().message);
  }
  HR_TRY_VOID(doResync("start"));
  countNeighbours();
  neighTimer_.arm(10s);
  return ok();
}

void LinuxDataplane::scheduleResync(const char* why) {
  if (!resyncTimer_.armed()) {
    resyncWhy_ = why;
    resyncTimer_.arm(200ms);
  }
}

std::optional<uint32_t> LinuxDataplane::portIndex(
    const std::string& zebraName, std::string& why) const {
  std::string target = zebraName;
  if (auto it = cfg_.interfaceMap.find(zebraName); it != cfg_.interfaceMap.end()) {
    target = it->second;
  }
  const LinkInfo* l = links_ ? links_->byName(target) : nullptr;
  if (l == nullptr) {
    why = fmt::format("no port {} in the target namespace", target);
    return std::nullopt;
  }
  return l->index;
}

std::string LinuxDataplane::zebraName(uint32_t targetIfindex) const {
  if (!links_) {
    return {};
  }
  auto it = links_->names().find(targetIfindex);
  if (it == links_->names().end()) {
    return {};
  }
  for (const auto& [z, t] : cfg_.interfaceMap) {
    if (t == it->second) {
      return z;
    }
  }
  return it->second;
}

uint32_t LinuxDataplane::allocId() {
  for (;;) {
    uint32_t id = nextId_++;
    if (nextId_ == 0 || nextId_ > 0x7fffffff) {
      nextId_ = 1;
    }
    if (!objs_.contains(id) && !foreignIds_.contains(id)) {
      return id;
    }
  }
}

void LinuxDataplane::ref(uint32_t id) {
  if (auto it = objs_.find(id); it != objs_.end()) {
    ++it->second.refs;
  }
}

void LinuxDataplane::unref(uint32_t id) {
  if (auto it = objs_.find(id); it != objs_.end() && it->second.refs > 0) {
    --it->second.refs;
  }
}

uint32_t LinuxDataplane::appendNexthopCreate(std::vector<uint8_t>& buf, const NhObj& o) {
  nl::NexthopMsg m;
  m.isNew = true;
  m.nlFlags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  m.seq = req_->nextSeq();
  m.protocol = kNhProtocol;
  m.id = o.id;
  if (o.group) {
    m.family = AF_UNSPEC;
    for (const auto& [id, w] : o.members) {
      m.group.push_back({id, w});
    }
  } else {
    m.family = o.single.family;
    m.gateway = o.single.gateway;
    if (o.single.ifindex != 0) {
      m.oif = o.single.ifindex;
    }
    if (o.single.onlink) {
      m.nhFlags = RTNH_F_ONLINK;
    }
  }
  nl::encodeNexthop(buf, m);
  pending_[m.seq] = Pending{PendKind::NhCreate, {}, o.id};
  return m.seq;
}

uint32_t LinuxDataplane::appendNexthopDelete(std::vector<uint8_t>& buf, uint32_t id) {
  nl::NexthopMsg m;
  m.isNew = false;
  m.nlFlags = NLM_F_REQUEST;
  m.seq = req_->nextSeq();
  m.id = id;
  nl::encodeNexthop(buf, m);
  pending_[m.seq] = Pending{PendKind::NhDelete, {}, id};
  return m.seq;
}

nl::RouteMsg routeRequest(const DpOp& op, uint32_t nhId, const DataplaneConfig& cfg) {
  bool add = op.kind == DpOpKind::Upsert;
  nl::RouteMsg m;
  m.isNew = add;
  m.nlFlags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  m.family = op.key.prefix.family();
  m.dstLen = op.key.prefix.length();
  uint32_t table = cfg.targetTable(op.key.table);
  if (table < 256) {
    m.rtmTable = static_cast<uint8_t>(table);
  } else {
    m.rtmTable = RT_TABLE_UNSPEC;
    m.tableAttr = table;
  }
  m.dst = op.key.prefix.address();
  m.priority = cfg.metric;
  if (add) {
    m.protocol = op.spec.protocol;
    m.scope = RT_SCOPE_UNIVERSE;
    m.type = rtnType(op.spec.kind);
    if (nhId != 0) {
      m.nhId = nhId;
    }
    m.prefsrc = op.spec.prefsrc;
  } else {
    m.scope = RT_SCOPE_NOWHERE;  // any scope
  }
  return m;
}

uint32_t LinuxDataplane::appendRoute(std::vector<uint8_t>& buf, const DpOp& op, uint32_t nhId) {
  nl::RouteMsg m = routeRequest(op, nhId, cfg_);
  m.seq = req_->nextSeq();
  nl::encodeRoute(buf, m);
  pending_[m.seq] = Pending{
      op.kind == DpOpKind::Upsert ? PendKind::RouteUpsert : PendKind::RouteDelete, op.key, nhId};
  return m.seq;
}

Result<uint32_t> LinuxDataplane::acquireSingle(
    const Path& p, Family routeFamily, std::vector<uint8_t>& buf) {
  NhKey k;
  k.gateway = p.gateway;
  k.onlink = p.onlink;
  Family fam = p.gateway ? p.gateway->family() : routeFamily;
  k.family = fam == Family::V4 ? AF_INET : AF_INET6;
  if (!p.ifname.empty()) {
    std::string why;
    auto idx = portIndex(p.ifname, why);
    if (!idx) {
      return fail("no_port", "{}", why);
    }
    k.ifindex = *idx;
  }
  if (auto it = singles_.find(k); it != singles_.end()) {
    return it->second;
  }
  NhObj o;
  o.id = allocId();
  o.single = k;
  objs_[o.id] = o;
  singles_[k] = o.id;
  appendNexthopCreate(buf, o);
  return o.id;
}

Result<uint32_t> LinuxDataplane::acquirePaths(
    const RouteSpec& spec, Family routeFamily, std::vector<uint8_t>& buf) {
  if (!spec.paths || spec.paths->empty()) {
    return fail("no_paths", "unicast route without paths");
  }
  if (spec.paths->size() == 1) {
    return acquireSingle(spec.paths->front(), routeFamily, buf);
  }
  GroupKey g;
  for (const auto& p : *spec.paths) {
    HR_TRY(uint32_t id, acquireSingle(p, routeFamily, buf));
    g.emplace_back(id, p.weight);
  }
  std::sort(g.begin(), g.end());
  if (auto it = groups_.find(g); it != groups_.end()) {
    return it->second;
  }
  NhObj o;
  o.id = allocId();
  o.group = true;
  o.members = g;
  for (const auto& [id, w] : g) {
    ref(id);
  }
  objs_[o.id] = o;
  groups_[g] = o.id;
  appendNexthopCreate(buf, o);
  return o.id;
}

void LinuxDataplane::submit(std::vector<DpOp> ops) {
  std::vector<uint8_t> buf;
  buf.reserve(kMaxBatchBytes + 4096);
  size_t routes = 0;
  auto flush = [&] {
    if (!buf.empty()) {
      sendBatch(buf);
    }
    buf.clear();
    routes = 0;
  };
  for (const auto& op : ops) {
    ++undelivered_;
    uint32_t nh = 0;
    if (op.kind == DpOpKind::Upsert && op.spec.kind == RouteKind::Unicast) {
      auto r = acquirePaths(op.spec, op.key.prefix.family(), buf);
      if (!r) {
        // Nothing of this route reaches the kernel; next hops it created are collected.
        ++stats_.noPort;
        results_.push_back(DpResult{op.key, op.kind, -ENODEV, r.error().message});
        continue;
      }
      nh = *r;
      ref(nh);
    }
    appendRoute(buf, op, nh);
    if (++routes >= cfg_.batchSize || buf.size() >= kMaxBatchBytes) {
      flush();
    }
  }
  flush();
  collectGarbage();
  if (!flushScheduled_ && !results_.empty()) {
    flushScheduled_ = true;
    loop_.defer([this] { flushResults(); });
  }
}

void LinuxDataplane::sendBatch(std::vector<uint8_t>& buf) {
  // Only the last message asks for an ACK: errors are answered for any message, and the
  // kernel handles them in order, so the last ACK means every earlier answer has come.
  size_t off = 0;
  size_t lastOff = 0;
  while (off + nl::kHeaderLen <= buf.size()) {
    uint32_t len;
    std::memcpy(&len, buf.data() + off, 4);
    lastOff = off;
    off += nl::align4(len);
  }
  uint16_t flags;
  uint32_t lastSeq;
  std::memcpy(&flags, buf.data() + lastOff + 6, 2);
  std::memcpy(&lastSeq, buf.data() + lastOff + 8, 4);
  flags |= NLM_F_ACK;
  std::memcpy(buf.data() + lastOff + 6, &flags, 2);
  ++stats_.batches;
  stats_.messages += pending_.size();
  bool acked = false;
  auto st = req_->send(buf);
  if (st) {
    // rtnetlink processed the whole batch inside sendmsg: the answers are queued already.
    for (int spins = 0; spins < 1000 && !acked; ++spins) {
      auto msgs = req_->recv();
      if (!msgs) {
        spdlog::warn("event=dataplane_ack_error reason=\"{}\"", msgs.error().message);
        break;
      }
      if (msgs->empty()) {
        break;
      }
      for (const auto& m : *msgs) {
        if (m.hdr.type != NLMSG_ERROR) {
          continue;
        }
        auto e = nl::decodeError(m);
        if (!e) {
          continue;
        }
        auto it = pending_.find(e->orig.seq);
        if (it == pending_.end()) {
          continue;
        }
        if (e->error != 0) {
          it->second.error = e->error;
          // Extended ack: NLMSGERR_ATTR_MSG after the error code and the capped header.
          auto rest = m.payload.subspan(std::min<size_t>(m.payload.size(), 4 + nl::kHeaderLen));
          if (auto attrs = nl::listAttrs(rest)) {
            for (const auto& a : *attrs) {
              if (a.type == NLMSGERR_ATTR_MSG) {
                it->second.message = a.str();
              }
            }
          }
          if (it->second.message.empty()) {
            it->second.message = strerror(-e->error);
          }
        }
        if (e->orig.seq == lastSeq) {
          acked = true;
        }
      }
    }
  } else {
    spdlog::error("event=dataplane_send_failed reason=\"{}\"", st.error().message);
  }
  if (!acked) {
    ++stats_.lostAcks;
  }
  // Apply the answers in order (next hops before the routes that use them).
  std::vector<uint32_t> seqs;
  seqs.reserve(pending_.size());
  for (const auto& [seq, p] : pending_) {
    seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end());
  for (uint32_t seq : seqs) {
    auto& p = pending_[seq];
    if (!acked && p.error == 0) {
      p.error = -EIO;
      p.message = st ? "no answer from the kernel (receive buffer overrun?)" : st.error().message;
    }
    applyPending(p);
  }
  pending_.clear();
  if (!acked) {
    scheduleResync("answers from the kernel were lost");
  }
  // Every route we just wrote is echoed to the monitor socket: read the echoes now, batch
  // by batch, so a burst of 100k routes never overruns it (which would cost a resync).
  onMonitorReadable();
}

void LinuxDataplane::applyPending(Pending& p) {
  switch (p.kind) {
    case PendKind::NhCreate:
      if (p.error == 0) {
        ++stats_.nhCreated;
      } else {
        ++stats_.nhErrors;
        // Forget the object: the routes that wanted it failed as well and will retry.
        if (auto it = objs_.find(p.nhId); it != objs_.end()) {
          if (it->second.group) {
            for (const auto& [id, w] : it->second.members) {
              unref(id);
            }
            groups_.erase(it->second.members);
          } else {
            singles_.erase(it->second.single);
          }
          objs_.erase(it);
        }
        spdlog::warn(
            "event=dataplane_nexthop_refused id={} error={} reason=\"{}\"",
            p.nhId,
            -p.error,
            p.message);
      }
      return;
    case PendKind::NhDelete:
      if (p.error == 0 || p.error == -ENOENT || p.error == -ESRCH) {
        ++stats_.nhDeleted;
        objs_.erase(p.nhId);  // members were released when the delete was queued
      } else {
        ++stats_.nhErrors;
        scheduleResync("a next-hop object could not be deleted");
      }
      return;
    case PendKind::RouteUpsert: {
      if (p.error == 0) {
        ++stats_.routeOk;
        auto [it, fresh] = routeNh_.try_emplace(p.key, p.nhId);
        if (!fresh) {
          unref(it->second);
          it->second = p.nhId;
        }
      } else {
        ++stats_.routeErrors;
        unref(p.nhId);
      }
      results_.push_back(DpResult{p.key, DpOpKind::Upsert, p.error, p.message});
      return;
    }
    case PendKind::RouteDelete:
      if (p.error == 0 || p.error == -ESRCH) {
        ++stats_.routeOk;
        if (auto it = routeNh_.find(p.key); it != routeNh_.end()) {
          unref(it->second);
          routeNh_.erase(it);
        }
      } else {
        ++stats_.routeErrors;
      }
      results_.push_back(DpResult{p.key, DpOpKind::Delete, p.error, p.message});
      return;
  }
}

void LinuxDataplane::collectGarbage() {
  // Groups first (that releases their members), then singles. Routes that used them were
  // moved or deleted in batches already answered, so nothing in the kernel uses them.
  std::vector<uint8_t> buf;
  for (bool groups : {true, false}) {
    for (auto it = objs_.begin(); it != objs_.end(); ++it) {
      const NhObj& o = it->second;
      if (o.group != groups || o.refs != 0) {
        continue;
      }
      if (groups) {
        for (const auto& [id, w] : o.members) {
          unref(id);
        }
        groups_.erase(o.members);
      } else {
        singles_.erase(o.single);
      }
      appendNexthopDelete(buf, o.id);
    }
  }
  if (!buf.empty()) {
    // The objects stay until the kernel answered (applyPending erases them).
    sendBatch(buf);
  }
}

void LinuxDataplane::flushResults() {
  flushScheduled_ = false;
  if (results_.empty()) {
    return;
  }
  auto out = std::exchange(results_, {});
  undelivered_ -= std::min(undelivered_, out.size());
  if (cb_.results) {
    cb_.results(std::move(out));
  }
}

Status LinuxDataplane::doResync(const char* why) {
  auto t0 = loop_.now();
  // Answers not yet handed over belong to the state before the dump: hand them over first.
  flushResults();
  objs_.clear();
  singles_.clear();
  groups_.clear();
  foreignIds_.clear();
  routeNh_.clear();
  NexthopIndex nhs;
  std::vector<ProgrammedRoute> programmed;
  PathInterner interner;
  auto dumped = dumpKernelRoutes(*req_, nhs, [&](KernelRoute&& kr) {
    if (kr.priority != cfg_.metric) {
      return;  // not ours (the kernel's connected routes, an admin's routes)
    }
    FibKey key{cfg_.zebraTable(kr.key.table), kr.key.prefix};
    routeNh_[key] = kr.nhId;
    RouteSpec spec;
    spec.kind = kr.route.kind;
    spec.protocol = kr.route.protocol;
    spec.prefsrc = kr.route.prefsrc;
    if (spec.kind == RouteKind::Unicast) {
      PathSet ps;
      for (const auto& zp : kr.route.paths) {
        ps.push_back(Path{
            zp.gateway,
            zp.ifindex != 0 ? zebraName(zp.ifindex) : std::string(),
            zp.weight,
            zp.onlink});
      }
      spec.paths = interner.intern(std::move(ps));
    }
    programmed.push_back(ProgrammedRoute{key, std::move(spec), kr.rtmFlags});
  });
  if (!dumped) {
    routeNh_.clear();
    return fail(dumped.error());
  }
  ++stats_.resyncs;
  for (const auto& [id, n] : nhs) {
    if (n.protocol != kNhProtocol) {
      foreignIds_.insert(n.id);
      continue;
    }
    NhObj o;
    o.id = n.id;
    if (n.isGroup()) {
      o.group = true;
      for (const auto& e : n.group) {
        o.members.emplace_back(e.id, e.weight);
      }
      std::sort(o.members.begin(), o.members.end());
      groups_[o.members] = o.id;
    } else {
      o.single.family = n.family;
      o.single.gateway = n.gateway;
      o.single.ifindex = n.oif.value_or(0);
      o.single.onlink = (n.nhFlags & RTNH_F_ONLINK) != 0;
      singles_[o.single] = o.id;
    }
    objs_[o.id] = std::move(o);
    nextId_ = std::max(nextId_, n.id + 1);
  }
  for (const auto& [id, o] : objs_) {
    for (const auto& [m, w] : o.members) {
      ref(m);
    }
  }
  for (const auto& [key, nh] : routeNh_) {
    ref(nh);
  }
  stats_.lastResyncSeconds = std::chrono::duration<double>(loop_.now() - t0).count();
  spdlog::info(
      "event=dataplane_resync why=\"{}\" routes={} nexthops={} seconds={:.3f}",
      why,
      programmed.size(),
      objs_.size(),
      stats_.lastResyncSeconds);
  if (cb_.resynced) {
    cb_.resynced(std::move(programmed));
  }
  collectGarbage();
  ::malloc_trim(0);  // the dump was transient
  return ok();
}

void LinuxDataplane::onMonitorReadable() {
  bool suspicious = false;
  for (int i = 0; i < 256; ++i) {
    auto msgs = mon_->recv();
    if (!msgs) {
      if (msgs.error().code == "overrun") {
        ++stats_.monitorOverruns;
        scheduleResync("route notifications were lost");
        continue;
      }
      break;
    }
    if (msgs->empty()) {
      break;
    }
    for (const auto& m : *msgs) {
      ++stats_.notifications;
      if (m.hdr.type == RTM_DELNEXTHOP) {
        auto n = nl::decodeNexthop(m);
        if (n && objs_.contains(n->id) && n->pid != req_->portId()) {
          suspicious = true;  // the kernel flushed one of ours (a port went down)
        }
        continue;
      }
      auto n = readRouteNotification(m, cfg_);
      if (!n) {
        continue;
      }
      if (n->isNew) {
        // Our own writes' echoes included: they carry the flags a driver set at insert time
        // and are read (sendBatch) before the write's result reaches the core.
        if (cb_.hwFlags) {
          cb_.hwFlags(n->key, n->rtmFlags);
        }
      } else if (routeNh_.contains(n->key) && n->pid != req_->portId()) {
        // A route we believe installed went away without us: verify.
        ++stats_.externalChanges;
        suspicious = true;
      }
    }
  }
  if (suspicious) {
    scheduleResync("a route or next hop of ours was removed by someone else");
  }
}

void LinuxDataplane::countNeighbours() {
  auto sock = NetlinkSocket::open({}, 4 << 20, cfg_.netnsPath);
  if (!sock) {
    return;
  }
  auto msgs = sock->dump(RTM_GETNEIGH, AF_UNSPEC, 2000);
  if (!msgs) {
    return;
  }
  uint64_t n = 0;
  for (const auto& raw : *msgs) {
    auto split = nl::split(raw);
    if (!split || split->size() != 1) {
      continue;
    }
    auto nb = nl::decodeNeigh(split->at(0));
    if (nb && (nb->state & (NUD_NOARP | NUD_FAILED | NUD_INCOMPLETE)) == 0) {
      ++n;
    }
  }
  neighbours_ = n;
  if (cb_.neighbours) {
    cb_.neighbours(n);
  }
}

nlohmann::json LinuxDataplane::status() const {
  size_t groups = 0;
  for (const auto& [id, o] : objs_) {
    groups += o.group ? 1 : 0;
  }
  return {
      {"backend", "linux"},
      {"netns", cfg_.netnsPath},
      {"table", cfg_.table},
      {"metric", cfg_.metric},
      {"batchSize", cfg_.batchSize},
      {"ports", links_ ? links_->links().size() : 0},
      {"installedRoutes", routeNh_.size()},
      {"nexthopObjects", objs_.size()},
      {"nexthopGroups", groups},
      {"neighbours", neighbours_},
      {"flagNotifications", flagNotify_},
      {"counters",
       {{"batches", stats_.batches},
        {"messages", stats_.messages},
        {"routeOk", stats_.routeOk},
        {"routeErrors", stats_.routeErrors},
        {"nexthopsCreated", stats_.nhCreated},
        {"nexthopsDeleted", stats_.nhDeleted},
        {"nexthopErrors", stats_.nhErrors},
        {"noPort", stats_.noPort},
        {"lostAcks", stats_.lostAcks},
        {"resyncs", stats_.resyncs},
        {"lastResyncSeconds", stats_.lastResyncSeconds},
        {"notifications", stats_.notifications},
        {"monitorOverruns", stats_.monitorOverruns},
        {"externalChanges", stats_.externalChanges}}},
  };
}

}  // namespace hr::fpm_client

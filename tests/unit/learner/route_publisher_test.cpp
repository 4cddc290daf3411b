// RoutePublisher over a real unix socket to an in-process ControlServer standing in for
// fpm_client's socket: the connection sequence (Hello, Subscribe, SyncBegin, the table,
// SyncEnd), batching of a burst into few messages, coalescing per address, and inbound
// route status / remote routes (malformed addresses counted, not applied).
#include "hostroute_learner/route_publisher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>

#include "core/event_loop.h"
#include "core/ipc/channel.h"
#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

using namespace std::chrono_literals;

struct PublisherFixture : ::testing::Test {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  Counters serverCounters{"fpm_client"};
  Counters counters{"hostroute_learner"};
  std::string path = (std::filesystem::temp_directory_path() /
                      ("hrle-pub-" + std::to_string(::getpid()) + ".sock"))
                         .string();
  std::unique_ptr<ipc::ControlServer> server;
  std::vector<ipc::Envelope> got;
  std::vector<PublishAction> table;
  std::vector<std::tuple<std::string, IpAddress, RouteState, bool>> statuses;
  std::vector<std::tuple<IpAddress, bool>> remotes;
  std::vector<std::pair<std::string, IpAddress>> remoteKnown;
  std::unique_ptr<RoutePublisher> pub;

  void SetUp() override {
    server = ipc::ControlServer::listen(*loop, path, serverCounters).value();
    server->onMessage([this](ipc::Channel&, const ipc::Envelope& e) { got.push_back(e); });
    makePublisher();
  }
  // The publisher under test, recording statuses and remote routes in the fixture; with
  // `recover`/`recovering`, a table that checks the routes fpm_client holds after a restart.
  void makePublisher(
      std::function<void(const std::vector<HeldRoute>&)> recover = nullptr,
      std::function<bool()> recovering = nullptr) {
    RoutePublisher::Sink sink{
        [this] { return table; },
        [this](const std::string& vrf, const IpAddress& a, RouteState st, bool shared) {
          statuses.emplace_back(vrf, a, st, shared);
        },
        [this](const std::string&, const IpAddress& a, bool present, const std::string&) {
          remotes.emplace_back(a, present);
        },
        [this] { return remoteKnown; },
        nullptr};
    sink.recover = std::move(recover);
    sink.recovering = std::move(recovering);
    pub = std::make_unique<RoutePublisher>(*loop, path, "test", counters, std::move(sink));
  }
  void TearDown() override {
    pub.reset();
    server.reset();
    std::filesystem::remove(path);
  }
  void runFor(std::chrono::milliseconds d) {
    auto end = loop->now() + d;
    while (loop->now() < end) {
      loop->runOnce(10ms);
    }
  }
  void runUntil(const std::function<bool()>& pred) {
    auto end = loop->now() + 3s;
    while (!pred() && loop->now() < end) {
      loop->runOnce(10ms);
    }
    ASSERT_TRUE(pred());
  }
  size_t count(ipc::Envelope::BodyCase c) const {
    size_t n = 0;
    for (const auto& e : got) {
      n += e.body_case() == c;
    }
    return n;
  }
  static PublishAction add(uint32_t i) {
    PublishAction p;
    p.ip = IpAddress::v4(0x0a010000u + i);
    p.ifname = "br10";
    p.ifindex = 10;
    p.mac = mac("02:aa:00:00:00:01");
    p.flags = kFlagClaim;
    return p;
  }
};

TEST_F(PublisherFixture, ConnectSequenceThenBatchedCoalescedDeltas) {
  for (uint32_t i = 1; i <= 2500; ++i) {
    auto p = add(i);
    p.flags = 0;
    table.push_back(p);
  }
  pub->start();
  runUntil([&] { return count(ipc::Envelope::kSyncEnd) == 1; });
  // Hello, Subscribe{route-status, remote-routes}, SyncBegin, 2 batches (2000 + 500), SyncEnd.
  ASSERT_GE(got.size(), 6u);
  EXPECT_EQ(got[0].body_case(), ipc::Envelope::kHello);
  EXPECT_EQ(got[0].hello().daemon(), "hostroute_learner");
  EXPECT_EQ(got[1].body_case(), ipc::Envelope::kSubscribe);
  ASSERT_EQ(got[1].subscribe().topics_size(), 2);
  EXPECT_EQ(got[2].body_case(), ipc::Envelope::kSyncBegin);
  EXPECT_EQ(count(ipc::Envelope::kIntents), 2u);
  EXPECT_EQ(got[3].intents().add_size(), 2000);
  EXPECT_EQ(got[4].intents().add_size(), 500);
  EXPECT_EQ(got[5].sync_end().generation(), got[2].sync_begin().generation());
  EXPECT_TRUE(pub->synced());

  // A burst of 10,000 new hosts in one loop round: 5 messages, not 10,000.
  got.clear();
  for (uint32_t i = 10000; i < 20000; ++i) {
    pub->publish(add(i), 1);
  }
  // The same address added and withdrawn in the round: only the last intent is sent.
  auto w = add(10000);
  w.add = false;
  pub->publish(w);
  runUntil([&] { return count(ipc::Envelope::kIntents) == 5; });
  runFor(50ms);
  EXPECT_EQ(count(ipc::Envelope::kIntents), 5u);
  size_t adds = 0, withdrawals = 0;
  for (const auto& e : got) {
    adds += e.intents().add_size();
    withdrawals += e.intents().withdraw_size();
  }
  EXPECT_EQ(adds, 9999u);
  EXPECT_EQ(withdrawals, 1u);
  EXPECT_EQ(got[0].intents().add(0).flags(), static_cast<uint32_t>(kFlagClaim));
  EXPECT_EQ(got[0].intents().add(0).seen_realtime_us(), 1u);
}

TEST_F(PublisherFixture, InboundStatusAndRemoteRoutes) {
  ipc::Envelope s;
  auto* st = s.mutable_route_status()->add_status();
  const IpAddress host = ip("10.1.0.11");
  auto a = host.bytes();  // a view: host must outlive it
  st->set_address(std::string(a.begin(), a.end()));
  st->set_state(ipc::ROUTE_INSTALLED);
  st->set_shared(true);
  auto* bad = s.mutable_route_status()->add_status();
  bad->set_address("abc");  // 3 bytes: neither IPv4 nor IPv6
  pub->handle(s);
  ipc::Envelope r;
  auto* rr = r.mutable_remote_routes()->add_routes();
  rr->set_address(std::string(a.begin(), a.end()));
  rr->set_present(true);
  rr->set_protocol("bgp");
  pub->handle(r);
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(std::get<2>(statuses[0]), RouteState::Installed);
  EXPECT_TRUE(std::get<3>(statuses[0]));  // fpm_client injects it as shared
  ASSERT_EQ(remotes.size(), 1u);
  EXPECT_TRUE(std::get<1>(remotes[0]));
  EXPECT_EQ(counters.value("hostroute_learner.ipc.malformed"), 1u);
}

TEST_F(PublisherFixture, RemoteSnapshotClearsHostsItDoesNotList) {
  remoteKnown = {{"", ip("10.1.0.11")}, {"", ip("10.1.0.12")}};
  const IpAddress still = ip("10.1.0.12");
  auto b = still.bytes();
  ipc::Envelope r;
  r.mutable_remote_routes()->set_snapshot(true);
  auto* rr = r.mutable_remote_routes()->add_routes();
  rr->set_address(std::string(b.begin(), b.end()));
  rr->set_present(true);
  pub->handle(r);
  ASSERT_EQ(remotes.size(), 2u);
  EXPECT_EQ(std::get<0>(remotes[0]), still);
  EXPECT_TRUE(std::get<1>(remotes[0]));
  EXPECT_EQ(std::get<0>(remotes[1]), ip("10.1.0.11"));
  EXPECT_FALSE(std::get<1>(remotes[1]));
}

TEST_F(PublisherFixture, DeltasWhileDisconnectedAreDroppedTheSyncCarriesThem) {
  pub->publish(add(1));
  EXPECT_EQ(counters.value("hostroute_learner.ipc.deltas_while_down"), 1u);
  table.push_back(add(1));
  pub->start();
  runUntil([&] { return count(ipc::Envelope::kSyncEnd) == 1; });
  ASSERT_EQ(count(ipc::Envelope::kIntents), 1u);
}

// After a learner restart SyncEnd waits for fpm_client's route-status snapshot and for the
// check of the routes it holds that the table does not know (docs/host-routing.md
// "Restarts"): the recovered host's intent goes before SyncEnd, and SyncEnd goes once the
// table is done.
TEST_F(PublisherFixture, SyncEndWaitsForTheSnapshotAndTheRecovery) {
  std::vector<HeldRoute> held;
  bool recovering = false;
  makePublisher(
      [&](const std::vector<HeldRoute>& h) {
        held = h;
        recovering = true;
      },
      [&] { return recovering; });
  const IpAddress snooped = ip("10.1.0.63");
  const IpAddress removed = ip("10.1.0.64");
  server->onMessage([&](ipc::Channel& ch, const ipc::Envelope& e) {
    got.push_back(e);
    if (e.has_subscribe()) {
      ipc::Envelope s;
      s.mutable_route_status()->set_snapshot(true);
      for (const auto* a : {&snooped, &removed}) {
        auto* st = s.mutable_route_status()->add_status();
        auto b = a->bytes();
        st->set_address(std::string(b.begin(), b.end()));
        st->set_state(a == &removed ? ipc::ROUTE_REMOVED : ipc::ROUTE_INSTALLED);
      }
      ch.send(s);
    }
  });
  pub->start();
  runUntil([&] { return !held.empty(); });
  ASSERT_EQ(held.size(), 1u);  // a removed route is not held
  EXPECT_EQ(held[0].ip, snooped);
  runFor(300ms);
  EXPECT_EQ(count(ipc::Envelope::kSyncEnd), 0u);  // the table still checks
  EXPECT_FALSE(pub->synced());
  auto p = add(63);
  p.flags = 0;
  ASSERT_TRUE(pub->publish(p));  // the host answered: its intent goes inside the sync
  recovering = false;
  runUntil([&] { return count(ipc::Envelope::kSyncEnd) == 1; });
  EXPECT_TRUE(pub->synced());
  size_t intentAt = 0, endAt = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].has_intents() && got[i].intents().add_size() == 1) {
      intentAt = i;
    }
    if (got[i].has_sync_end()) {
      endAt = i;
    }
  }
  EXPECT_GT(intentAt, 0u);
  EXPECT_LT(intentAt, endAt);
}

TEST_F(PublisherFixture, WithoutASnapshotTheSyncEndsAfterTheWait) {
  makePublisher([](const std::vector<HeldRoute>&) {}, [] { return false; });
  pub->start();
  runFor(1500ms);
  EXPECT_EQ(count(ipc::Envelope::kSyncEnd), 0u);
  auto end = loop->now() + 3s;
  while (count(ipc::Envelope::kSyncEnd) == 0 && loop->now() < end) {
    loop->runOnce(10ms);
  }
  EXPECT_EQ(count(ipc::Envelope::kSyncEnd), 1u);
}

}  // namespace
}  // namespace hr::learner::test

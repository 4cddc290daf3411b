#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/ipc/channel.h"
#include "core/ipc/frame.h"

namespace hr::ipc {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> frameOf(const std::string& s) {
  std::vector<uint8_t> out;
  appendFrame(out, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  return out;
}

TEST(FrameDecoder, FramesSplitAtEveryBoundary) {
  std::vector<uint8_t> stream = frameOf("hello");
  auto second = frameOf(std::string(300, 'x'));
  stream.insert(stream.end(), second.begin(), second.end());
  auto empty = frameOf("");
  stream.insert(stream.end(), empty.begin(), empty.end());
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d;
    std::vector<std::string> got;
    std::string f;
    ASSERT_TRUE(d.feed(std::span<const uint8_t>(stream.data(), cut)));
    while (d.next(f)) {
      got.push_back(f);
    }
    ASSERT_TRUE(d.feed(std::span<const uint8_t>(stream.data() + cut, stream.size() - cut)));
    while (d.next(f)) {
      got.push_back(f);
    }
    ASSERT_EQ(got.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(got[0], "hello");
    EXPECT_EQ(got[1], std::string(300, 'x'));
    EXPECT_EQ(got[2], "");
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(FrameDecoder, RefusesOversizedFrame) {
  FrameDecoder d(16);
  const uint8_t hdr[] = {0, 0, 0, 17};
  EXPECT_FALSE(d.feed(hdr));
  EXPECT_TRUE(d.failed());
  std::string f;
  EXPECT_FALSE(d.next(f));
}

TEST(FrameDecoder, OversizedSecondFrameFailsAfterFirst) {
  FrameDecoder d(16);
  auto s = frameOf("ok");
  const uint8_t big[] = {0, 0, 1, 0};
  s.insert(s.end(), big, big + 4);
  ASSERT_TRUE(d.feed(s));  // the second header is checked once the first frame is out
  std::string f;
  ASSERT_TRUE(d.next(f));
  EXPECT_EQ(f, "ok");
  EXPECT_TRUE(d.failed());
  EXPECT_FALSE(d.next(f));
}

class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = std::move(*EventLoop::create());
  }
  bool runUntil(const std::function<bool()>& done) {
    auto deadline = SteadyClock::now() + 5s;
    while (!done() && SteadyClock::now() < deadline) {
      loop_->runOnce(10ms);
    }
    return done();
  }
  std::unique_ptr<EventLoop> loop_;
  Counters counters_{"test"};
};

TEST_F(ChannelTest, ServerAnswersAndPublishes) {
  std::string path = ::testing::TempDir() + "/hr_ipc_test.sock";
  auto server = ControlServer::listen(*loop_, path, counters_);
  ASSERT_TRUE(server) << server.error().message;
  (*server)->onMessage([&](Channel& ch, const Envelope& e) {
    if (e.has_subscribe()) {
      for (const auto& t : e.subscribe().topics()) {
        ch.subscriptions().push_back(t);
      }
      return;
    }
    Envelope r;
    r.set_id(e.id());
    r.mutable_show_reply()->set_ok(true);
    r.mutable_show_reply()->set_json("{\"topic\":\"" + e.show().topic() + "\"}");
    ch.send(r);
  });

  Connector conn(*loop_, path, counters_, "peer");
  std::vector<Envelope> got;
  bool up = false, down = false;
  conn.start(
      [&](Channel& ch) {
        up = true;
        Envelope sub;
        sub.mutable_subscribe()->add_topics("route-status");
        ch.send(sub);
        Envelope q;
        q.set_id(7);
        q.mutable_show()->set_topic("hosts");
        ch.send(q);
      },
      [&](Channel&, const Envelope& e) { got.push_back(e); },
      [&](const std::string&) { down = true; });
  ASSERT_TRUE(runUntil([&] { return got.size() == 1; }));
  EXPECT_TRUE(up);
  EXPECT_EQ(got[0].id(), 7u);
  EXPECT_EQ(got[0].show_reply().json(), "{\"topic\":\"hosts\"}");

  Envelope pub;
  pub.mutable_route_status()->add_status()->set_state(ROUTE_INSTALLED);
  ASSERT_TRUE(runUntil([&] {
    (*server)->publish("route-status", pub);
    return got.size() >= 2;
  }));
  EXPECT_EQ(got[1].route_status().status(0).state(), ROUTE_INSTALLED);

  // Server goes away: the connector sees the drop and reconnects when it is back.
  server->reset();
  ASSERT_TRUE(runUntil([&] { return down; }));
  EXPECT_EQ(conn.channel(), nullptr);
  up = false;
  auto again = ControlServer::listen(*loop_, path, counters_);
  ASSERT_TRUE(again);
  ASSERT_TRUE(runUntil([&] { return up; }));
  EXPECT_GE(counters_.value("test.peer.connects"), 2u);
}

TEST_F(ChannelTest, GarbageClosesTheConnectionAndIsCounted) {
  std::string path = ::testing::TempDir() + "/hr_ipc_garbage.sock";
  auto server = ControlServer::listen(*loop_, path, counters_);
  ASSERT_TRUE(server);
  int calls = 0;
  (*server)->onMessage([&](Channel&, const Envelope&) { ++calls; });
  std::thread client([&] {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    const uint8_t junk[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};  // a frame that is no protobuf
    ASSERT_EQ(::write(fd, junk, sizeof(junk)), static_cast<ssize_t>(sizeof(junk)));
    char c;
    EXPECT_EQ(::read(fd, &c, 1), 0);  // the server hangs up
    ::close(fd);
  });
  ASSERT_TRUE(runUntil([&] { return counters_.value("test.ipc.rx_bad_frames") == 1; }));
  ASSERT_TRUE(runUntil([&] { return (*server)->connections() == 0; }));
  client.join();
  EXPECT_EQ(calls, 0);
}

TEST_F(ChannelTest, RequestOnceReportsAbsentDaemon) {
  Envelope q;
  q.set_id(1);
  q.mutable_show()->set_topic("status");
  auto r = requestOnce(::testing::TempDir() + "/nobody.sock", q, 1s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ipc.not_running");
  EXPECT_NE(r.error().message.find("the daemon is not running"), std::string::npos);
  EXPECT_EQ(probe(::testing::TempDir() + "/nobody.sock").error().code, "ipc.not_running");
}

// A unix socket listening at `path` that nobody ever accepts on or reads (-1 on failure).
int bareListener(const std::string& path) {
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      ::listen(fd, 4) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  return fd;
}

// A socket file left behind by a daemon that died without cleaning up (SIGKILL): the file is
// there, nobody listens. It must not count as a running daemon.
TEST_F(ChannelTest, StaleSocketFileIsNotARunningDaemon) {
  std::string path = ::testing::TempDir() + "/hr_ipc_stale.sock";
  int fd = bareListener(path);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(probe(path)) << "a listening socket is a running daemon";
  ::close(fd);  // the "daemon" dies; its socket file stays
  ASSERT_EQ(::access(path.c_str(), F_OK), 0);
  auto st = probe(path);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "ipc.not_running") << st.error().str();
  ::unlink(path.c_str());
}

// Connected, but the daemon never answers (stuck): a timeout, told apart from "not running".
TEST_F(ChannelTest, RequestOnceTellsNotRespondingFromNotRunning) {
  std::string path = ::testing::TempDir() + "/hr_ipc_stuck.sock";
  int fd = bareListener(path);  // the kernel completes the connect; nobody ever reads
  ASSERT_GE(fd, 0);
  Envelope q;
  q.set_id(1);
  q.mutable_show()->set_topic("status");
  auto r = requestOnce(path, q, 200ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ipc.timeout") << r.error().str();
  EXPECT_NE(r.error().message.find("not responding"), std::string::npos);
  ::close(fd);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace hr::ipc

#include "fpm_client/frr_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

extern char** environ;

namespace hr::fpm_client {

Result<std::unique_ptr<ChildProcess>> ChildProcess::run(
    EventLoop& loop,
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout,
    Done done) {
  if (argv.empty()) {
    return fail("probe.argv", "empty command");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
    return fail("probe.pipe", "pipe: {}", strerror(errno));
  }
  Fd readEnd(fds[0]);
  Fd writeEnd(fds[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, writeEnd.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, writeEnd.get(), 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> cargv;
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  // The daemon blocks SIGTERM/SIGINT/SIGHUP for its signalfd: the child must not inherit that.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return fail("probe.spawn", "cannot run {}: {}", argv[0], strerror(rc));
  }
  writeEnd.reset();
  auto c = std::make_unique<ChildProcess>(Key{}, loop, std::move(done));
  c->pid_ = pid;
  c->out_ = std::move(readEnd);
  c->what_ = argv[0];
  c->deadline_ = loop.now() + timeout;
  ChildProcess* raw = c.get();
  if (auto st = loop.addFd(c->out_.get(), EPOLLIN, [raw](uint32_t) { raw->onReadable(); }); !st) {
    return fail(st.error());
  }
  c->timer_.arm(timeout);
  return c;
}

ChildProcess::~ChildProcess() {
  if (out_) {
    loop_.removeFd(out_.get());
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::onReadable() {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(out_.get(), buf, sizeof(buf));
    if (n > 0) {
      if (buf_.size() < (1u << 22)) {
        buf_.append(buf, static_cast<size_t>(n));
      }
      continue;
    }
    if (n < 0 && (errno == EINTR)) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    break;  // EOF or error
  }
  loop_.removeFd(out_.get());
  out_.reset();
  eof_ = true;
  reap();
}

void ChildProcess::reap() {
  if (pid_ <= 0) {
    return;
  }
  pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    if (WIFEXITED(status_) && WEXITSTATUS(status_) == 0) {
      finish(std::move(buf_));
    } else {
      finish(fail("probe.exit", "{} failed (status {}): {}", what_, status_, buf_.substr(0, 300)));
    }
    return;
  }
  // Output closed but the child has not exited yet: poll again shortly.
  timer_.arm(std::chrono::milliseconds(5));
}

void ChildProcess::onTimer() {
  if (finished_) {
    return;
  }
  if (loop_.now() >= deadline_) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    finish(fail("probe.timeout", "{} did not finish in time", what_));
    return;
  }
  if (eof_) {
    reap();
  } else {
    timer_.armAt(deadline_);
  }
}

void ChildProcess::finish(Result<std::string> r) {
  if (finished_) {
    return;
  }
  finished_ = true;
  timer_.cancel();
  // The callback may destroy this object: run it last, from a deferred call.
  auto cb = std::move(done_);
  loop_.defer([cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
}

FrrProbe::FrrProbe(
    EventLoop& loop, std::string instance, std::string zservPath, std::string forcedVersion)
    : loop_(loop),
      instance_(std::move(instance)),
      zservPath_(std::move(zservPath)),
      forced_(std::move(forcedVersion)) {}

std::pair<std::string, std::string> FrrProbe::zebraBinary() const {
  const std::string fallback = "/usr/lib/frr/zebra";
  auto pidFile = std::filesystem::path(zservPath_).parent_path() / "zebra.pid";
  std::ifstream in(pidFile);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    return {fallback, "zebra.pid not readable: installed binary"};
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
  if (ec) {
    return {fallback, fmt::format("/proc/{}/exe not readable: installed binary", pid)};
  }
  std::string p = exe.string();
  const std::string deleted = " (deleted)";
  if (p.size() > deleted.size() &&
      p.compare(p.size() - deleted.size(), deleted.size(), deleted) == 0) {
    p.resize(p.size() - deleted.size());
    return {p, "the running zebra's binary was replaced on disk: the version is the new file's"};
  }
  return {p, fmt::format("binary of the running zebra (pid {})", pid)};
}

void FrrProbe::detectVersion(VersionDone done) {
  if (!forced_.empty()) {
    auto v = codec::zapi::parseFrrVersion(forced_);
    if (!v) {
      done(fail(v.error()));
      return;
    }
    done(Version{*v, "--frr-version"});
    return;
  }
  auto [bin, note] = zebraBinary();
  std::string source = fmt::format("{} --version ({})", bin, note);
  auto child = ChildProcess::run(
      loop_,
      {bin, "--version"},
      std::chrono::seconds(5),
      [this, done, source](Result<std::string> out) {
        versionChild_.reset();
        if (!out) {
          done(fail(
              "zapi.frr_version_unknown", "cannot tell the FRR version: {}", out.error().message));
          return;
        }
        auto v = codec::zapi::parseVersionOutput(*out);
        if (!v) {
          done(fail(
              "zapi.frr_version_unknown", "cannot tell the FRR version: {}", v.error().message));
          return;
        }
        done(Version{*v, source});
      });
  if (!child) {
    done(
        fail("zapi.frr_version_unknown", "cannot tell the FRR version: {}", child.error().message));
    return;
  }
  versionChild_ = std::move(*child);
}

void FrrProbe::runningConfig(ConfigDone done) {
  if (configChild_) {
    done(fail("probe.busy", "a configuration check is already running"));
    return;
  }
  std::vector<std::string> argv = {"/usr/bin/vtysh"};
  if (!instance_.empty()) {
    argv.push_back("-N");
    argv.push_back(instance_);
  }
  argv.push_back("-c");
  argv.push_back("show running-config");
  auto child = ChildProcess::run(
      loop_, argv, std::chrono::seconds(10), [this, done](Result<std::string> out) {
        configChild_.reset();
        done(std::move(out));
      });
  if (!child) {
    done(fail(child.error()));
    return;
  }
  configChild_ = std::move(*child);
}

}  // namespace hr::fpm_client

#include "vrrp_anycast/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/fd.h"

namespace hr::vrrp {

std::string sysctlPath(
    const std::string& family, const std::string& ifname, const std::string& key) {
  return "/proc/sys/net/" + family + "/conf/" + ifname + "/" + key;
}

Result<std::string> readSysctl(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail("vrrp.sysctl_read", "{}: {}", path, strerror(errno));
  }
  char buf[64];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n < 0) {
    return fail("vrrp.sysctl_read", "{}: {}", path, strerror(errno));
  }
  std::string v(buf, static_cast<size_t>(n));
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) {
    v.pop_back();
  }
  return v;
}

Status writeSysctl(const std::string& path, const std::string& value) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    return fail("vrrp.sysctl_write", "{}: {}", path, strerror(errno));
  }
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return fail("vrrp.sysctl_write", "{} = {}: {}", path, value, strerror(errno));
  }
  return ok();
}

Status SysctlStore::load() {
  std::ifstream f(stateFile_);
  if (!f) {
    return ok();
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("vrrp.state_file", "{} is not valid JSON; ignoring it", stateFile_);
  }
  if (auto it = j.find("sysctlOriginals"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) {
        originals_[k] = v.get<std::string>();
      }
    }
  }
  return ok();
}

Status SysctlStore::persist() {
  nlohmann::json j = {{"sysctlOriginals", originals_}};
  std::string tmp = stateFile_ + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) {
      return fail("vrrp.state_file", "cannot write {}", tmp);
    }
    f << j.dump(2) << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(tmp, stateFile_, ec);
  if (ec) {
    return fail("vrrp.state_file", "rename {}: {}", tmp, ec.message());
  }
  return ok();
}

Result<bool> SysctlStore::ensure(const std::string& path, const std::string& value) {
  HR_TRY(auto cur, readSysctl(path));
  if (cur == value) {
    return false;
  }
  if (originals_.emplace(path, cur).second) {
    HR_TRY_VOID(persist());
  }
  HR_TRY_VOID(writeSysctl(path, value));
  return true;
}

Result<bool> SysctlStore::ensureAtLeast(const std::string& path, int value) {
  HR_TRY(auto cur, readSysctl(path));
  int n = 0;
  if (std::sscanf(cur.c_str(), "%d", &n) == 1 && n >= value) {
    return false;
  }
  if (originals_.emplace(path, cur).second) {
    HR_TRY_VOID(persist());
  }
  HR_TRY_VOID(writeSysctl(path, std::to_string(value)));
  return true;
}

SysctlStore::Restored SysctlStore::restore(const std::function<bool(const std::string&)>& match) {
  Restored r;
  bool changed = false;
  for (auto it = originals_.begin(); it != originals_.end();) {
    if (!match(it->first)) {
      ++it;
      continue;
    }
    if (auto st = writeSysctl(it->first, it->second); !st) {
      if (::access(it->first.c_str(), F_OK) != 0 && errno == ENOENT) {
        r.gone.push_back(it->first);
        it = originals_.erase(it);
        changed = true;
        continue;
      }
      r.failed.push_back(st.error().message);
      ++it;
      continue;
    }
    r.restored.push_back(it->first + "=" + it->second);
    it = originals_.erase(it);
    changed = true;
  }
  if (changed) {
    (void)persist();
  }
  return r;
}

}  // namespace hr::vrrp

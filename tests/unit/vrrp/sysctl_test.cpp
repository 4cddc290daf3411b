// SysctlStore on ordinary files standing in for /proc/sys: originals recorded once, written
// back on restore, and kept (for a retry) when the write back fails.
#include "vrrp_anycast/sysctl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hr::vrrp {
namespace {

namespace fs = std::filesystem;

class SysctlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hr-sysctl-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
  }
  std::string file(const std::string& name, const std::string& value) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << value << "\n";
    return p;
  }
  static std::string read(const std::string& p) {
    return readSysctl(p).value();
  }
  std::string stateFile() const {
    return (dir_ / "state.json").string();
  }
  fs::path dir_;
};

TEST_F(SysctlStoreTest, RecordsTheFirstOriginalAndRestoresIt) {
  std::string ignore = file("arp_ignore", "0");
  SysctlStore s(stateFile());
  EXPECT_TRUE(s.ensureAtLeast(ignore, 1).value());
  EXPECT_EQ(read(ignore), "1");
  EXPECT_FALSE(s.ensureAtLeast(ignore, 1).value());  // already there
  EXPECT_TRUE(s.ensure(ignore, "2").value());
  EXPECT_EQ(s.originals().at(ignore), "0");  // the first original, not the 1 we wrote
  // A restarted daemon reads the originals back from the state file.
  SysctlStore again(stateFile());
  ASSERT_TRUE(again.load());
  EXPECT_EQ(again.originals().at(ignore), "0");
  auto r = again.restore([](const std::string&) { return true; });
  ASSERT_EQ(r.restored.size(), 1u);
  EXPECT_EQ(r.restored[0], ignore + "=0");
  EXPECT_TRUE(r.failed.empty());
  EXPECT_EQ(read(ignore), "0");
  EXPECT_TRUE(again.originals().empty());
  SysctlStore third(stateFile());
  ASSERT_TRUE(third.load());
  EXPECT_TRUE(third.originals().empty()) << "the state file forgot it too";
}

TEST_F(SysctlStoreTest, AFailedRestoreKeepsTheOriginalForARetry) {
  std::string announce = file("arp_announce", "0");
  std::string other = file("other", "5");
  SysctlStore s(stateFile());
  ASSERT_TRUE(s.ensureAtLeast(announce, 2).value());
  ASSERT_TRUE(s.ensure(other, "7").value());
  // The write back fails (as root no permission bit stops a write: a directory does).
  fs::remove(announce);
  fs::create_directory(announce);
  auto r = s.restore([](const std::string&) { return true; });
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_NE(r.failed[0].find(announce), std::string::npos) << r.failed[0];
  ASSERT_EQ(r.restored.size(), 1u);  // the other one is not held up
  EXPECT_EQ(read(other), "5");
  EXPECT_EQ(s.originals().count(announce), 1u) << "kept";
  EXPECT_EQ(s.originals().count(other), 0u);
  SysctlStore reread(stateFile());
  ASSERT_TRUE(reread.load());
  EXPECT_EQ(reread.originals().at(announce), "0") << "and still in the state file";
  // The retry succeeds once the path is writable again.
  fs::remove(announce);
  file("arp_announce", "2");
  r = s.restore([](const std::string&) { return true; });
  ASSERT_EQ(r.restored.size(), 1u);
  EXPECT_TRUE(r.failed.empty());
  EXPECT_EQ(read(announce), "0");
  EXPECT_TRUE(s.originals().empty());
}

TEST_F(SysctlStoreTest, APathThatIsGoneIsForgotten) {
  // The interface was deleted: its settings went with it, nothing to restore.
  std::string p = file("arp_ignore", "0");
  SysctlStore s(stateFile());
  ASSERT_TRUE(s.ensureAtLeast(p, 1).value());
  fs::remove(p);
  auto r = s.restore([](const std::string&) { return true; });
  EXPECT_TRUE(r.failed.empty());
  EXPECT_TRUE(r.restored.empty());
  ASSERT_EQ(r.gone.size(), 1u);
  EXPECT_TRUE(s.originals().empty());
}

TEST_F(SysctlStoreTest, OnlyMatchingPathsAreRestored) {
  std::string a = file("a", "0");
  std::string b = file("b", "0");
  SysctlStore s(stateFile());
  ASSERT_TRUE(s.ensureAtLeast(a, 1).value());
  ASSERT_TRUE(s.ensureAtLeast(b, 1).value());
  auto r = s.restore([&](const std::string& path) { return path == a; });
  EXPECT_EQ(r.restored.size(), 1u);
  EXPECT_EQ(read(a), "0");
  EXPECT_EQ(read(b), "1");
  EXPECT_EQ(s.originals().count(b), 1u);
}

}  // namespace
}  // namespace hr::vrrp

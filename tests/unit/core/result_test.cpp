#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace hr {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) {
    return fail("odd", "{} is odd", x);
  }
  return x / 2;
}

Result<int> quarter(int x) {
  HR_TRY(int h, half(x));
  HR_TRY(int q, half(h));
  return q;
}

Status check(bool good) {
  if (!good) {
    return fail("bad", "not good");
  }
  return ok();
}

Status chain(bool good) {
  HR_TRY_VOID(check(good));
  return ok();
}

TEST(Result, ValueAndError) {
  auto r = half(4);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 2);
  auto e = half(3);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, "odd");
  EXPECT_EQ(e.error().message, "3 is odd");
  EXPECT_EQ(e.error().str(), "odd: 3 is odd");
  EXPECT_EQ(e.value_or(-1), -1);
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "3 is odd");
  EXPECT_TRUE(chain(true));
  EXPECT_EQ(chain(false).error().code, "bad");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r);
  auto p = std::move(*r);
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace hr

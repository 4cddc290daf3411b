// hr::Result<T, E>: the value-or-error return type of every fallible call that handles
// untrusted input (packets, FPM, ZAPI, netlink, config) or an expected failure (EAGAIN).
//
// C++20 on Debian 12 (g++ 12, clang 14) has no std::expected; this mirrors its interface
// closely enough that moving to C++23 is an alias away:
//   Result<int> parse(...);  auto r = parse(..); if (!r) log(r.error().message); use(*r);
//   return hr::fail("truncated", "need {} bytes", n);   // -> Unexpected<Error>
#pragma once

#include <fmt/format.h>

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace hr {

// A failure: a stable machine-readable code (counted, catalogued in docs/errors.md where it
// reaches an operator) and a human message.
struct Error {
  std::string code;
  std::string message;

  std::string str() const {
    return code.empty() ? message : code + ": " + message;
  }
};

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  E& error() & {
    return error_;
  }
  E&& error() && {
    return std::move(error_);
  }
  const E& error() const& {
    return error_;
  }

 private:
  E error_;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

// Builds an Unexpected<Error> with a formatted message.
template <class... Args>
Unexpected<Error> fail(std::string code, fmt::format_string<Args...> f, Args&&... args) {
  return Unexpected<Error>(Error{std::move(code), fmt::format(f, std::forward<Args>(args)...)});
}

inline Unexpected<Error> fail(Error e) {
  return Unexpected<Error>(std::move(e));
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Result(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT
  template <class U>
  requires(
      std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
      !std::is_same_v<std::decay_t<U>, Result>) Result(U&& v)
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}  // NOLINT
  template <class G>
  Result(Unexpected<G> u) : v_(std::in_place_index<1>, std::move(u).error()) {}  // NOLINT

  bool has_value() const {
    return v_.index() == 0;
  }
  explicit operator bool() const {
    return has_value();
  }
  T& value() & {
    return std::get<0>(v_);
  }
  const T& value() const& {
    return std::get<0>(v_);
  }
  T&& value() && {
    return std::get<0>(std::move(v_));
  }
  T& operator*() & {
    return value();
  }
  const T& operator*() const& {
    return value();
  }
  T&& operator*() && {
    return std::move(*this).value();
  }
  T* operator->() {
    return &value();
  }
  const T* operator->() const {
    return &value();
  }
  E& error() & {
    return std::get<1>(v_);
  }
  const E& error() const& {
    return std::get<1>(v_);
  }
  E&& error() && {
    return std::get<1>(std::move(v_));
  }
  template <class U>
  T value_or(U&& alt) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(alt));
  }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <class G>
  Result(Unexpected<G> u) : err_(std::move(u).error()), ok_(false) {}  // NOLINT

  bool has_value() const {
    return ok_;
  }
  explicit operator bool() const {
    return ok_;
  }
  void value() const {}
  E& error() & {
    return err_;
  }
  const E& error() const& {
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok() {
  return {};
}

}  // namespace hr

// Propagates an error: HR_TRY(auto x, parse(buf)); or HR_TRY_VOID(check(y));
#define HR_CONCAT_INNER(a, b) a##b
#define HR_CONCAT(a, b) HR_CONCAT_INNER(a, b)
#define HR_TRY_IMPL(tmp, decl, expr)                 \
  auto tmp = (expr);                                 \
  if (!tmp) {                                        \
    return ::hr::Unexpected(std::move(tmp).error()); \
  }                                                  \
  decl = std::move(*tmp)
#define HR_TRY(decl, expr) HR_TRY_IMPL(HR_CONCAT(hr_try_, __LINE__), decl, expr)
#define HR_TRY_VOID(expr)                                       \
  do {                                                          \
    auto hr_try_void_ = (expr);                                 \
    if (!hr_try_void_) {                                        \
      return ::hr::Unexpected(std::move(hr_try_void_).error()); \
    }                                                           \
  } while (0)

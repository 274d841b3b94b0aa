#pragma once
// gaze::Error is the one exception type gaze throws for user-facing problems:
// bad shapes, bad configs, unreadable files. Messages say what, where and what
// was expected, so a user can act on them without reading the code.
#include <sstream>
#include <stdexcept>
#include <string>

namespace gaze {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

}  // namespace gaze

// GAZE_CHECK(cond, "what", value, "more") throws gaze::Error with the pieces
// streamed together when cond is false.
#define GAZE_CHECK(cond, ...)                                      \
  do {                                                             \
    if (!(cond)) throw ::gaze::Error(::gaze::detail::concat(__VA_ARGS__)); \
  } while (0)

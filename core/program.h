#pragma once
// run_program: the error boundary of every gaze program's main(). Nothing a
// user hands a program may abort it (exit 134): every exception becomes a
// one-line message on stderr and a documented exit code.
//   0    success
//   1    an error the user can act on: bad file, config, option, data
//        (gaze::Error, filesystem and YAML errors)
//   3    out of memory (std::bad_alloc)
//   4    an internal error: a bug in gaze, please report it with the message
//   130  interrupted (SIGINT/SIGTERM; train writes last.safetensors first)
// Command-line mistakes are reported by CLI11 before run_program, with its
// own exit codes (100 and above; --help exits 0).
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>

#include "core/error.h"

namespace gaze {

inline constexpr int kExitError = 1;
inline constexpr int kExitOutOfMemory = 3;
inline constexpr int kExitInternal = 4;
inline constexpr int kExitInterrupted = 130;

template <typename Body>
int run_program(const char* program, Body body) noexcept {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return kExitError;
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return kExitError;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: error: out of memory (lower the batch size, image size or model width)\n", program);
    return kExitOutOfMemory;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s (a bug in gaze: please report it with this message)\n", program,
                 e.what());
    return kExitInternal;
  } catch (...) {
    std::fprintf(stderr, "%s: internal error: unknown exception (a bug in gaze: please report it)\n", program);
    return kExitInternal;
  }
}

}  // namespace gaze

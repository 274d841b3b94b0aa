#pragma once
// Text rules shared by gpu-check-report's readers (tests/cuda/gpu_check_report.h).
// Its verdicts were first written in Python, and these helpers keep the
// Python semantics they relied on: universal newlines, str.isspace()
// whitespace, int() and float() syntax. Files are read with a size bound,
// and every failure is a gaze::Error whose message names the file.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gaze::gpu_check {

// The whole file, at most max_bytes (more is an error). Open and read errors
// read as Python's OSError does: "[Errno 2] No such file or directory: 'PATH'".
std::string read_text_file(const std::string& path, std::size_t max_bytes);

// "\r\n" and a lone "\r" become "\n" (Python's universal newlines).
std::string normalize_newlines(std::string_view text);

// The length (1-4) of the well-formed UTF-8 sequence at text[at], with its
// code point in *code_point; 0 when the bytes there are not valid UTF-8
// (overlong forms and surrogates included).
std::size_t utf8_sequence(std::string_view text, std::size_t at, char32_t* code_point);

// Invalid UTF-8 sequences replaced by U+FFFD (as Python's errors="replace").
std::string valid_utf8(std::string_view text);

// The length of the whitespace character at text[at] as Python's str.isspace()
// sees it (ASCII and Unicode spaces), 0 when there is none.
std::size_t python_space(std::string_view text, std::size_t at);

// Python's int(text) and float(text) for the forms they accept (surrounding
// whitespace, a sign, "_" between digits; float: inf, infinity, nan); nullopt
// for anything else, and for integers beyond +-10^18.
std::optional<long long> python_int(std::string_view text);
std::optional<double> python_float(std::string_view text);

// Python's repr() of a str for messages: 'text' in single quotes.
std::string python_repr(std::string_view text);

// printf("%.Nf") that writes "nan" for every NaN, as Python's format does.
std::string fixed(double value, int decimals);

}  // namespace gaze::gpu_check

#include "tests/cuda/report_text.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace gaze::gpu_check {

namespace {

std::string os_error(int error, const std::string& path) {
  return "[Errno " + std::to_string(error) + "] " + std::strerror(error) + ": " + python_repr(path);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strips Python whitespace from both ends.
std::string_view python_strip(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t length = python_space(text, begin);
    if (length == 0) break;
    begin += length;
  }
  std::size_t end = text.size();
  while (end > begin) {
    // Whitespace sequences are 1-3 bytes long; find the one that ends here.
    std::size_t length = 0;
    for (std::size_t back = 1; back <= 3 && back <= end - begin; ++back) {
      if (python_space(text, end - back) == back) {
        length = back;
        break;
      }
    }
    if (length == 0) break;
    end -= length;
  }
  return text.substr(begin, end - begin);
}

// Digits with single "_" between them, from text[at]; appends the digits to
// *digits and returns the position after them (at itself when none).
std::size_t digit_part(std::string_view text, std::size_t at, std::string* digits) {
  std::size_t i = at;
  while (i < text.size()) {
    if (is_digit(text[i])) {
      digits->push_back(text[i++]);
    } else if (text[i] == '_' && i > at && is_digit(text[i - 1]) && i + 1 < text.size() && is_digit(text[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

std::string python_repr(std::string_view text) {
  std::string repr(1, '\'');
  repr.append(text);
  repr.push_back('\'');
  return repr;
}

std::string read_text_file(const std::string& path, std::size_t max_bytes) {
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) throw Error(os_error(errno ? errno : EIO, path));
  std::string text;
  char buffer[65536];
  while (true) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    if (got > 0) {
      if (got > max_bytes - text.size()) {
        throw Error(path + " is larger than " + std::to_string(max_bytes) + " bytes, more than any report it could be");
      }
      text.append(buffer, got);
    }
    if (got < sizeof buffer) {
      if (std::ferror(file.get())) throw Error(os_error(errno ? errno : EIO, path));
      break;
    }
  }
  return text;
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::size_t utf8_sequence(std::string_view text, std::size_t at, char32_t* code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length;
  char32_t value;
  char32_t minimum;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - at < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(at + i) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *code_point = value;
  return length;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t code_point;
    const std::size_t length = utf8_sequence(text, i, &code_point);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::size_t python_space(std::string_view text, std::size_t at) {
  if (at >= text.size()) return 0;
  char32_t c;
  const std::size_t length = utf8_sequence(text, at, &c);
  if (length == 0) return 0;
  const bool space = (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
                     c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
                     c == 0x205F || c == 0x3000;
  return space ? length : 0;
}

std::optional<long long> python_int(std::string_view text) {
  text = python_strip(text);
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::string digits;
  i = digit_part(text, i, &digits);
  if (digits.empty() || i != text.size()) return std::nullopt;
  const std::size_t first = digits.find_first_not_of('0');
  if (first != std::string::npos && digits.size() - first > 18) return std::nullopt;
  const long long value = std::strtoll(digits.c_str(), nullptr, 10);
  return negative ? -value : value;
}

std::optional<double> python_float(std::string_view text) {
  text = python_strip(text);
  std::size_t i = 0;
  std::string clean;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) clean.push_back(text[i++]);
  const std::string_view word = text.substr(i);
  if (equals_ignoring_case(word, "inf") || equals_ignoring_case(word, "infinity")) {
    return clean == "-" ? -HUGE_VAL : HUGE_VAL;
  }
  if (equals_ignoring_case(word, "nan")) return clean == "-" ? -std::nan("") : std::nan("");
  std::string mantissa;
  i = digit_part(text, i, &mantissa);
  std::string fraction;
  if (i < text.size() && text[i] == '.') i = digit_part(text, i + 1, &fraction);
  if (mantissa.empty() && fraction.empty()) return std::nullopt;
  clean += mantissa + "." + fraction;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    clean.push_back('e');
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) clean.push_back(text[i++]);
    std::string exponent;
    i = digit_part(text, i, &exponent);
    if (exponent.empty()) return std::nullopt;
    clean += exponent;
  }
  if (i != text.size()) return std::nullopt;
  return std::strtod(clean.c_str(), nullptr);
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace gaze::gpu_check

#include "tests/cuda/gpu_check_report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/error.h"
#include "tests/cuda/csv_reader.h"
#include "tests/cuda/report_text.h"
#include "tests/cuda/xml_reader.h"

namespace gaze::gpu_check {

namespace {

// Far beyond any real report, log or source file; a bound on what is read.
constexpr std::size_t kMaxSourceBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxReportBytes = std::size_t{256} << 20;

Verdict fail(const std::string& why) { return {false, "FAIL: " + why}; }

std::size_t skip_python_spaces(std::string_view text, std::size_t at) {
  while (std::size_t length = python_space(text, at)) at += length;
  return at;
}

// Matches TEST_CASE\(\s*"(?:[^"\\]|\\.)*"\s*,\s*"([^"]*)"\s*\) from `at`,
// just after "TEST_CASE(": on a match, the tags and the end of the match.
bool match_test_case(std::string_view text, std::size_t at, std::string* tags, std::size_t* end) {
  at = skip_python_spaces(text, at);
  if (at >= text.size() || text[at] != '"') return false;
  ++at;
  while (true) {  // the case name: up to the first unescaped quote
    if (at >= text.size()) return false;
    if (text[at] == '"') break;
    if (text[at] == '\\') {
      if (at + 1 >= text.size() || text[at + 1] == '\n') return false;  // "." matches no newline
      at += 2;
    } else {
      ++at;
    }
  }
  at = skip_python_spaces(text, at + 1);
  if (at >= text.size() || text[at] != ',') return false;
  at = skip_python_spaces(text, at + 1);
  if (at >= text.size() || text[at] != '"') return false;
  const std::size_t close = text.find('"', at + 1);
  if (close == std::string_view::npos) return false;
  *tags = std::string(text.substr(at + 1, close - at - 1));
  at = skip_python_spaces(text, close + 1);
  if (at >= text.size() || text[at] != ')') return false;
  *end = at + 1;
  return true;
}

// A metrics.csv row as Python's csv.DictReader gives it: column -> value.
using Row = std::map<std::string, std::string>;

// metrics.csv's data rows (blank lines skipped), keyed by its header. Stricter
// than Python's csv.DictReader, which fills a short row with None and passes
// a file cut after the losses of its last row: gaze writes whole rows with a
// newline each, so a short row or a missing last newline is a file cut off.
std::vector<Row> read_metrics(const std::string& path) {
  const std::string text = read_text_file(path, kMaxReportBytes);
  if (valid_utf8(text) != text) throw Error(path + " is not UTF-8 text");
  if (!text.empty() && text.back() != '\n' && text.back() != '\r') {
    throw Error(path + " does not end with a newline (cut off?)");
  }
  const auto records = csv_records(text);
  std::vector<Row> rows;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& header = records[0];
    const auto& record = records[r];
    if (record.empty()) continue;
    if (record.size() != header.size()) {
      throw Error(path + ": row " + std::to_string(rows.size() + 1) + " has " + std::to_string(record.size()) +
                  " fields, the header " + std::to_string(header.size()) + " (cut off?)");
    }
    Row row;
    for (std::size_t i = 0; i < header.size(); ++i) row[header[i]] = record[i];
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw Error(path + " has no epochs");
  return rows;
}

const std::string& field(const Row& row, const std::string& column) {
  const auto found = row.find(column);
  if (found == row.end()) throw Error(python_repr(column));  // Python's KeyError
  return found->second;
}

double number(const Row& row, const std::string& column) {
  const std::string& text = field(row, column);
  const auto value = python_float(text);
  if (!value) throw Error("could not convert string to float: " + python_repr(text));
  return *value;
}

// Python's round(value, 1): the correctly rounded decimal, as printf gives it.
double round_to_tenth(double value) { return std::strtod(fixed(value, 1).c_str(), nullptr); }

// Python's f"{text:<width}" / f"{text:>width}": widths in code points.
std::string pad(const std::string& text, std::size_t width, bool left_align) {
  std::size_t characters = 0;
  for (const char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (characters >= width) return text;
  const std::string fill(width - characters, ' ');
  return left_align ? text + fill : fill + text;
}

constexpr const char* kUsage =
    "usage: gpu-check-report COMMAND ARGUMENTS: the decisions of scripts/gpu-check\n"
    "  expected SRC_DIR TAG [EXCLUDE_TAG...]   how many TEST_CASEs in\n"
    "      SRC_DIR/*.cpp carry TAG and none of the EXCLUDE_TAGs (read from the\n"
    "      sources, not from the binary, so that a binary that registers no cases\n"
    "      cannot lower the bar)\n"
    "  cases XML EXIT_CODE EXPECTED TAG   verdict on a Catch2 XML report\n"
    "      (test_cuda -r xml): passes only when the exit code is 0, the report is\n"
    "      complete, and exactly EXPECTED cases tagged TAG ran and passed with no\n"
    "      \"no GPU: skipped\" anywhere\n"
    "  loss CPU_CSV GPU_CSV   compares two metrics.csv files epoch by epoch\n"
    "      (train and validation loss, the final epoch included)\n"
    "  rate LOG GPUS   images/s per GPU from the last progress line of a train log\n"
    "  summary STEPS_TSV INFO_JSON OUT_JSON MODE   prints the summary table and\n"
    "      writes the JSON report; exit status 1 when any step did not pass\n"
    "Every verdict prints one line; exit status 0 means PASS.\n";

}  // namespace

bool has_tag(const std::string& tags, const std::string& tag) {
  const std::size_t begin = tag.find_first_not_of("[]");
  const std::string bare = begin == std::string::npos ? "" : tag.substr(begin, tag.find_last_not_of("[]") - begin + 1);
  return tags.find("[" + bare + "]") != std::string::npos;
}

int expected_cases(const std::string& source_dir, const std::string& tag, const std::vector<std::string>& excluded) {
  int count = 0;
  std::error_code error;
  for (std::filesystem::directory_iterator it(source_dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.size() < 5 || name.front() == '.' || !name.ends_with(".cpp")) continue;
    std::error_code ignored;
    if (it->is_directory(ignored)) continue;
    const std::string text = normalize_newlines(read_text_file(it->path().string(), kMaxSourceBytes));
    for (std::size_t at = text.find("TEST_CASE("); at != std::string::npos; at = text.find("TEST_CASE(", at)) {
      std::string tags;
      std::size_t match_end;
      if (!match_test_case(text, at + 10, &tags, &match_end)) {
        ++at;
        continue;
      }
      at = match_end;
      bool counted = has_tag(tags, tag);
      for (const auto& other : excluded) counted = counted && !has_tag(tags, other);
      count += counted;
    }
  }
  return count;
}

Verdict case_verdict(const std::string& xml_path, long long exit_code, long long expected, const std::string& tag) {
  if (expected <= 0) return fail("expected " + std::to_string(expected) + " [" + tag + "] cases: the sources declare none");
  std::string text;
  XmlDocument report;
  try {
    text = read_text_file(xml_path, kMaxReportBytes);
    report = parse_xml(text);
  } catch (const Error& error) {
    return fail(std::string("no complete Catch2 XML report (") + error.what() +
                "); the binary is missing or crashed (exit " + std::to_string(exit_code) + ")");
  }
  const auto& elements = report.elements;
  std::vector<std::string> skipped, failed;
  std::size_t passed = 0;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const XmlElement& test_case = elements[i];
    const std::string* tags = test_case.attribute("tags");
    if (test_case.name != "TestCase" || !has_tag(tags ? *tags : "", tag)) continue;
    // The message anywhere in the case's serialized XML: its attributes,
    // character data and its elements', and its tail.
    bool skip = false;
    for (std::size_t k = i; k < test_case.end && !skip; ++k) {
      skip = elements[k].text.find(kSkipMessage) != std::string::npos ||
             elements[k].tail.find(kSkipMessage) != std::string::npos;
      for (const auto& attribute : elements[k].attributes) {
        skip = skip || attribute.second.find(kSkipMessage) != std::string::npos;
      }
    }
    // Only the first OverallResult child counts.
    bool succeeded = false;
    for (std::size_t k = i + 1; k < test_case.end; ++k) {
      if (elements[k].parent == i && elements[k].name == "OverallResult") {
        const std::string* success = elements[k].attribute("success");
        succeeded = success && *success == "true";
        break;
      }
    }
    const std::string* name = test_case.attribute("name");
    if (skip) skipped.push_back(name ? *name : "None");
    if (!succeeded) failed.push_back(name ? *name : "None");
    passed += succeeded && !skip;  // ran on a GPU and passed
  }
  std::vector<std::string> problems;
  if (exit_code != 0) problems.push_back("exit code " + std::to_string(exit_code));
  if (!skipped.empty()) problems.push_back(std::to_string(skipped.size()) + " skipped (" + skipped[0] + ", ...)");
  if (!failed.empty()) problems.push_back(std::to_string(failed.size()) + " failed (" + failed[0] + ", ...)");
  if (static_cast<long long>(passed) != expected) {
    problems.push_back(std::to_string(passed) + " of " + std::to_string(expected) + " expected [" + tag +
                       "] cases ran and passed");
  }
  if (skipped.empty() && text.find(kSkipMessage) != std::string::npos) {
    problems.push_back("a case outside the count skipped");
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& problem : problems) message += (message.empty() ? "" : "; ") + problem;
    return fail(message);
  }
  return {true, "PASS: " + std::to_string(passed) + "/" + std::to_string(expected) + " [" + tag +
                    "] cases ran on the GPU and passed"};
}

Verdict loss_verdict(const std::string& cpu_csv, const std::string& gpu_csv) {
  try {
    const auto cpu_rows = read_metrics(cpu_csv);
    const double cpu_train = number(cpu_rows.back(), "train_loss");
    const double cpu_val = number(cpu_rows.back(), "val_loss");
    const auto gpu_rows = read_metrics(gpu_csv);
    const double gpu_train = number(gpu_rows.back(), "train_loss");
    const double gpu_val = number(gpu_rows.back(), "val_loss");
    if (cpu_rows.size() != gpu_rows.size()) {
      return fail("the CPU run has " + std::to_string(cpu_rows.size()) + " epochs, the GPU run " +
                  std::to_string(gpu_rows.size()));
    }
    const double first = number(cpu_rows[0], "train_loss");
    if (!(cpu_train < 0.5 * first)) {
      return fail("the CPU reference did not learn (train loss " + fixed(first, 4) + " -> " + fixed(cpu_train, 4) + ")");
    }
    // Every epoch, not only the last: on an easy task both runs end near
    // zero, while the first epochs show a wrong kernel plainly.
    std::string problems;
    for (std::size_t r = 0; r < cpu_rows.size(); ++r) {
      for (const std::string column : {"train_loss", "val_loss"}) {
        const double cpu = number(cpu_rows[r], column), gpu = number(gpu_rows[r], column);
        if (!(std::abs(gpu - cpu) <= kLossAbsoluteTolerance + kLossRelativeTolerance * std::abs(cpu))) {
          problems += "epoch " + field(cpu_rows[r], "epoch") + " " + column + " cpu " + fixed(cpu, 6) + " gpu " +
                      fixed(gpu, 6) + "; ";
        }
      }
    }
    char tolerance[64];
    std::snprintf(tolerance, sizeof tolerance, "%g + %s%%", kLossAbsoluteTolerance,
                  fixed(kLossRelativeTolerance * 100, 0).c_str());
    const std::string detail = "epoch 1 train_loss cpu " + fixed(first, 6) + " gpu " +
                               fixed(number(gpu_rows[0], "train_loss"), 6) + "; final train_loss cpu " +
                               fixed(cpu_train, 6) + " gpu " + fixed(gpu_train, 6) + ", val_loss cpu " +
                               fixed(cpu_val, 6) + " gpu " + fixed(gpu_val, 6) + " after " +
                               std::to_string(cpu_rows.size()) + " epochs (every epoch within " + tolerance + ")";
    if (!problems.empty()) return fail(problems + detail);
    return {true, "PASS: " + detail};
  } catch (const Error& error) {
    return fail(std::string("cannot read the metrics (") + error.what() + ")");
  }
}

std::optional<double> rate_per_gpu(const std::string& log_path, int gpus) {
  if (gpus < 1) throw Error("GPUS must be at least 1, not " + std::to_string(gpus));
  const std::string text = normalize_newlines(read_text_file(log_path, kMaxReportBytes));
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::optional<double> rate;
  std::size_t line_number = 0;
  for (std::size_t begin = 0; begin < text.size(); ++line_number) {
    const std::size_t newline = text.find('\n', begin);
    const std::string_view line =
        std::string_view(text).substr(begin, newline == std::string::npos ? std::string::npos : newline - begin);
    begin = newline == std::string::npos ? text.size() : newline + 1;
    // batch \d+/\d+ .* ([0-9.]+) img/s: after the first well-formed
    // "batch I/N ", the last " NUMBER img/s" (.* is greedy).
    std::size_t after_batch = std::string_view::npos;
    for (std::size_t at = line.find("batch "); at != std::string_view::npos; at = line.find("batch ", at + 1)) {
      std::size_t i = at + 6;
      const std::size_t numerator = i;
      while (i < line.size() && is_digit(line[i])) ++i;
      if (i == numerator || i >= line.size() || line[i] != '/') continue;
      const std::size_t denominator = ++i;
      while (i < line.size() && is_digit(line[i])) ++i;
      if (i == denominator || i >= line.size() || line[i] != ' ') continue;
      after_batch = i + 1;
      break;
    }
    if (after_batch == std::string_view::npos) continue;
    for (std::size_t unit = line.rfind(" img/s"); unit != std::string_view::npos && unit > after_batch;
         unit = line.rfind(" img/s", unit - 1)) {
      std::size_t start = unit;
      while (start > 0 && (is_digit(line[start - 1]) || line[start - 1] == '.')) --start;
      if (start == unit || start == 0 || start - 1 < after_batch || line[start - 1] != ' ') continue;
      const std::string_view digits = line.substr(start, unit - start);
      rate = python_float(digits);
      if (!rate) throw Error(log_path + " line " + std::to_string(line_number + 1) + ": rate " + python_repr(digits) +
                             " is no number");
      break;
    }
  }
  if (!rate) return std::nullopt;
  return *rate / gpus;
}

bool summary(const std::string& steps_tsv, const std::string& info_json, const std::string& out_json,
             const std::string& mode, std::ostream& out) {
  using Json = nlohmann::ordered_json;
  const std::string table = normalize_newlines(valid_utf8(read_text_file(steps_tsv, kMaxSourceBytes)));
  Json steps = Json::array();
  bool passed = true;
  double total = 0;
  for (std::size_t begin = 0, line_number = 1; begin < table.size(); ++line_number) {
    const std::size_t newline = std::min(table.find('\n', begin), table.size());
    const std::string line = table.substr(begin, newline - begin);
    begin = newline + 1;
    std::vector<std::string> fields;
    for (std::size_t at = 0;;) {
      const std::size_t tab = line.find('\t', at);
      fields.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
      if (tab == std::string::npos) break;
      at = tab + 1;
    }
    fields.resize(std::max<std::size_t>(fields.size(), 4));
    const auto seconds = fields[2].empty() ? std::optional<double>(0.0) : python_float(fields[2]);
    if (!seconds) {
      throw Error(steps_tsv + " line " + std::to_string(line_number) + ": seconds " + python_repr(fields[2]) +
                  " is not a number");
    }
    steps.push_back(Json{{"step", fields[0]}, {"status", fields[1]}, {"seconds", *seconds}, {"detail", fields[3]}});
    passed = passed && fields[1] == "PASS";
    total += *seconds;
  }
  passed = passed && !steps.empty();
  Json info = Json::object();
  std::error_code error;
  if (!info_json.empty() && std::filesystem::exists(info_json, error)) {
    try {
      info = Json::parse(read_text_file(info_json, kMaxSourceBytes));
    } catch (const std::exception& e) {
      info = Json{{"error", "unreadable " + info_json + ": " + e.what()}};
    }
  }
  // Python's round(sum([]), 1) is the integer 0.
  const Json total_seconds = steps.empty() ? Json(0) : Json(round_to_tenth(total));
  const Json report{
      {"mode", mode}, {"passed", passed}, {"steps", steps}, {"system", info}, {"total_seconds", total_seconds}};
  {
    std::ofstream file(out_json, std::ios::binary | std::ios::trunc);
    file << report.dump(2, ' ', true, Json::error_handler_t::replace) << "\n";
    file.close();
    if (!file) throw Error("cannot write the report " + out_json + ": " + std::strerror(errno));
  }
  out << "\ngpu-check summary (" << mode << ")\n";
  out << "  " << pad("step", 12, true) << " " << pad("result", 6, true) << " " << pad("seconds", 8, false)
      << "  detail\n";
  for (const auto& step : steps) {
    out << "  " << pad(step["step"].get<std::string>(), 12, true) << " "
        << pad(step["status"].get<std::string>(), 6, true) << " " << pad(fixed(step["seconds"].get<double>(), 1), 8, false)
        << "  " << step["detail"].get<std::string>() << "\n";
  }
  out << "  " << pad("total", 12, true) << " " << pad(passed ? "PASS" : "FAIL", 6, true) << " "
      << pad(fixed(total_seconds.get<double>(), 1), 8, false) << "  written to " << out_json << "\n";
  return passed;
}

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string command = args.empty() ? "" : args[0];
  if (command == "expected" && args.size() >= 3) {
    out << expected_cases(args[1], args[2], std::vector<std::string>(args.begin() + 3, args.end())) << "\n";
    return 0;
  }
  Verdict verdict;
  if (command == "cases" && args.size() == 5) {
    const auto exit_code = python_int(args[2]);
    const auto expected = python_int(args[3]);
    if (!exit_code) {
      verdict = fail("EXIT_CODE " + python_repr(args[2]) + " is not an integer");
    } else if (!expected) {
      verdict = fail("EXPECTED " + python_repr(args[3]) + " is not an integer (did counting the sources fail?)");
    } else {
      verdict = case_verdict(args[1], *exit_code, *expected, args[4]);
    }
  } else if (command == "loss" && args.size() == 3) {
    verdict = loss_verdict(args[1], args[2]);
  } else if (command == "rate" && args.size() == 3) {
    const auto gpus = python_int(args[2]);
    if (!gpus || *gpus < 1 || *gpus > 1 << 20) {
      verdict = fail("GPUS " + python_repr(args[2]) + " is not a number of GPUs");
    } else {
      try {
        const auto rate = rate_per_gpu(args[1], static_cast<int>(*gpus));
        verdict = rate ? Verdict{true, fixed(*rate, 1)} : fail("no progress line in the log");
      } catch (const Error& error) {
        verdict = fail(std::string("cannot read the log (") + error.what() + ")");
      }
    }
  } else if (command == "summary" && args.size() == 5) {
    return summary(args[1], args[2], args[3], args[4], out) ? 0 : 1;
  } else {
    err << kUsage;
    return 2;
  }
  out << verdict.message << "\n";
  return verdict.passed ? 0 : 1;
}

}  // namespace gaze::gpu_check

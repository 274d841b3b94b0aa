#pragma once
// The decisions of scripts/gpu-check, kept out of bash so that they are
// tested without a GPU (tests/cuda/test_gpu_check_report.cpp); the program
// gpu-check-report (gpu_check_report_main.cpp) runs them for the script.
// Reports, metrics and logs are read as possibly cut off or corrupt: what
// cannot be read is a FAIL, never a PASS, and never a crash.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace gaze::gpu_check {

inline constexpr const char* kSkipMessage = "no GPU: skipped";
// Per-epoch losses of the CPU and GPU runs may differ by rounding only:
// each op agrees to 1e-4 relative (tests/cuda), and a few hundred SGD steps on
// the 2-class task amplify that little; a wrong kernel moves the loss by far
// more than this.
inline constexpr double kLossAbsoluteTolerance = 2e-3;
inline constexpr double kLossRelativeTolerance = 2e-2;

// A verdict line: message starts with "PASS: " or "FAIL: ".
struct Verdict {
  bool passed = false;
  std::string message;
};

// Whether a Catch2 tag list ("[cuda][gpu]") holds tag, given as "gpu" or "[gpu]".
bool has_tag(const std::string& tags, const std::string& tag);

// How many TEST_CASE("name", "tags") in source_dir/*.cpp carry tag and none
// of the excluded tags: read from the sources, not from the binary, so that a
// binary that registers no cases cannot lower the bar. A missing folder
// counts 0; an unreadable source file throws gaze::Error.
int expected_cases(const std::string& source_dir, const std::string& tag,
                   const std::vector<std::string>& excluded = {});

// Verdict on a Catch2 XML report (test_cuda -r xml): PASS only when the exit
// code is 0, the report is complete, and exactly `expected` cases tagged tag
// ran and passed with no "no GPU: skipped" anywhere.
Verdict case_verdict(const std::string& xml_path, long long exit_code, long long expected, const std::string& tag);

// Compares two metrics.csv files epoch by epoch (train and validation loss,
// the final epoch included); the CPU run must also have learned.
Verdict loss_verdict(const std::string& cpu_csv, const std::string& gpu_csv);

// Images/s per GPU from the last progress line ("batch I/N ... R img/s") of a
// train log; nullopt when there is none. Throws gaze::Error when the log
// cannot be read or a progress line's rate is no number.
std::optional<double> rate_per_gpu(const std::string& log_path, int gpus);

// Prints the summary table of steps_tsv (NAME\tSTATUS\tSECONDS\tDETAIL lines)
// to out and writes the JSON report to out_json, with info_json (gpu-info's
// output; may be "" or missing) as its "system". True when there are steps
// and every one passed. Throws gaze::Error when steps_tsv cannot be read or
// out_json cannot be written.
bool summary(const std::string& steps_tsv, const std::string& info_json, const std::string& out_json,
             const std::string& mode, std::ostream& out);

// The program: gpu-check-report COMMAND ARGUMENTS (without the program
// name). Prints one verdict line (or the count, the rate, the table) to out;
// returns 0 for PASS, 1 for FAIL, 2 with the usage on err for bad arguments.
int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gaze::gpu_check

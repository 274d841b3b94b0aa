#pragma once
// CSV records as Python's csv.reader (excel dialect: ",", '"' quotes doubled
// inside quotes, lines ended by \n, \r or \r\n) reads them, for metrics.csv
// in gpu-check-report. An empty line is the record []. Throws gaze::Error for
// a NUL byte, a field over 131072 bytes (csv.field_size_limit()) and, unlike
// Python, a quote left open at the end: gaze writes no quotes, so that is a
// file cut off.
#include <string>
#include <vector>

namespace gaze::gpu_check {

std::vector<std::vector<std::string>> csv_records(const std::string& text);

}  // namespace gaze::gpu_check

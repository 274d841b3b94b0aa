// gpu-check-report: the decisions of scripts/gpu-check (how many GPU cases
// the sources declare, the verdict on a Catch2 XML report, CPU-vs-GPU losses,
// images/s, the summary table and JSON report); see tests/cuda/gpu_check_report.h.
#include <iostream>
#include <string>
#include <vector>

#include "core/program.h"
#include "tests/cuda/gpu_check_report.h"

int main(int argc, char** argv) {
  return gaze::run_program("gpu-check-report", [&] {
    return gaze::gpu_check::run_command(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
  });
}

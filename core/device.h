#pragma once
// Where a tensor's memory lives. The CPU is the reference backend; CUDA
// devices are addressed as cuda:0, cuda:1, ... and exist only in CUDA builds.
#include <string>

namespace gaze {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int i) { return {DeviceType::CUDA, i}; }
  // Parses "cpu", "cuda" (= cuda:0) or "cuda:N"; throws gaze::Error otherwise.
  static Device parse(const std::string& text);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  bool operator==(const Device&) const = default;
};

}  // namespace gaze

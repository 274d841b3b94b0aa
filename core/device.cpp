#include "core/device.h"

#include "core/error.h"

namespace gaze {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string index = text.substr(5);
    bool digits = !index.empty() && index.size() < 4;
    for (char c : index) digits = digits && c >= '0' && c <= '9';
    if (digits) return cuda(std::stoi(index));
  }
  throw Error("unknown device '" + text + "': expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

}  // namespace gaze

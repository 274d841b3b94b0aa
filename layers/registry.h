#pragma once
// The layer registry maps a type name ("conv") to a factory, so models are
// built from configs at run time. Built-in layers are listed in registry.cpp;
// a new layer is one line there (or one call to add() from user code).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace gaze {

using LayerFactory = std::function<std::unique_ptr<Layer>(const std::string& name, const LayerParams&)>;

class LayerRegistry {
 public:
  // The process-wide registry, with every built-in layer registered.
  static LayerRegistry& instance();

  void add(const std::string& type, LayerFactory factory);
  template <typename L>
  void add(const std::string& type) {
    add(type, [](const std::string& name, const LayerParams& p) { return std::make_unique<L>(name, p); });
  }
  // Registers L under its own L::kType, the one place its name is spelled.
  template <typename L>
  void add() {
    add<L>(L::kType);
  }
  bool contains(const std::string& type) const { return factories_.count(type) > 0; }
  // Throws gaze::Error listing the known types when `type` is unknown.
  std::unique_ptr<Layer> create(const std::string& type, const std::string& name,
                                const LayerParams& params) const;
  std::vector<std::string> types() const;

 private:
  std::map<std::string, LayerFactory> factories_;
};

}  // namespace gaze

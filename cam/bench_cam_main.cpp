// gaze-bench-cam: attribution speed on the CPU for the catdog-like network
// (conv 32-64-128-256 with BN, ReLU and max pooling, GAP, dense, softmax) with
// random weights: maps/s per method, and what all-class CAM adds to a plain
// forward pass (the design target is under 5%).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>

#include "cam/methods.h"
#include "cam/patterns.h"
#include "core/autograd.h"
#include "core/program.h"
#include "core/random.h"
#include "cuda/runtime.h"

namespace {
using gaze::Tensor;

gaze::Model catdog_network(int size) {
  nlohmann::json layers = nlohmann::json::array();
  int block = 1;
  for (int filters : {32, 64, 128, 256}) {
    const std::string n = std::to_string(block);
    layers.push_back({{"type", "conv"}, {"name", "conv" + n}, {"filters", filters}, {"kernel", 3}, {"padding", 1}, {"bias", false}});
    layers.push_back({{"type", "batchnorm"}, {"name", "bn" + n}});
    layers.push_back({{"type", "relu"}, {"name", "relu" + n}});
    if (filters != 256) layers.push_back({{"type", "maxpool"}, {"name", "pool" + n}, {"kernel", 2}});
    ++block;
  }
  layers.push_back({{"type", "gap"}, {"name", "gap"}});
  layers.push_back({{"type", "dense"}, {"name", "fc"}, {"units", 2}});
  layers.push_back({{"type", "softmax"}, {"name", "probs"}});
  return gaze::Model::from_json({{"input", {3, size, size}}, {"layers", layers}}, 42);
}

// Best of `repeats` wall-clock timings, in seconds.
double best_seconds(int repeats, const std::function<void()>& work) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes{64, 128};
  int batch = 64, repeats = 3, slow_images = 2;
  std::vector<std::string> methods = gaze::cam::method_names();
  CLI::App app{"CAM and attribution speed on the CPU (random catdog-like network)"};
  app.add_option("--sizes", sizes, "input sizes (square)")->capture_default_str();
  app.add_option("--batch", batch, "images per batch for the forward/CAM and gradient methods")->capture_default_str();
  app.add_option("--repeats", repeats, "timing repeats (best is reported)")->capture_default_str();
  app.add_option("--slow-images", slow_images,
                 "images for scorecam, smoothgrad, integrated-gradients, occlusion and ablationcam (each costs many "
                 "forwards)")
      ->capture_default_str();
  app.add_option("--methods", methods, "methods to time")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("gaze-bench-cam", [&] {
  gaze::init_runtime();
  for (int size : sizes) {
    gaze::Model model = catdog_network(size);
    gaze::Rng rng(7);
    const Tensor x = Tensor::randn({batch, 3, size, size}, rng);
    // The CAM step alone, timed on the activations of a forward pass: on a
    // shared machine the difference of two forward timings is mostly noise.
    const double forward = best_seconds(repeats, [&] {
      gaze::NoGradGuard no_grad;
      model.forward(x);
    });
    const double cam_only = best_seconds(repeats, [&] { gaze::cam::all_class_activation_maps(model); });
    std::printf("%dx%d batch %d: forward %.1f images/s; all-class CAM %.2f ms after it (%.1f images/s together); "
                "CAM overhead %.2f%%\n",
                size, size, batch, batch / forward, 1e3 * cam_only, batch / (forward + cam_only),
                100.0 * cam_only / forward);
    for (const std::string& name : methods) {
      gaze::cam::MethodOptions options;
      options.method = gaze::cam::parse_method(name);
      const bool slow = options.method == gaze::cam::Method::scorecam || options.method == gaze::cam::Method::smoothgrad ||
                        options.method == gaze::cam::Method::integrated_gradients ||
                        options.method == gaze::cam::Method::occlusion || options.method == gaze::cam::Method::ablationcam;
      if (options.method == gaze::cam::Method::pattern_attribution) {  // patterns from the random batch itself
        gaze::cam::PatternEstimator estimator(model);
        estimator.add(model, x);
        options.patterns = std::make_shared<gaze::cam::Patterns>(estimator.patterns());
      }
      const int images = slow ? std::min(slow_images, batch) : batch;
      const Tensor input = x.narrow(0, 0, images).contiguous();
      const std::vector<int> targets(static_cast<size_t>(images), 0);
      const double seconds =
          best_seconds(slow ? 1 : repeats, [&] { gaze::cam::compute_maps(model, input, targets, options); });
      std::printf("  %-22s %9.2f maps/s  (%d images, forward included)\n", name.c_str(), images / seconds, images);
      std::fflush(stdout);
    }
  }
  return 0;
  });
}

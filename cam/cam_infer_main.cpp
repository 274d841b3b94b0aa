// cam-infer: class activation maps (and the other attribution methods) for
// images, from a gaze checkpoint. All the work is in cam/infer.h.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cam/infer.h"
#include "core/program.h"
#include "cuda/runtime.h"

int main(int argc, char** argv) {
  gaze::cam::InferOptions options;
  std::string method = "cam", compat = "gaze", baseline = "zero";
  CLI::App app{"Explain a gaze classifier's predictions with class activation maps"};
  app.add_option("--checkpoint", options.checkpoint, "gaze checkpoint (best.safetensors)")->required();
  std::string methods;
  for (const std::string& name : gaze::cam::method_names()) methods += (methods.empty() ? "" : ", ") + name;
  app.add_option("--method", method, "attribution method: " + methods)->capture_default_str();
  app.add_option("--class", options.target_class, "class to explain (a class name or 'all'; default: top-1)");
  app.add_option("--layer", options.method.layer,
                 "conv layer for gradcam, gradcam++, scorecam, hirescam, xgradcam, layercam, eigencam and ablationcam "
                 "(default: the layer before global average pooling)");
  app.add_option("--compat", compat,
                 "gaze (the papers' definitions) or pytorch-grad-cam (its numbers for gradcam++, scorecam, xgradcam, "
                 "ablationcam and its renormalization after resizing; see the README)")
      ->capture_default_str();
  app.add_option("--lrp-epsilon", options.method.lrp_epsilon, "lrp-epsilon: the stabilizer epsilon")
      ->capture_default_str();
  app.add_option("--lrp-alpha", options.method.lrp_alpha, "lrp-alpha-beta: alpha (alpha - beta must be 1)")
      ->capture_default_str();
  app.add_option("--lrp-beta", options.method.lrp_beta, "lrp-alpha-beta: beta (1, 0 and 2, 1 are the usual pairs)")
      ->capture_default_str();
  app.add_option("--deeplift-baseline", baseline, "deeplift: reference input, zero or blur")->capture_default_str();
  app.add_option("--deeplift-blur-sigma", options.method.deeplift_blur_sigma,
                 "deeplift blur baseline: Gaussian sigma in pixels (0: a tenth of the shorter input side)")
      ->capture_default_str();
  app.add_option("--patterns-from", options.patterns_from,
                 "pattern-attribution: folder of images to estimate the patterns from (cached next to the checkpoint)");
  app.add_option("--out", options.out_dir, "output folder")->capture_default_str();
  app.add_flag("--save-raw", options.save_raw, "also write the unnormalized map as <stem>.<method>.npy");
  app.add_flag("--bbox", options.bbox, "box the largest region above the threshold of the map's maximum");
  app.add_option("--box-threshold", options.box_threshold, "box threshold, a fraction of the map's maximum")
      ->capture_default_str();
  app.add_flag("--json", options.json, "print one JSON object per image (and the metrics) instead of text");
  app.add_flag("--report", options.report, "write index.html, a gallery that opens offline");
  app.add_flag("--metrics", options.metrics,
               "Average Drop, Increase in Confidence, deletion/insertion AUC and the randomization sanity check");
  app.add_option("--batch", options.batch, "images per forward pass")->capture_default_str();
  app.add_option("--device", options.device, "where the model and the method run: cpu, cuda or cuda:N")
      ->capture_default_str();
  app.add_flag("--allow-nonfinite", options.allow_nonfinite,
               "load a checkpoint holding NaN/Inf values (debugging a diverged run)");
  app.add_option("--top-k", options.top_k, "matrix checkpoints: rows and columns listed in the JSON")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  app.add_option("inputs", options.inputs, "image files, .npy matrices (for a matrix checkpoint) or folders")->required();
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("cam-infer", [&] {
    gaze::init_runtime();
    options.method.method = gaze::cam::parse_method(method);
    options.method.compat = gaze::cam::parse_compat(compat);
    options.method.deeplift_baseline = gaze::cam::parse_baseline(baseline);
    return gaze::cam::run_cam_infer(options, std::cout, std::cerr);
  });
}

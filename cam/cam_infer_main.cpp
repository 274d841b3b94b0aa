// cam-infer: class activation maps (and the other attribution methods) for
// images, from a gaze checkpoint. All the work is in cam/infer.h.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cam/infer.h"
#include "core/program.h"
#include "cuda/runtime.h"

int main(int argc, char** argv) {
  gaze::cam::InferOptions options;
  std::string method = "cam";
  CLI::App app{"Explain a gaze classifier's predictions with class activation maps"};
  app.add_option("--checkpoint", options.checkpoint, "gaze checkpoint (best.safetensors)")->required();
  std::string methods;
  for (const std::string& name : gaze::cam::method_names()) methods += (methods.empty() ? "" : ", ") + name;
  app.add_option("--method", method, "attribution method: " + methods)->capture_default_str();
  app.add_option("--class", options.target_class, "class to explain (a class name or 'all'; default: top-1)");
  app.add_option("--layer", options.method.layer,
                 "conv layer for gradcam, gradcam++ and scorecam (default: the layer before global average pooling)");
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
    return gaze::cam::run_cam_infer(options, std::cout, std::cerr);
  });
}

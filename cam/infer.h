#pragma once
// The cam-infer pipeline as a library call, so everything the program does is
// testable without spawning it: load a checkpoint, read images (files or
// folders), explain the predictions batch by batch, and write per image
// <stem>.heatmap.png, <stem>.overlay.png, <stem>.json (and with --save-raw
// <stem>.<method>.npy; with --class all, one set per class named
// <stem>.<class>.*), plus index.html (--report) and metrics (--metrics).
// A matrix checkpoint (data.layout: npy) reads .npy inputs instead and also
// writes <stem>.rows.csv and <stem>.cols.csv (cam/matrix_output.h).
#include <ostream>
#include <string>
#include <vector>

#include "cam/methods.h"

namespace gaze::cam {

struct InferOptions {
  std::string checkpoint;
  MethodOptions method;
  std::string target_class;  // empty: top-1; "all": every class; else a class name
  std::string out_dir = "cam-out";
  bool save_raw = false;
  bool bbox = false;
  bool json = false;      // stdout gets one JSON object per image (and the metrics as JSON)
  bool report = false;
  bool metrics = false;
  double box_threshold = 0.2;
  int batch = 16;          // images per forward pass
  std::string device = "cpu";  // cpu, cuda or cuda:N: where the model and every method run
  int sanity_images = 8;   // images the randomization sanity check uses (it re-runs the method per layer)
  bool allow_nonfinite = false;  // load a checkpoint holding NaN/Inf values (debugging)
  std::string patterns_from;     // pattern-attribution: folder of images to estimate the patterns from
  int top_k = 5;           // matrix checkpoints: rows and columns listed in the JSON (cam/matrix_output.h)
  std::vector<std::string> inputs;
};

// Image files named by `inputs`, folders expanded recursively (sorted).
// Missing paths are reported on `err` and skipped.
std::vector<std::string> collect_images(const std::vector<std::string>& inputs, std::ostream& err);

// The files named by `inputs`, folders expanded recursively to the files
// `accept` takes (sorted); `kind` names them in warnings ("image files").
std::vector<std::string> collect_files(const std::vector<std::string>& inputs, bool (*accept)(const std::string& path),
                                       const std::string& kind, std::ostream& err);

// Runs cam-infer. Per-image lines (or JSON) go to `out`; skipped images,
// warnings and progress to `err`. Returns 0 when at least one image was
// explained, 1 when none could be read. Fatal problems (bad checkpoint, bad
// option, unwritable output folder) throw gaze::Error.
int run_cam_infer(const InferOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gaze::cam

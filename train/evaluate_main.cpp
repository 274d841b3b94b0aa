// evaluate --checkpoint CKPT --data DIR [--json]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/json_text.h"
#include "core/program.h"
#include "cuda/runtime.h"
#include "data/class_names.h"
#include "train/evaluate.h"

int main(int argc, char** argv) {
  CLI::App app{"gaze evaluate: accuracy, per-class accuracy and confusion matrix of a checkpoint"};
  std::string checkpoint, data_dir;
  bool json = false;
  gaze::train::EvaluateOptions options;
  app.add_option("--checkpoint", checkpoint, "a .safetensors written by train")->required();
  app.add_option("--data", data_dir, "labeled folder (flat or class subfolders) or IDX folder")->required();
  app.add_option("--split", options.idx_split, "train or test, for IDX folders")->check(CLI::IsMember({"train", "test"}));
  app.add_option("--batch", options.batch_size, "batch size")->check(CLI::PositiveNumber);
  app.add_option("--device", options.device, "cpu, cuda or cuda:N");
  app.add_flag("--allow-nonfinite", options.allow_nonfinite,
               "load a checkpoint holding NaN/Inf values (debugging a diverged run)");
  std::string class_map;
  app.add_option("--class-map", class_map,
                 "the folder's class names -> the checkpoint's, e.g. cats=cat,dogs=dog (default: by name; IDX labels "
                 "by index)");
  std::string tta = "none";
  app.add_option("--tta", tta,
                 "test-time augmentation: none, or flip (softmax probabilities of each image and its horizontal "
                 "mirror averaged, then argmax)")
      ->capture_default_str();
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("evaluate", [&] {
    gaze::init_runtime();
    options.tta = gaze::train::parse_tta(tta);
    if (!class_map.empty()) options.class_map = gaze::data::parse_class_map(class_map);
    const gaze::train::Evaluation e = gaze::train::evaluate_checkpoint(checkpoint, data_dir, options);
    if (json) {
      std::printf("%s\n", gaze::json_text(e.to_json()).c_str());
      return 0;
    }
    std::printf("%lld images, accuracy %.2f%%%s", static_cast<long long>(e.n), 100 * e.accuracy,
                e.tta == gaze::train::Tta::flip ? " (test-time augmentation: flip)" : "");
    if (e.val_crop < 1) std::printf(" (centre %.1f%% of each side, the checkpoint's data.val_crop)", 100 * e.val_crop);
    std::printf("\n");
    if (!e.undecodable.empty()) {
      std::printf("%zu undecodable image(s) left out of the count:\n", e.undecodable.size());
      for (const std::string& path : e.undecodable) std::printf("  %s\n", path.c_str());
    }
    for (size_t c = 0; c < e.classes.size(); ++c)
      std::printf("  %3zu %-16s %.2f%%\n", c, e.classes[c].c_str(), 100 * e.per_class[c]);
    // Columns are numbered as the classes above; rows carry the name too.
    std::printf("confusion (rows: true, columns: predicted, numbered as above):\n%22s", "");
    for (size_t c = 0; c < e.classes.size(); ++c) std::printf(" %6zu", c);
    std::printf("\n");
    for (size_t r = 0; r < e.confusion.size(); ++r) {
      std::printf("  %3zu %-16.16s", r, e.classes[r].c_str());
      for (int64_t v : e.confusion[r]) std::printf(" %6lld", static_cast<long long>(v));
      std::printf("\n");
    }
    return 0;
  });
}

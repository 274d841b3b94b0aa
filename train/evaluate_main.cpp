// evaluate --checkpoint CKPT --data DIR [--json]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/json_text.h"
#include "core/program.h"
#include "cuda/runtime.h"
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
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("evaluate", [&] {
    gaze::init_runtime();
    const gaze::train::Evaluation e = gaze::train::evaluate_checkpoint(checkpoint, data_dir, options);
    if (json) {
      std::printf("%s\n", gaze::json_text(e.to_json()).c_str());
      return 0;
    }
    std::printf("%lld images, accuracy %.2f%%\n", static_cast<long long>(e.n), 100 * e.accuracy);
    if (!e.undecodable.empty()) {
      std::printf("%zu undecodable image(s) left out of the count:\n", e.undecodable.size());
      for (const std::string& path : e.undecodable) std::printf("  %s\n", path.c_str());
    }
    for (size_t c = 0; c < e.classes.size(); ++c)
      std::printf("  %-16s %.2f%%\n", e.classes[c].c_str(), 100 * e.per_class[c]);
    std::printf("confusion (rows: true, columns: predicted):\n");
    for (const auto& row : e.confusion) {
      for (int64_t v : row) std::printf(" %6lld", static_cast<long long>(v));
      std::printf("\n");
    }
    return 0;
  });
}

// evaluate --checkpoint CKPT --data DIR [--json]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/error.h"
#include "cuda/runtime.h"
#include "train/evaluate.h"

int main(int argc, char** argv) {
  CLI::App app{"gaze evaluate: accuracy, per-class accuracy and confusion matrix of a checkpoint"};
  std::string checkpoint, data_dir, split = "test", device = "cpu";
  bool json = false;
  int batch = 64;
  app.add_option("--checkpoint", checkpoint, "a .safetensors written by train")->required();
  app.add_option("--data", data_dir, "labeled folder (flat or class subfolders) or IDX folder")->required();
  app.add_option("--split", split, "train or test, for IDX folders")->check(CLI::IsMember({"train", "test"}));
  app.add_option("--batch", batch, "batch size")->check(CLI::PositiveNumber);
  app.add_option("--device", device, "cpu, cuda or cuda:N");
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  gaze::init_runtime();
  try {
    const gaze::train::Evaluation e = gaze::train::evaluate_checkpoint(checkpoint, data_dir, split, batch, device);
    if (json) {
      std::printf("%s\n", e.to_json().dump().c_str());
      return 0;
    }
    std::printf("%lld images, accuracy %.2f%%\n", static_cast<long long>(e.n), 100 * e.accuracy);
    for (size_t c = 0; c < e.classes.size(); ++c)
      std::printf("  %-16s %.2f%%\n", e.classes[c].c_str(), 100 * e.per_class[c]);
    std::printf("confusion (rows: true, columns: predicted):\n");
    for (const auto& row : e.confusion) {
      for (int64_t v : row) std::printf(" %6lld", static_cast<long long>(v));
      std::printf("\n");
    }
    return 0;
  } catch (const gaze::Error& e) {
    std::fprintf(stderr, "evaluate: error: %s\n", e.what());
    return 1;
  }
}

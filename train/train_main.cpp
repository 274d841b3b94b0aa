// train --config FILE [--set KEY=VALUE]... [--resume CKPT] [--device D] [--out DIR]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/error.h"
#include "train/config.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"gaze train: train a CNN from a YAML config, keeping the best validation checkpoint"};
  std::string config_path, resume, device, out;
  std::vector<std::string> overrides;
  int64_t max_steps = 0;
  app.add_option("--config", config_path, "YAML config (see configs/)")->required();
  app.add_option("--set", overrides, "override a config key: --set train.epochs=3 (repeatable)");
  app.add_option("--resume", resume, "continue from a last.safetensors");
  app.add_option("--device", device, "cpu, cuda or cuda:N (overrides train.devices)");
  app.add_option("--out", out, "output folder (default runs/<config name>)");
  app.add_option("--max-steps", max_steps, "stop after this many steps, writing last.safetensors (smoke tests)");
  CLI11_PARSE(app, argc, argv);
  try {
    const gaze::train::TrainConfig config = gaze::train::load_config(config_path, overrides);
    gaze::train::install_stop_handlers();
    gaze::train::SingleProcess comm;
    const auto result = gaze::train::run_training(config, {out, resume, device, true, max_steps}, comm);
    if (result.best_epoch > 0)
      std::printf("best val_acc %.2f%% at epoch %d: %s/best.safetensors\n", 100 * result.best_val_acc,
                  result.best_epoch, result.out_dir.c_str());
    return result.interrupted ? 130 : 0;
  } catch (const gaze::Error& e) {
    std::fprintf(stderr, "train: error: %s\n", e.what());
    return 1;
  }
}

#include "train/run_summary.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "train/progress.h"

namespace gaze::train {

namespace {

// Length of the run of epochs, ending at the last one, whose validation loss
// rose and training loss fell against the epoch before.
int overfit_streak(const std::vector<EpochMetrics>& history, size_t end) {
  int streak = 0;
  for (size_t e = end; e >= 2; --e) {
    const EpochMetrics& now = history[e - 1];
    const EpochMetrics& before = history[e - 2];
    if (!(now.val_loss > before.val_loss && now.train_loss < before.train_loss)) break;
    ++streak;
  }
  return streak;
}

}  // namespace

std::string overfit_warning(const std::vector<EpochMetrics>& history, int epochs) {
  if (epochs <= 0 || overfit_streak(history, history.size()) != epochs) return "";
  const EpochMetrics& last = history.back();
  const EpochMetrics& first = history[history.size() - 1 - static_cast<size_t>(epochs)];
  char text[900];
  std::snprintf(text, sizeof text,
                "warning: possible overfitting: for %d epochs in a row the validation loss rose (%.4f at epoch %d to "
                "%.4f at epoch %d) while the training loss fell (%.4f to %.4f): the network is learning its "
                "training images rather than the task. Try more augmentation (data.augment, train.mixup, "
                "train.cutmix), more weight decay (train.weight_decay), fewer epochs, or early stopping "
                "(train.patience); best.safetensors keeps the best epoch either way "
                "(train.overfit_warning: 0 silences this).",
                epochs, first.val_loss, first.epoch, last.val_loss, last.epoch, first.train_loss, last.train_loss);
  return text;
}

double run_eta_seconds(int epochs_done, int epochs_total, double seconds_this_run, int epochs_this_run) {
  if (epochs_this_run <= 0 || epochs_done >= epochs_total) return 0;
  return (epochs_total - epochs_done) * seconds_this_run / epochs_this_run;
}

std::string run_summary_text(const RunSummary& s) {
  namespace fs = std::filesystem;
  const fs::path out(s.out_dir);
  double images = 0, train_seconds = 0;
  for (const EpochMetrics& m : s.history) {
    images += m.images_per_s * m.seconds;
    train_seconds += m.seconds;
  }
  std::ostringstream text;
  char line[400];
  std::string duration = format_duration(s.seconds_before_resume + s.wall_seconds);
  if (s.resumed)
    duration += " (resumed at epoch " + std::to_string(static_cast<long long>(s.epochs_before_resume) + 1) + ": " +
                format_duration(s.wall_seconds) + " in this run)";
  std::snprintf(line, sizeof line, "Done: %zu epoch(s)%s in %s. Best validation accuracy %.2f%% at epoch %d%s; ",
                s.history.size(), s.stopped_early ? " (stopped early)" : "", duration.c_str(), 100 * s.best_val_acc,
                s.best_epoch, s.ema ? " (EMA weights)" : "");
  text << line;
  std::snprintf(line, sizeof line, "training ran at %.1f images/s on average.\n",
                train_seconds > 0 ? images / train_seconds : 0.0);
  text << line;
  text << "  best model:  " << (out / "best.safetensors").string() << "\n"
       << "  resume from: " << (out / "last.safetensors").string() << "\n"
       << "  curves:      " << (out / "report.html").string() << " (offline), " << (out / "metrics.csv").string()
       << "\n";
  const bool split = s.val_root.empty();
  const bool idx = !s.val_files.empty() && s.val_files.front().find('#') != std::string::npos;
  const std::string labeled = split ? s.data_root : s.val_root;
  text << "Next: measure the best model on labeled images"
       << (!split ? ""
           : idx  ? " (for an IDX folder evaluate reads its test split)"
                  : " (data.root also holds the training images; val_files.txt lists the held-out ones)")
       << ", and see where it looks on some validation images:\n"
       << "  build/bin/evaluate --checkpoint " << (out / "best.safetensors").string() << " --data "
       << labeled << "\n";
  // IDX records ("file#record") are not files cam-infer can open: export a few test images as PNGs first.
  std::vector<std::string> images_to_explain;
  for (const std::string& file : s.val_files)
    if (file.find('#') == std::string::npos && images_to_explain.size() < 4) images_to_explain.push_back(file);
  if (idx) {
    const std::string folder = (out / "test-images").string();
    text << "  build/bin/gaze-export-idx --data " << labeled << " --split test --count 8 --out " << folder << "\n";
    images_to_explain = {folder};
  }
  text << "  build/bin/cam-infer --checkpoint " << (out / "best.safetensors").string() << " --report --out "
       << (out / "cam").string();
  if (images_to_explain.empty()) text << " IMAGES...";
  for (const std::string& file : images_to_explain) text << " " << file;
  text << "\n";
  return text.str();
}

}  // namespace gaze::train

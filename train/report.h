#pragma once
// Training records: metrics.csv and report.html (loss and accuracy curves as
// inline SVG; no scripts, readable offline). Both are rewritten whole and
// atomically after every epoch.
#include <string>
#include <vector>

namespace gaze::train {

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double lr = 0, train_loss = 0, train_acc = 0, val_loss = 0, val_acc = 0;
  double images_per_s = 0, seconds = 0;
  // Undecodable images found so far, over all ranks: training replaces them
  // with others (batch sizes stay in step), validation leaves them out.
  int64_t replaced_train_images = 0, excluded_val_images = 0;
};

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history);
// `extra_html` (optional) goes after the table, as it is (the CAM strip).
void write_report_html(const std::string& path, const std::string& title,
                       const std::vector<EpochMetrics>& history, const std::string& summary,
                       const std::string& extra_html = "");

}  // namespace gaze::train

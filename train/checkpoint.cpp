#include "train/checkpoint.h"

#include <cmath>

#include "core/error.h"

namespace gaze::train {

nlohmann::json checkpoint_info(const std::vector<std::string>& classes, const data::DataConfig& d, int epoch,
                               double val_acc) {
  const auto channels = static_cast<size_t>(d.channels);
  std::vector<float> mean(d.mean.begin(), d.mean.begin() + static_cast<long>(channels));
  std::vector<float> stddev(d.stddev.begin(), d.stddev.begin() + static_cast<long>(channels));
  return {{"classes", classes},
          {"input",
           {{"channels", d.channels},
            {"height", d.height},
            {"width", d.width},
            {"mean", mean},
            {"std", stddev},
            // Matrices are never resized; "none" tells every reader this is a matrix model.
            {"resize", d.layout == data::Layout::npy ? "none" : data::to_string(d.resize)},
            {"val_crop", d.val_crop}}},
          {"epoch", epoch},
          {"val_acc", val_acc}};
}

nlohmann::json to_json(const ResumeState& s) {
  nlohmann::json history = nlohmann::json::array();
  for (const EpochMetrics& m : s.history)
    history.push_back({m.epoch, m.lr, m.train_loss, m.train_acc, m.val_loss, m.val_acc, m.images_per_s, m.seconds,
                       m.replaced_train_images, m.excluded_val_images});
  return {{"epoch", s.epoch},           {"batch", s.batch},           {"best_val_acc", s.best_val_acc},
          {"best_epoch", s.best_epoch}, {"bad_epochs", s.bad_epochs}, {"world_size", s.world_size},
          {"loss_sum", s.loss_sum},     {"correct", s.correct},       {"seen", s.seen},
          {"seconds", s.seconds},       {"history", history}};
}

ResumeState resume_state_from_json(const nlohmann::json& j, const std::string& source) {
  ResumeState s;
  try {
    s.epoch = j.at("epoch").get<int>();
    s.batch = j.at("batch").get<size_t>();
    s.best_val_acc = j.at("best_val_acc").get<double>();
    s.best_epoch = j.at("best_epoch").get<int>();
    s.bad_epochs = j.at("bad_epochs").get<int>();
    s.world_size = j.at("world_size").get<int>();
    s.loss_sum = j.at("loss_sum").get<double>();
    s.correct = j.at("correct").get<double>();
    s.seen = j.at("seen").get<double>();
    s.seconds = j.at("seconds").get<double>();
    for (const auto& row : j.at("history")) {
      EpochMetrics m;
      m.epoch = row.at(0).get<int>();
      m.lr = row.at(1).get<double>();
      m.train_loss = row.at(2).get<double>();
      m.train_acc = row.at(3).get<double>();
      m.val_loss = row.at(4).get<double>();
      m.val_acc = row.at(5).get<double>();
      m.images_per_s = row.at(6).get<double>();
      m.seconds = row.at(7).get<double>();
      if (row.size() > 9) {
        m.replaced_train_images = row.at(8).get<int64_t>();
        m.excluded_val_images = row.at(9).get<int64_t>();
      }
      s.history.push_back(m);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + source + "' has no usable resume state (" + e.what() +
                "); resume from a last.safetensors written by train");
  }
  const std::string where = "'" + source + "': resume state: ";
  for (const double v : {s.loss_sum, s.correct, s.seen, s.seconds})
    GAZE_CHECK(std::isfinite(v) && v >= 0, where, "the epoch counters must be finite and >= 0, got ", v);
  GAZE_CHECK(s.correct <= s.seen, where, "counts ", s.correct, " correct of only ", s.seen, " images seen");
  GAZE_CHECK(s.epoch >= 0 && s.best_epoch >= 0 && s.bad_epochs >= 0 && s.world_size >= 1, where,
             "epoch ", s.epoch, ", best epoch ", s.best_epoch, ", bad epochs ", s.bad_epochs, " and world size ",
             s.world_size, " must be >= 0 (world size >= 1)");
  GAZE_CHECK(std::isfinite(s.best_val_acc) && s.best_val_acc <= 1, where, "best_val_acc ", s.best_val_acc,
             " is not an accuracy");
  GAZE_CHECK(s.history.size() <= static_cast<size_t>(s.epoch), where, s.history.size(),
             " epochs of history but the run is at epoch ", s.epoch);
  return s;
}

void check_resume_position(const ResumeState& s, int epochs, size_t batches_per_epoch, const std::string& source) {
  GAZE_CHECK(s.epoch <= epochs, "'", source, "': it stopped at epoch ", s.epoch, " but this run has only ", epochs,
             " epochs (train.epochs)");
  GAZE_CHECK(s.batch < batches_per_epoch || (s.batch == 0 && batches_per_epoch == 0), "'", source,
             "': it stopped after batch ", s.batch, " of an epoch that has ", batches_per_epoch,
             " batches in this run; resume with the same data and train.batch_per_device");
}

data::DataConfig preprocessing_config(const CheckpointMetadata& meta, const std::string& source) {
  const InputSpec& in = meta.input;
  return data::inference_config(in.channels, in.height, in.width, in.mean, in.stddev, in.resize, "'" + source + "'",
                                in.val_crop);
}

}  // namespace gaze::train

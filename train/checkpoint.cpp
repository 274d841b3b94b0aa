#include "train/checkpoint.h"

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
            {"resize", data::to_string(d.resize)}}},
          {"epoch", epoch},
          {"val_acc", val_acc}};
}

nlohmann::json to_json(const ResumeState& s) {
  nlohmann::json history = nlohmann::json::array();
  for (const EpochMetrics& m : s.history)
    history.push_back({m.epoch, m.lr, m.train_loss, m.train_acc, m.val_loss, m.val_acc, m.images_per_s, m.seconds});
  return {{"epoch", s.epoch},           {"batch", s.batch},           {"best_val_acc", s.best_val_acc},
          {"best_epoch", s.best_epoch}, {"bad_epochs", s.bad_epochs}, {"world_size", s.world_size},
          {"loss_sum", s.loss_sum},     {"correct", s.correct},       {"seen", s.seen},
          {"seconds", s.seconds},       {"history", history}};
}

ResumeState resume_state_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    ResumeState s;
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
      s.history.push_back(m);
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + source + "' has no usable resume state (" + e.what() +
                "); resume from a last.safetensors written by train");
  }
}

data::DataConfig data_config_from_info(const nlohmann::json& info, const std::string& source) {
  try {
    const nlohmann::json& input = info.at("input");
    data::DataConfig d;
    d.channels = input.at("channels").get<int>();
    d.height = input.at("height").get<int>();
    d.width = input.at("width").get<int>();
    d.resize = data::parse_resize_policy(input.at("resize").get<std::string>());
    const auto mean = input.at("mean").get<std::vector<float>>();
    const auto stddev = input.at("std").get<std::vector<float>>();
    GAZE_CHECK(!mean.empty() && !stddev.empty(), "'", source, "': empty mean or std in the metadata");
    for (size_t c = 0; c < 3; ++c) {
      d.mean[c] = mean[std::min(c, mean.size() - 1)];
      d.stddev[c] = stddev[std::min(c, stddev.size() - 1)];
    }
    d.augment = data::AugmentConfig{false, 1, 1, 1, 1, 0, 0};
    d.cache_dir.clear();
    d.drop_last = false;
    return d;
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + source + "': the checkpoint metadata has no usable 'input' preprocessing (" + e.what() + ")");
  }
}

std::vector<std::string> classes_from_info(const nlohmann::json& info, const std::string& source) {
  try {
    return info.at("classes").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + source + "': the checkpoint metadata has no class list (" + e.what() + ")");
  }
}

}  // namespace gaze::train

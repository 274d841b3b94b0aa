#include "train/evaluate.h"

#include <algorithm>
#include <cstdio>

#include "core/core.h"
#include "data/data.h"
#include "layers/model_file.h"
#include "train/checkpoint.h"

namespace gaze::train {

nlohmann::json Evaluation::to_json() const {
  nlohmann::json per = nlohmann::json::object();
  for (size_t c = 0; c < classes.size(); ++c) per[classes[c]] = per_class[c];
  return {{"n", n},
          {"accuracy", accuracy},
          {"per_class", per},
          {"confusion", confusion},
          {"classes", classes},
          {"undecodable", undecodable}};
}

Evaluation tally(const std::vector<std::string>& classes, const std::vector<int>& labels,
                 const std::vector<int>& predictions) {
  Evaluation e;
  e.classes = classes;
  const size_t k = classes.size();
  e.confusion.assign(k, std::vector<int64_t>(k, 0));
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    ++e.confusion[static_cast<size_t>(labels[i])][static_cast<size_t>(predictions[i])];
    correct += labels[i] == predictions[i];
  }
  e.n = static_cast<int64_t>(labels.size());
  e.accuracy = e.n ? static_cast<double>(correct) / static_cast<double>(e.n) : 0;
  for (size_t c = 0; c < k; ++c) {
    int64_t total = 0;
    for (int64_t v : e.confusion[c]) total += v;
    e.per_class.push_back(total ? static_cast<double>(e.confusion[c][c]) / static_cast<double>(total) : 0);
  }
  return e;
}

Evaluation evaluate_checkpoint(const std::string& checkpoint, const std::string& data_dir,
                               const EvaluateOptions& options) {
  GAZE_CHECK(options.batch_size > 0, "evaluate: the batch size must be positive, got ", options.batch_size);
  LoadedModel loaded = load_model_file(checkpoint, {options.allow_nonfinite});
  const CheckpointMetadata meta = read_checkpoint_metadata(loaded.info, loaded.model, checkpoint);
  const std::vector<std::string>& classes = meta.classes;
  data::DataConfig config = preprocessing_config(meta, checkpoint);
  config.root = data_dir;
  config.idx_split = options.idx_split;
  const data::Dataset dataset = data::scan_dataset(config);
  // The folder's classes map onto the checkpoint's (data/class_names.h).
  data::ClassMatch match;
  match.class_map = options.class_map;
  match.dataset_what = "'" + data_dir + "'";
  match.known_what = "checkpoint '" + checkpoint + "'";
  const std::vector<int> mapping = data::match_classes(dataset, classes, match);
  const Device device = Device::parse(options.device);
  loaded.model.to(device);
  std::vector<size_t> all(dataset.samples.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  data::Loader loader(dataset, all, config, false, options.batch_size);
  loader.start_epoch(0);
  std::vector<int> labels, predictions;
  NoGradGuard no_grad;
  const size_t total = loader.batches_per_epoch();
  size_t done = 0;
  while (auto batch = loader.next()) {
    loaded.model.forward(
        Tensor::from_vector({batch->n, batch->channels, batch->height, batch->width}, batch->images, device), false);
    const std::vector<float> logits = loaded.model.activation(loaded.model.logits_name()).to_vector();
    for (int i = 0; i < batch->n; ++i) {
      const float* row = logits.data() + static_cast<size_t>(i) * classes.size();
      predictions.push_back(static_cast<int>(std::max_element(row, row + classes.size()) - row));
      labels.push_back(mapping[static_cast<size_t>(batch->labels[static_cast<size_t>(i)])]);
    }
    if (++done % 50 == 0) std::fprintf(stderr, "evaluate: batch %zu/%zu\n", done, total);
  }
  GAZE_CHECK(!labels.empty(), "no image of '", data_dir, "' could be decoded (", loader.undecodable_files().size(),
             " undecodable)");
  Evaluation evaluation = tally(classes, labels, predictions);
  evaluation.undecodable = loader.undecodable_files();
  return evaluation;
}

}  // namespace gaze::train

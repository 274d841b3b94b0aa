#include "train/evaluate.h"

#include <algorithm>
#include <cmath>
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
          {"undecodable", undecodable},
          {"tta", tta_name(tta)},
          {"val_crop", val_crop}};
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

Tta parse_tta(const std::string& name) {
  if (name == "none") return Tta::none;
  if (name == "flip") return Tta::flip;
  throw Error("test-time augmentation '" + name + "' is unknown; expected none or flip");
}

std::string tta_name(Tta tta) { return tta == Tta::flip ? "flip" : "none"; }

namespace {

// Softmax of each row of `logits` [n][k], in double for the exponentials.
std::vector<float> softmax_rows(const std::vector<float>& logits, size_t k) {
  std::vector<float> out(logits.size());
  for (size_t row = 0; row < logits.size() / k; ++row) {
    const float* x = logits.data() + row * k;
    const double top = *std::max_element(x, x + k);
    double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += std::exp(static_cast<double>(x[c]) - top);
    for (size_t c = 0; c < k; ++c) out[row * k + c] = static_cast<float>(std::exp(static_cast<double>(x[c]) - top) / sum);
  }
  return out;
}

}  // namespace

std::vector<float> predict_probabilities(Model& model, const std::vector<float>& images, int n, int channels,
                                         int height, int width, Device device, Tta tta) {
  auto probabilities = [&](const std::vector<float>& batch) {
    model.forward(Tensor::from_vector({n, channels, height, width}, batch, device), false);
    const Tensor logits = model.activation(model.logits_name());
    return softmax_rows(logits.to_vector(), static_cast<size_t>(logits.shape().back()));
  };
  std::vector<float> result = probabilities(images);
  if (tta == Tta::flip) {
    // The mirror is made on the host, before upload: a row reversed in every plane.
    std::vector<float> mirrored(images.size());
    const size_t rows = images.size() / static_cast<size_t>(width);
    for (size_t r = 0; r < rows; ++r)
      std::reverse_copy(images.begin() + static_cast<std::ptrdiff_t>(r * width),
                        images.begin() + static_cast<std::ptrdiff_t>((r + 1) * width),
                        mirrored.begin() + static_cast<std::ptrdiff_t>(r * width));
    const std::vector<float> flipped = probabilities(mirrored);
    for (size_t i = 0; i < result.size(); ++i) result[i] = 0.5f * (result[i] + flipped[i]);
  }
  return result;
}

ProbabilityScore score_probabilities(const std::vector<float>& probabilities, const std::vector<int>& labels) {
  ProbabilityScore score;
  if (labels.empty()) return score;
  const size_t k = probabilities.size() / labels.size();
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = probabilities.data() + i * k;
    const auto label = static_cast<size_t>(labels[i]);
    // A probability that underflowed to 0 would give an infinite loss; clamp as log-softmax would not need to.
    score.loss_sum -= std::log(std::max(static_cast<double>(row[label]), 1e-30));
    score.correct += static_cast<size_t>(std::max_element(row, row + k) - row) == label;
  }
  return score;
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
    const std::vector<float> probabilities = predict_probabilities(
        loaded.model, batch->images, batch->n, batch->channels, batch->height, batch->width, device, options.tta);
    for (int i = 0; i < batch->n; ++i) {
      const float* row = probabilities.data() + static_cast<size_t>(i) * classes.size();
      predictions.push_back(static_cast<int>(std::max_element(row, row + classes.size()) - row));
      labels.push_back(mapping[static_cast<size_t>(batch->labels[static_cast<size_t>(i)])]);
    }
    if (++done % 50 == 0) std::fprintf(stderr, "evaluate: batch %zu/%zu\n", done, total);
  }
  GAZE_CHECK(!labels.empty(), "no image of '", data_dir, "' could be decoded (", loader.undecodable_files().size(),
             " undecodable)");
  Evaluation evaluation = tally(classes, labels, predictions);
  evaluation.undecodable = loader.undecodable_files();
  evaluation.tta = options.tta;
  evaluation.val_crop = config.val_crop;
  return evaluation;
}

}  // namespace gaze::train

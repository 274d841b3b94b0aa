#pragma once
// gaze::data owns everything between an image folder and a float batch:
// dataset scanning (Kaggle flat, class subfolders, IDX, .npy matrices), decoding with
// stb_image, resizing, normalization, augmentation, the decoded cache, the
// train/validation split and the threaded, rank-sharded Loader. It knows
// nothing about models or tensors: it hands out Batch (plain float vectors,
// NCHW) and InferenceImage, and throws gaze::Error for problems a user can fix.
//
// Typical use:
//   Dataset dataset = scan_dataset(config);
//   Split split = split_train_val(labels_of(dataset), config.val_split, config.seed);
//   Loader train(dataset, split.train, config, true, batch, rank, world_size);
//   train.start_epoch(epoch); while (auto batch = train.next()) { ... }
#include "data/augment.h"
#include "data/cache.h"
#include "data/class_names.h"
#include "data/config.h"
#include "data/dataset.h"
#include "data/idx_file.h"
#include "data/image.h"
#include "data/loader.h"
#include "data/matrix.h"
#include "data/preprocess.h"
#include "data/resize.h"
#include "data/split.h"

namespace gaze::data {

inline std::vector<int> labels_of(const Dataset& dataset) {
  std::vector<int> labels;
  labels.reserve(dataset.samples.size());
  for (const Sample& sample : dataset.samples) labels.push_back(sample.label);
  return labels;
}

}  // namespace gaze::data

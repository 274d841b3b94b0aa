#pragma once
// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) on a host batch,
// before it goes to the device. Image i is mixed with its partner, image
// N-1-i of the same micro-batch (timm's default pairing; with odd N the
// middle image pairs with itself and stays as it was):
//   mixup:  x_i = lambda * x_i + (1 - lambda) * x_partner
//   cutmix: a box of x_partner's pixels is pasted into x_i; lambda becomes
//           1 - box area / image area (the share of x_i that is left)
// lambda ~ Beta(alpha, alpha). The loss is then
//   lambda * CE(logits, y_i) + (1 - lambda) * CE(logits, y_partner)
// (TrainStep does this when a MicroBatch carries labels_b).
// Every draw comes from one seed (the trainer derives it from train.seed and
// the global step), so a run, its resume and every rank mix identically.
#include <cstdint>
#include <vector>

#include "core/random.h"
#include "data/loader.h"

namespace gaze::train {

struct MixConfig {
  double mixup_alpha = 0;   // > 0: mixup on
  double cutmix_alpha = 0;  // > 0: CutMix on (both on: each mixed step picks one with probability 0.5)
  double prob = 1;          // probability that a batch is mixed at all
  bool enabled() const { return (mixup_alpha > 0 || cutmix_alpha > 0) && prob > 0; }
};

enum class MixKind { none, mixup, cutmix };

// Rows [top, bottom) and columns [left, right) of an image.
struct MixBox {
  int top = 0, left = 0, bottom = 0, right = 0;
  int area() const { return (bottom - top) * (right - left); }
};

struct MixResult {
  MixKind kind = MixKind::none;
  float lambda = 1;                 // the weight of each image's own label
  std::vector<int> partner_labels;  // label b of image i: the partner's label (empty when not mixed)
  MixBox box;                       // cutmix only
};

// A Beta(alpha, alpha) draw, as X / (X + Y) with X, Y ~ Gamma(alpha)
// (Marsaglia and Tsang; in log space, so small alphas such as 0.2 never give 0/0).
double sample_beta(Rng& rng, double alpha);

// CutMix's box (the paper's and timm's rand_bbox): sides sqrt(1 - lambda)
// times the image's, truncated to whole pixels, centred on (center_y,
// center_x) and clipped to the image (so the box may be smaller than asked).
MixBox cutmix_box(int height, int width, double lambda, int center_y, int center_x);

// Mixes `batch` in place (its images) and says how. Draws, in this order:
// whether to mix (uniform < prob), mixup or cutmix (uniform < 0.5 picks
// cutmix, only when both are on), lambda, then for cutmix the box centre
// (row, then column, uniform over the pixels).
MixResult mix_batch(data::Batch& batch, const MixConfig& config, uint64_t seed);

}  // namespace gaze::train

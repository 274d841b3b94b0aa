#pragma once
// Activation maximization: the input image that makes a class or one filter
// fire, found by gradient ascent on the input through the autograd tape
// (Erhan et al. 2009, "Visualizing higher-layer features of a deep network";
// Simonyan et al. 2014 for class scores), with the regularizers of Yosinski
// et al. 2015 ("Understanding neural networks through deep visualization"):
// L2 decay, Gaussian blur every few steps and clipping to valid pixels, plus
// the random jitter of Mordvintsev et al. (DeepDream, 2015).
//
// Objective: the class's logit (pre-softmax score), or the mean over space of
// channel K of a layer's output (unit K of a [F] output). The image lives in
// the network's normalized input space and starts as the dataset mean plus
// seeded Gaussian noise of `start_noise` (on [0, 1] pixels). Each iteration:
//   1. shift the image by a random (dy, dx) in [-jitter, jitter] (wrapping
//      around, as torch.roll), forward, backward from the objective, shift
//      the gradient back;
//   2. x += step * g / mean|g| (a normalized step, so the step size does not
//      depend on the objective's scale);
//   3. x *= 1 - l2_decay (pulls the image toward the dataset mean);
//   4. every blur_every iterations, blur each channel with a Gaussian of
//      blur_sigma pixels;
//   5. clip each pixel to what an 8-bit image can give: [0, 1] before
//      normalization.
// Everything random comes from `seed`: the same seed gives the same image.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "data/config.h"
#include "data/image.h"
#include "layers/model.h"

namespace gaze::cam {

struct MaximizeTarget {
  std::string layer;  // the layer whose output holds the unit
  int channel = 0;    // the channel (or feature) of that output
  std::string description;  // "class 'dog' (logit 1 of fc)", for messages
};

// The logit of class `index`.
MaximizeTarget class_target(const Model& model, int index, const std::string& class_name);
// Channel `channel` of `layer`; throws gaze::Error naming the valid range.
MaximizeTarget channel_target(const Model& model, const std::string& layer, int channel);

struct MaximizeOptions {
  int iterations = 256;
  float step = 0.05f;       // mean absolute change per iteration, in normalized units
  float l2_decay = 0.002f;
  int jitter = 2;           // pixels; 0: none
  float blur_sigma = 0.5f;  // pixels; 0: no blur
  int blur_every = 4;
  float start_noise = 0.05f;  // std of the starting noise on [0, 1] pixels
  uint64_t seed = 0;
};

struct MaximizeResult {
  std::vector<float> image;       // [C, H, W], normalized like the network's input
  std::vector<float> activation;  // the objective at each iteration (on the jittered image the step used)
  float start = 0;                // the objective on the starting image (no jitter)
  float final = 0;                // the objective on the result (no jitter)
};

// The model must be on the CPU or a CUDA device; its parameters are not
// changed (their gradients are switched off for the run).
MaximizeResult maximize_activation(Model& model, const data::DataConfig& preprocessing, const MaximizeTarget& target,
                                   const MaximizeOptions& options);

// The result as an 8-bit picture: normalization undone, enlarged `scale` times.
data::Image maximized_picture(const MaximizeResult& result, const data::DataConfig& preprocessing, int scale);

// The verb, as gaze-inspect runs it.
struct MaximizeRunOptions {
  std::string checkpoint;
  std::string target_class;  // or
  std::string layer;
  int channel = -1;
  std::string out;  // PNG path; empty: maximize-<target>.png
  int scale = 0;    // 0: the longer side enlarged to at least 256 pixels
  MaximizeOptions ascent;
  bool json = false;
  bool allow_nonfinite = false;
};
int run_inspect_maximize(const MaximizeRunOptions& options, std::ostream& out);

}  // namespace gaze::cam

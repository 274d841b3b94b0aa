#pragma once
// Map: one single-channel attribution map (row-major floats), and the
// conventions that turn a raw map into a picture, shared by every method so
// results compare with the common toolkits (pytorch-grad-cam, Captum):
//   raw map --ReLU, per-image min-max--> [0, 1]
//           --bilinear--> network input size --undo crop/resize--> original size.
#include <string>
#include <vector>

#include "data/resize.h"

namespace gaze::cam {

struct Map {
  int height = 0, width = 0;
  std::vector<float> values;  // height * width, row-major

  Map() = default;
  Map(int h, int w, float fill = 0.0f)
      : height(h), width(w), values(static_cast<size_t>(h) * w, fill) {}
  float& at(int y, int x) { return values[static_cast<size_t>(y) * width + x]; }
  float at(int y, int x) const { return values[static_cast<size_t>(y) * width + x]; }
  float min() const;
  float max() const;
};

// ReLU, then (m - min) / (max - min). A map with no positive value, or a
// constant one, has nothing to show: it becomes all zeros and `degenerate`
// (when given) is set, so callers can warn instead of dividing by zero.
Map normalize_relu_minmax(const Map& raw, bool* degenerate = nullptr);

// m / max|m| clipped to [0, 1]: the contrastive CAM's own scaling, which keeps
// the sign information that a min-max shift would erase.
Map normalize_max_abs_clipped(const Map& raw, bool* degenerate = nullptr);

// Bilinear resampling with pixel centres at +0.5 (align_corners = false, as
// PyTorch's F.interpolate and OpenCV's resize), clamped at the borders.
Map resize_bilinear(const Map& map, int height, int width);
// Bilinear resampling with the corner pixels' centres aligned (align_corners
// = True, torch.nn.UpsamplingBilinear2d): output pixel i samples source
// i * (in - 1) / (out - 1). pytorch-grad-cam's Score-CAM masks use it.
Map resize_bilinear_align_corners(const Map& map, int height, int width);

// ReLU, then (m - min) / (max - min + 1e-7): pytorch-grad-cam's
// scale_cam_image, which it applies before and again after resizing a map
// to the input (--compat pytorch-grad-cam). A map without a positive value
// comes out all zero, and `degenerate` is set.
Map normalize_relu_minmax_eps(const Map& raw, bool* degenerate = nullptr);

// Maps a network-input-resolution map back onto the original image: model
// pixel (x, y) covers the original region crop.x + x * crop.width / width,
// ... (data::InferenceImage's geometry). Original pixels outside the crop
// (a center-cropped image's margins) were never seen and get 0.
Map map_to_original(const Map& input_map, const data::CropRect& crop, int original_width,
                    int original_height);

}  // namespace gaze::cam

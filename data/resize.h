#pragma once
// Geometry and resampling. Downscaling averages the covered source area (box
// filter with fractional edges), so thin features are not aliased away;
// upscaling is bilinear with pixel centres at +0.5 (align_corners = false).
// Each axis picks its own filter, so a crop can shrink in x and grow in y.
#include "data/config.h"
#include "data/image.h"

namespace gaze::data {

// A rectangle in source pixel coordinates; fractional so that a crop maps
// exactly back onto the original image (the CAM tool draws heatmaps there).
struct CropRect {
  float x = 0, y = 0, width = 0, height = 0;
};

// The part of a src_w x src_h image the policy keeps: all of it for stretch;
// for shorter-side-center-crop, the centred window with the output's aspect.
CropRect policy_crop(int src_w, int src_h, int out_w, int out_h, ResizePolicy policy);

// The centred part of `crop` whose sides are `fraction` (in (0, 1]) of its
// sides: the evaluation centre crop (DataConfig::val_crop).
CropRect central_part(const CropRect& crop, float fraction);

// Resamples `crop` of `src` to out_w x out_h (same channel count).
Image resize_crop(const Image& src, const CropRect& crop, int out_w, int out_h);

void flip_horizontal(Image& image);

}  // namespace gaze::data

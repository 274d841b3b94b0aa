#pragma once
// Writing the pictures cam-infer produces, and the small colour helpers the
// colormap, overlay and box drawing share. Images are data::Image (8-bit HWC).
#include <string>

#include "data/image.h"

namespace gaze::cam {

// PNG via stb_image_write; throws gaze::Error naming the file on failure.
void write_png(const std::string& path, const data::Image& image);

// 1- or 3-channel image as RGB (gray replicated).
data::Image to_rgb(const data::Image& image);

// Scales the image down (box filter) so that its longer side is at most
// `max_side`; smaller images are returned unchanged.
data::Image shrink_to_fit(const data::Image& image, int max_side);

}  // namespace gaze::cam

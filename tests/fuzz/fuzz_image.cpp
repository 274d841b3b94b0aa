// Fuzz target: image files through the header check and the decoder
// (data/image.h), as the dataset scan and the loader use them. The input's
// length picks gray or RGB output. A decoded image must agree with the
// header check and hold width x height x channels pixels.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "data/image.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
// Smaller than the real default (64 megapixels) so that one input decodes in
// well under the fuzzer's timeout; the cap's logic is the same.
constexpr std::int64_t kMaxPixels = 4 << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gaze::fuzz::InputFile file(data, size, ".png");
  const gaze::data::ImageCheck check = gaze::data::check_image_file(file.path(), kMaxPixels);
  const int channels = size % 2 ? 1 : 3;
  try {
    const gaze::data::Image image = gaze::data::decode_image_file(file.path(), channels, kMaxPixels);
    GAZE_FUZZ_REQUIRE(check.problem.empty());
    GAZE_FUZZ_REQUIRE(image.width == check.header.width && image.height == check.header.height);
    GAZE_FUZZ_REQUIRE(image.width > 0 && image.height > 0 && image.channels == channels);
    GAZE_FUZZ_REQUIRE(image.pixels.size() == static_cast<size_t>(image.width) * image.height * channels);
    GAZE_FUZZ_REQUIRE(static_cast<std::int64_t>(image.width) * image.height <= kMaxPixels);
  } catch (const gaze::Error&) {
  }
  return 0;
}

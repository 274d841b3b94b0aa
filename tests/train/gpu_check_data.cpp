// gpu-check-data: the data scripts/gpu-check trains on, written on the spot.
//   gpu-check-data halves DIR         the 2-class halves task (IDX, 12x12):
//                                     512 training and 64 test images
//   gpu-check-data catdog DIR COUNT   COUNT synthetic 256x256 JPEGs in the
//                                     flat cat.N.jpg / dog.N.jpg layout, for
//                                     a throughput smoke run of catdog.yaml
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/data/test_images.h"
#include "tests/train/train_fixtures.h"

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "halves" && argc == 3) {
    gaze::train::testing::write_halves_task(argv[2], 512, 64);
    return 0;
  }
  if (mode == "catdog" && argc == 4) {
    const int count = std::atoi(argv[3]);
    if (count < 2) {
      std::fprintf(stderr, "gpu-check-data: COUNT must be at least 2\n");
      return 2;
    }
    std::filesystem::create_directories(argv[2]);
    for (int i = 0; i < count; ++i) {
      const std::string name = std::string(i % 2 ? "dog." : "cat.") + std::to_string(i / 2) + ".jpg";
      gaze::data::testing::write_jpg((std::filesystem::path(argv[2]) / name).string(),
                                     gaze::data::testing::pattern_image(256, 256, 3, i));
    }
    return 0;
  }
  std::fprintf(stderr, "usage: gpu-check-data halves DIR | catdog DIR COUNT\n");
  return 2;
}

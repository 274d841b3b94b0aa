// gaze-export-idx: writes the first images of an IDX split (MNIST,
// Fashion-MNIST) as PNG files named "<label>.<index>.png" (the flat layout),
// so image tools such as cam-infer and evaluate can read them.
#include <stb_image_write.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/program.h"
#include "data/idx_file.h"

int main(int argc, char** argv) {
  CLI::App app{"gaze-export-idx: export IDX images as PNG files in the flat layout"};
  std::string folder, split = "test", out;
  int count = 16;
  app.add_option("--data", folder, "folder holding the IDX files")->required();
  app.add_option("--split", split, "train or test")->check(CLI::IsMember({"train", "test"}));
  app.add_option("--count", count, "how many images")->check(CLI::PositiveNumber);
  app.add_option("--out", out, "output folder")->required();
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("gaze-export-idx", [&] {
    const gaze::data::IdxFiles files = gaze::data::find_idx_files(folder, split);
    const gaze::data::IdxImages images = gaze::data::read_idx_images(files.images, 64'000'000);
    const std::vector<std::uint8_t> labels = gaze::data::read_idx_labels(files.labels);
    std::filesystem::create_directories(out);
    const size_t area = static_cast<size_t>(images.width) * static_cast<size_t>(images.height);
    const size_t n = std::min(static_cast<size_t>(count), labels.size());
    for (size_t i = 0; i < n; ++i) {
      const std::string path = out + "/" + std::to_string(labels[i]) + "." + std::to_string(i) + ".png";
      if (!stbi_write_png(path.c_str(), images.width, images.height, 1, images.pixels.data() + i * area, images.width))
        throw gaze::Error("cannot write '" + path + "'");
    }
    std::printf("wrote %zu images to %s\n", n, out.c_str());
    return 0;
  });
}

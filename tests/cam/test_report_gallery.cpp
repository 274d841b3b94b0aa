// The cam-infer gallery (index.html): small images shown enlarged with
// nearest-neighbour sampling to at least 160 pixels, with the predicted and
// (when the file says so) true class names; class names with '/' stay out
// of file paths.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cam/infer.h"
#include "cam/report.h"
#include "cam_test_util.h"
#include "data/image.h"

using namespace gaze;
using namespace gaze::cam;
namespace fs = std::filesystem;

TEST_CASE("report_scale brings the shorter side to 160 pixels by a whole factor", "[cam][report]") {
  CHECK(report_scale(28, 28) == 6);    // 168 pixels
  CHECK(report_scale(32, 20) == 8);    // 20 * 8 = 160
  CHECK(report_scale(160, 500) == 1);  // big enough
  CHECK(report_scale(1000, 20) == 1);  // would be 8000 pixels wide
  CHECK(report_scale(100, 20) == 8);   // 800 x 160
  CHECK(report_scale(0, 0) == 1);      // size unknown
}

TEST_CASE("the gallery enlarges 28-pixel images, boxes included, and names the classes", "[cam][report]") {
  testing::TempDir dir;
  const std::string checkpoint = dir / "best.safetensors";
  Model model = testing::gap_network(1, 28, 2, 11);
  testing::save_checkpoint(checkpoint, model, {"T-shirt/top", "Trouser"}, "stretch");
  fs::create_directories(dir / "T-shirt_top");
  testing::write_image(dir / "Trouser.3.png", 28, 28, 1, 1);       // flat layout: true class Trouser
  testing::write_image(dir / "T-shirt_top/7.png", 28, 28, 1, 2);   // folder named as file_safe writes it
  testing::write_image(dir / "big.png", 200, 180, 1, 3);           // no true class, no enlargement
  testing::write_image(dir / "1.5.png", 28, 28, 1, 4);             // as gaze-export-idx names label 1
  testing::write_image(dir / "2.6.png", 28, 28, 1, 5);             // label 2 is no class of this checkpoint
  InferOptions options;
  options.checkpoint = checkpoint;
  options.out_dir = dir / "out";
  options.inputs = {dir / "Trouser.3.png", dir / "T-shirt_top/7.png", dir / "big.png", dir / "1.5.png",
                    dir / "2.6.png"};
  options.report = options.bbox = true;
  options.target_class = "all";
  std::ostringstream out, err;
  REQUIRE(run_cam_infer(options, out, err) == 0);
  // Text lines and files: the names, never a '/' in a path.
  CHECK_THAT(out.str(), Catch::Contains("Trouser.3.png: ") && Catch::Contains("T-shirt/top"));
  for (const auto& entry : fs::directory_iterator(options.out_dir))
    CHECK(entry.path().filename().string().find('/') == std::string::npos);
  CHECK(fs::exists(options.out_dir + "/7.T-shirt_top.overlay.png"));

  std::ifstream html_file(options.out_dir + "/index.html");
  const std::string html((std::istreambuf_iterator<char>(html_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(html, Catch::Contains("image-rendering:pixelated"));
  // The overlays (with their boxes) are written at the original 28 pixels and
  // shown 6x: the box scales with the picture's pixels.
  const data::Image overlay = data::decode_image_file(options.out_dir + "/Trouser.3.Trouser.overlay.png", 3, 1 << 20);
  REQUIRE(overlay.width == 28);
  REQUIRE(overlay.height == 28);
  for (const char* name : {"Trouser.3.original.png", "Trouser.3.Trouser.overlay.png", "7.T-shirt_top.heatmap.png"})
    CHECK_THAT(html, Catch::Contains(std::string("src=\"") + name + "\" alt=\"" + name +
                                     "\" class=\"up\" width=\"168\" height=\"168\""));
  CHECK_THAT(html, Catch::Contains("src=\"big.original.png\" alt=\"big.original.png\">"));
  // Captions: predicted always, true when the file name or folder names a class.
  CHECK_THAT(html, Catch::Contains("Trouser.3.png\npredicted: ") && Catch::Contains("true: Trouser (") &&
                       Catch::Contains("7.png\npredicted: ") && Catch::Contains("true: T-shirt/top ("));
  auto caption = [&](const std::string& image) {
    const size_t at = html.find(image + "\npredicted: ");
    REQUIRE(at != std::string::npos);
    return html.substr(at, html.find("</figcaption>", at) - at);
  };
  CHECK(caption("big.png").find("true:") == std::string::npos);
  CHECK_THAT(caption("1.5.png"), Catch::Contains("true: Trouser ("));
  CHECK(caption("2.6.png").find("true:") == std::string::npos);
}

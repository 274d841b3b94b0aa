// The cam-infer pipeline end to end on generated checkpoints and images.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cam/infer.h"
#include "core/npy.h"
#include "cam_test_util.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "data/preprocess.h"
#include "layers/model_file.h"
#include "tests/skip.h"

using namespace gaze;
using namespace gaze::cam;
namespace fs = std::filesystem;

namespace {
struct Run {
  int code = -1;
  std::string out, err;
};

Run run(InferOptions options) {
  std::ostringstream out, err;
  Run result;
  result.code = run_cam_infer(options, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

struct Fixture {
  testing::TempDir dir;
  std::string checkpoint = dir / "best.safetensors";
  std::string out = dir / "out";
  explicit Fixture(int channels = 3, int size = 16, const std::string& resize = "shorter-side-center-crop") {
    Model model = testing::gap_network(channels, size, 2, 31);
    testing::randomize_batch_norm(model, 4);
    testing::save_checkpoint(checkpoint, model, {"cat", "dog"}, resize);
  }
  InferOptions options(std::vector<std::string> inputs) const {
    InferOptions o;
    o.checkpoint = checkpoint;
    o.out_dir = out;
    o.inputs = std::move(inputs);
    return o;
  }
};
}  // namespace

TEST_CASE("cam-infer writes heatmap, overlay and JSON and prints one line per image", "[cam][infer]") {
  Fixture f;
  testing::write_image(f.dir / "cat.4001.jpg", 40, 30, 3, 1);
  testing::write_image(f.dir / "dog.7.png", 24, 24, 3, 2);
  const Run r = run(f.options({f.dir / "cat.4001.jpg", f.dir / "dog.7.png"}));
  REQUIRE(r.code == 0);
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  INFO(line);
  CHECK(line.rfind("cat.4001.jpg: ", 0) == 0);
  CHECK(line.find("% (") != std::string::npos);
  CHECK(line.find("-> " + f.out + "/cat.4001.overlay.png") != std::string::npos);
  for (const char* name : {"cat.4001.heatmap.png", "cat.4001.overlay.png", "cat.4001.json", "dog.7.json"})
    CHECK(fs::exists(f.out + "/" + name));
  const nlohmann::json record = read_json(f.out + "/cat.4001.json");
  CHECK(record.at("method") == "cam");
  CHECK(record.at("layer") == "relu2");
  CHECK(record.at("original_size") == nlohmann::json({40, 30}));
  CHECK(record.at("logits").size() == 2);
  const float p_cat = record.at("probabilities").at("cat"), p_dog = record.at("probabilities").at("dog");
  CHECK(p_cat + p_dog == Approx(1.0f));
  const nlohmann::json& map = record.at("maps").at(0);
  CHECK(map.at("class") == record.at("predicted").at("class"));
  CHECK(map.at("raw_shape") == nlohmann::json({8, 8}));
  CHECK(map.at("raw_max").get<float>() >= map.at("raw_min").get<float>());
}

TEST_CASE("the --save-raw map equals CAM computed independently from the checkpoint's tensors", "[cam][infer][oracle]") {
  for (const char* method : {"cam", "gradcam"}) {
    Fixture f;
    testing::write_image(f.dir / "pic.png", 50, 20, 3, 3);
    InferOptions options = f.options({f.dir / "pic.png"});
    options.save_raw = true;
    options.target_class = "dog";
    options.method.method = parse_method(method);
    REQUIRE(run(options).code == 0);
    const NpyArray saved = read_npy(f.out + "/pic." + std::string(method) + ".npy");
    REQUIRE(saved.shape == std::vector<int64_t>{8, 8});

    // Independently: the feature map from a forward of the rebuilt model, the
    // class weights straight from the safetensors file.
    LoadedModel loaded = load_model_file(f.checkpoint);
    data::DataConfig config;
    config.channels = 3;
    config.height = config.width = 16;
    config.resize = data::ResizePolicy::shorter_side_center_crop;
    config.mean = {0.5f, 0.5f, 0.5f};
    config.stddev = {0.25f, 0.25f, 0.25f};
    const data::InferenceImage image = data::load_image_for_inference(f.dir / "pic.png", config);
    {
      NoGradGuard no_grad;
      loaded.model.forward(Tensor::from_vector({1, 3, 16, 16}, image.pixels));
    }
    const std::vector<float> features = loaded.model.activation("relu2").to_vector();
    const TensorFile file = load_safetensors(f.checkpoint);
    const std::vector<float> weights = file.find("fc.weight")->to_vector();
    REQUIRE(weights.size() == 2 * 8);
    const float scale = std::string(method) == "gradcam" ? 1.0f / 64.0f : 1.0f;
    for (int i = 0; i < 64; ++i) {
      double expected = 0;
      for (int k = 0; k < 8; ++k) expected += weights[8 + k] * features[static_cast<size_t>(k * 64 + i)];
      INFO(method << " pixel " << i);
      REQUIRE(saved.values[static_cast<size_t>(i)] == Approx(expected * scale).margin(1e-5));
    }
  }
}

TEST_CASE("cam-infer with class all writes one map per class; bbox reports a box in original pixels", "[cam][infer]") {
  Fixture f;
  testing::write_image(f.dir / "wide.png", 120, 60, 3, 5);
  InferOptions options = f.options({f.dir / "wide.png"});
  options.target_class = "all";
  options.bbox = true;
  options.save_raw = true;
  REQUIRE(run(options).code == 0);
  for (const char* name : {"wide.cat.heatmap.png", "wide.dog.overlay.png", "wide.cat.cam.npy", "wide.dog.cam.npy"})
    CHECK(fs::exists(f.out + "/" + name));
  const nlohmann::json record = read_json(f.out + "/wide.json");
  REQUIRE(record.at("maps").size() == 2);
  for (const nlohmann::json& map : record.at("maps")) {
    if (map.at("blank")) continue;
    const nlohmann::json& box = map.at("box");
    REQUIRE(box.is_object());
    // The center crop keeps x in [30, 90): the box cannot leave it.
    CHECK(box.at("x").get<int>() >= 30);
    CHECK(box.at("x").get<int>() + box.at("width").get<int>() <= 90);
    CHECK(box.at("y").get<int>() + box.at("height").get<int>() <= 60);
  }
}

TEST_CASE("grayscale, huge and tiny images; unreadable ones are skipped", "[cam][infer][edge]") {
  SECTION("a grayscale model on RGB and gray files") {
    Fixture f(1, 16, "stretch");
    testing::write_image(f.dir / "rgb.png", 30, 30, 3, 1);
    testing::write_image(f.dir / "gray.png", 30, 20, 1, 2);
    const Run r = run(f.options({f.dir / "rgb.png", f.dir / "gray.png"}));
    CHECK(r.code == 0);
    CHECK(fs::exists(f.out + "/gray.overlay.png"));
    CHECK(fs::exists(f.out + "/rgb.overlay.png"));
  }
  SECTION("an RGB model on a gray file") {
    Fixture f(3);
    testing::write_image(f.dir / "gray.png", 17, 33, 1, 2);
    CHECK(run(f.options({f.dir / "gray.png"})).code == 0);
    CHECK(read_json(f.out + "/gray.json").at("original_size") == nlohmann::json({17, 33}));
  }
  SECTION("huge and tiny images keep their original size") {
    Fixture f;
    testing::write_image(f.dir / "huge.png", 2400, 1600, 3, 1);
    testing::write_image(f.dir / "tiny.png", 1, 1, 3, 2);
    testing::write_image(f.dir / "thin.png", 3, 2, 3, 3);
    InferOptions options = f.options({f.dir / "huge.png", f.dir / "tiny.png", f.dir / "thin.png"});
    options.bbox = true;
    const Run r = run(options);
    CHECK(r.code == 0);
    CHECK(read_json(f.out + "/huge.json").at("original_size") == nlohmann::json({2400, 1600}));
    CHECK(read_json(f.out + "/tiny.json").at("original_size") == nlohmann::json({1, 1}));
    CHECK(read_json(f.out + "/thin.json").at("original_size") == nlohmann::json({3, 2}));
  }
  SECTION("broken files are skipped with a message and the run goes on") {
    Fixture f;
    std::ofstream(f.dir / "broken.jpg") << "not a jpeg at all";
    testing::write_image(f.dir / "good.png", 20, 20, 3, 1);
    const Run r = run(f.options({f.dir / "broken.jpg", f.dir / "missing.png", f.dir / "good.png"}));
    CHECK(r.code == 0);
    CHECK(r.err.find("skipping " + f.dir / "broken.jpg") != std::string::npos);
    CHECK(r.err.find("skipping " + f.dir / "missing.png") != std::string::npos);
    CHECK(fs::exists(f.out + "/good.overlay.png"));
    const Run none = run(f.options({f.dir / "broken.jpg"}));
    CHECK(none.code == 1);
    CHECK(none.err.find("could be read") != std::string::npos);
  }
}

TEST_CASE("bad checkpoints fail with the file's name and the problem", "[cam][infer]") {
  testing::TempDir dir;
  testing::write_image(dir / "a.png", 8, 8, 3, 1);
  InferOptions options;
  options.out_dir = dir / "out";
  options.inputs = {dir / "a.png"};
  options.checkpoint = dir / "missing.safetensors";
  CHECK_THROWS_WITH(run(options), Catch::Contains("missing.safetensors") && Catch::Contains("does not exist"));
  std::ofstream(dir / "junk.safetensors") << "this is not a checkpoint";
  options.checkpoint = dir / "junk.safetensors";
  CHECK_THROWS_WITH(run(options), Catch::Contains("junk.safetensors"));
  // Truncated: a real checkpoint cut in half.
  Fixture f;
  const auto size = fs::file_size(f.checkpoint);
  fs::copy_file(f.checkpoint, dir / "cut.safetensors");
  fs::resize_file(dir / "cut.safetensors", size / 2);
  options.checkpoint = dir / "cut.safetensors";
  CHECK_THROWS_WITH(run(options), Catch::Contains("cut.safetensors"));
  // Metadata that does not match the model: three class names for two outputs.
  Model model = testing::gap_network(3, 16, 2);
  testing::save_checkpoint(dir / "classes.safetensors", model, {"a", "b", "c"});
  options.checkpoint = dir / "classes.safetensors";
  CHECK_THROWS_WITH(run(options), Catch::Contains("classes.safetensors") && Catch::Contains("3 classes"));
  // An unknown class and a network that cannot give a CAM.
  options.checkpoint = f.checkpoint;
  options.target_class = "horse";
  CHECK_THROWS_WITH(run(options), Catch::Contains("horse") && Catch::Contains("cat, dog"));
  testing::save_checkpoint(dir / "flat.safetensors", testing::flatten_network(3, 16, 2), {"cat", "dog"});
  options.checkpoint = dir / "flat.safetensors";
  options.target_class.clear();
  CHECK_THROWS_WITH(run(options), Catch::Contains("--method gradcam"));
  options.method.method = Method::gradcam;
  CHECK(run(options).code == 0);
}

TEST_CASE("folders are expanded; --json, --report and --metrics", "[cam][infer]") {
  Fixture f;
  fs::create_directories(f.dir / "images/sub");
  testing::write_image(f.dir / "images/a.png", 20, 20, 3, 1);
  testing::write_image(f.dir / "images/sub/b.jpg", 30, 20, 3, 2);
  std::ofstream(f.dir / "images/notes.txt") << "not an image";
  InferOptions options = f.options({f.dir / "images"});
  options.json = options.report = options.metrics = true;
  options.method.method = Method::gradcam;
  const Run r = run(options);
  REQUIRE(r.code == 0);
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  REQUIRE(records.size() == 3);
  CHECK(fs::path(records[0].at("image").get<std::string>()).filename() == "a.png");
  CHECK(fs::path(records[1].at("image").get<std::string>()).filename() == "b.jpg");
  const nlohmann::json& metrics = records[2].at("metrics");
  CHECK(metrics.at("images") == 2);
  for (const char* key : {"average_drop_percent", "increase_in_confidence_percent", "deletion_auc", "insertion_auc"})
    CHECK(std::isfinite(metrics.at(key).get<double>()));
  CHECK(metrics.at("deletion_auc").get<double>() >= 0);
  CHECK(metrics.at("insertion_auc").get<double>() <= 1);
  REQUIRE(metrics.at("sanity_check").size() == 3);  // fc, conv2, conv1
  CHECK(metrics.at("sanity_check")[0].at("randomized_up_to") == "fc");
  CHECK(metrics.at("sanity_check")[2].at("randomized_up_to") == "conv1");
  std::ifstream html_file(f.out + "/index.html");
  const std::string html((std::istreambuf_iterator<char>(html_file)), std::istreambuf_iterator<char>());
  CHECK(html.find("<script") == std::string::npos);
  for (const char* name : {"a.original.png", "a.heatmap.png", "b.overlay.png"}) {
    CHECK(html.find(std::string("src=\"") + name + "\"") != std::string::npos);
    CHECK(fs::exists(f.out + "/" + name));
  }
  CHECK(fs::exists(f.out + "/metrics.json"));
}

TEST_CASE("cam-infer on the shared Kaggle sample, when present", "[cam][infer][catdog]") {
  // ../shared next to the checkout (or $GAZE_CATDOG_DIR), never one machine's absolute path.
  const char* from_env = std::getenv("GAZE_CATDOG_DIR");
  const std::string root =
      from_env && *from_env ? from_env : std::string(GAZE_SOURCE_DIR) + "/../shared/data/catdog/train";
  if (!fs::exists(root + "/cat.1.jpg") || !fs::exists(root + "/dog.1.jpg"))
    GAZE_SKIP("the shared Kaggle sample is not at " << root);
  Fixture f(3, 32);
  InferOptions options = f.options({root + "/cat.1.jpg", root + "/dog.1.jpg"});
  options.bbox = true;
  REQUIRE(run(options).code == 0);
  const nlohmann::json record = read_json(f.out + "/cat.1.json");
  CHECK(record.at("original_size")[0].get<int>() > 32);
  CHECK(fs::exists(f.out + "/dog.1.overlay.png"));
}

// Matrix datasets (data.layout: npy): both forms load the files' values as
// float32 with nothing rounded through 8 bits, mean/std auto matches a hand
// computation on the training subset only, noise is the only augmentation,
// and every bad array is an error naming its file.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "core/error.h"
#include "core/npy.h"
#include "data/data.h"
#include "tests/data/npy_writer.h"
#include "tests/temp_dir.h"

using namespace gaze;
using namespace gaze::data;
using gaze::test_support::raw_bytes;
using gaze::test_support::TempDir;
using gaze::test_support::write_raw_npy;
namespace fs = std::filesystem;

namespace {

DataConfig matrix_config(const std::string& root, int channels, int height, int width) {
  DataConfig config;
  config.root = root;
  config.layout = Layout::npy;
  config.channels = channels;
  config.height = height;
  config.width = width;
  config.mean = {0, 0, 0};
  config.stddev = {1, 1, 1};
  config.num_workers = 1;
  return config;
}

// Two classes of 2x3 matrices, values no 8-bit path could keep.
void write_two_class_folders(const fs::path& root) {
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  write_npy((root / "a" / "1.npy").string(), {{2, 3}, {0.123456f, -7.5f, 1000.25f, 3e-5f, -0.5f, 2.0f}});
  write_raw_npy((root / "b" / "1.npy").string(), "<f8", "2, 3",
                raw_bytes(std::vector<double>{1.0 / 3, 2, 3, 4, 5, -1e6}));
}

std::vector<float> batch_values(const Dataset& dataset, std::vector<size_t> subset, const DataConfig& config,
                                bool training, int epoch = 0) {
  DataConfig whole = config;
  whole.drop_last = false;  // the tests read every sample
  Loader loader(dataset, std::move(subset), whole, training, 8);
  loader.start_epoch(epoch);
  std::vector<float> values;
  while (auto batch = loader.next()) values.insert(values.end(), batch->images.begin(), batch->images.end());
  return values;
}

}  // namespace

TEST_CASE("matrix class folders load float32 and float64 files exactly", "[data][npy]") {
  TempDir dir;
  write_two_class_folders(dir.path());
  DataConfig config = matrix_config(dir.path().string(), 1, 2, 3);
  config.cache_dir = (dir.path() / "cache").string();  // must not be used: no 8-bit cache for matrices
  const Dataset dataset = scan_dataset(config);
  REQUIRE(dataset.layout == Layout::npy);
  CHECK(dataset.class_names == std::vector<std::string>{"a", "b"});
  REQUIRE(dataset.samples.size() == 2);
  CHECK(dataset.samples[1].label == 1);
  config.mean = {2, 0, 0};
  config.stddev = {4, 1, 1};
  const std::vector<float> values = batch_values(dataset, {0, 1}, config, false);
  REQUIRE(values.size() == 12);
  CHECK(values[0] == (0.123456f - 2) / 4);
  CHECK(values[2] == (1000.25f - 2) / 4);
  CHECK(values[3] == (3e-5f - 2) / 4);
  CHECK(values[6] == (static_cast<float>(1.0 / 3) - 2) / 4);
  CHECK(values[11] == (-1e6f - 2) / 4);
  CHECK_FALSE(fs::exists(dir.path() / "cache"));
}

TEST_CASE("a pair of arrays with classes.txt: [N, C, H, W] and [N, H, W]", "[data][npy]") {
  TempDir dir;
  std::vector<float> x(3 * 2 * 2 * 2);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * static_cast<float>(i) - 1.1f;
  write_npy(dir / "x.npy", {{3, 2, 2, 2}, x});
  write_raw_npy(dir / "y.npy", "<i8", "3,", raw_bytes(std::vector<int64_t>{2, 0, 1}));
  std::ofstream(dir / "classes.txt") << "low\nmid\r\nhigh\n\n";
  const DataConfig config = matrix_config(dir.path().string(), 2, 2, 2);
  const Dataset dataset = scan_dataset(config);
  CHECK(dataset.class_names == std::vector<std::string>{"low", "mid", "high"});
  REQUIRE(dataset.samples.size() == 3);
  CHECK(dataset.samples[0].label == 2);
  CHECK(dataset.samples[2].label == 1);
  CHECK(batch_values(dataset, {0, 1, 2}, config, false) == x);

  TempDir flat;
  write_npy(flat / "x.npy", {{2, 1, 3}, {1, 2, 3, 4, 5, 6}});
  write_raw_npy(flat / "y.npy", "|u1", "2,", std::string("\x01\x00", 2));
  std::ofstream(flat / "classes.txt") << "no\nyes\n";
  const Dataset two = scan_dataset(matrix_config(flat.path().string(), 1, 1, 3));
  CHECK(two.samples[0].label == 1);
  CHECK(two.samples[1].label == 0);
}

TEST_CASE(".npy integers round-trip and version 2.0 headers read", "[data][npy]") {
  TempDir dir;
  write_npy_integers(dir / "y.npy", {{2, 2}, {-3, 0, 7, int64_t{1} << 40}});
  const NpyIntegers back = read_npy_integers(dir / "y.npy");
  CHECK(back.shape == std::vector<int64_t>{2, 2});
  CHECK(back.values == std::vector<int64_t>{-3, 0, 7, int64_t{1} << 40});
  CHECK_THROWS_WITH(read_npy(dir / "y.npy"), Catch::Contains("y.npy") && Catch::Contains("'<i8' is not supported"));
  // Version 2.0: a four-byte header length.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  header.append((64 - (12 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::ofstream(dir / "v2.npy", std::ios::binary)
      << std::string("\x93NUMPY\x02\x00", 8) << static_cast<char>(header.size()) << std::string(3, '\0') << header
      << raw_bytes(std::vector<float>{1.5f, -2});
  CHECK(read_npy(dir / "v2.npy").values == std::vector<float>{1.5f, -2});
  // float64 is narrowed in chunks of 65536 values: one more than a chunk crosses the boundary.
  std::vector<double> wide(65537);
  for (size_t i = 0; i < wide.size(); ++i) wide[i] = 0.5 * static_cast<double>(i) - 7;
  write_raw_npy(dir / "wide.npy", "<f8", "65537,", raw_bytes(wide));
  const NpyArray narrowed = read_npy(dir / "wide.npy");
  REQUIRE(narrowed.values.size() == 65537);
  CHECK(narrowed.values[65535] == 0.5f * 65535 - 7);
  CHECK(narrowed.values[65536] == 0.5f * 65536 - 7);
  write_raw_npy(dir / "u8.npy", "<u8", "1,", raw_bytes(std::vector<uint64_t>{~uint64_t{0}}));
  CHECK_THROWS_WITH(read_npy_integers(dir / "u8.npy"), Catch::Contains("u8.npy") && Catch::Contains("int64"));
}

TEST_CASE("mean and std auto are the training subset's per-channel statistics", "[data][npy]") {
  TempDir dir;
  // Two channels of 1x2. Sample 2 is held out (validation) and is huge: it must not count.
  write_npy(dir / "x.npy", {{3, 2, 1, 2}, {1, 2, 10, 10, 3, 4, 10, 14, 1000, 1000, 1000, 1000}});
  write_raw_npy(dir / "y.npy", "<i4", "3,", raw_bytes(std::vector<int32_t>{0, 1, 1}));
  std::ofstream(dir / "classes.txt") << "a\nb\n";
  DataConfig config = matrix_config(dir.path().string(), 2, 1, 2);
  const Dataset dataset = scan_dataset(config);
  // By hand: channel 0 holds 1, 2, 3, 4: mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
  // Channel 1 holds 10, 10, 10, 14: mean 11, variance (1 + 1 + 1 + 9) / 4 = 3.
  const ChannelStatistics stats = channel_statistics(dataset, {0, 1});
  CHECK(stats.mean[0] == Approx(2.5));
  CHECK(stats.stddev[0] == Approx(std::sqrt(1.25)));
  CHECK(stats.mean[1] == Approx(11));
  CHECK(stats.stddev[1] == Approx(std::sqrt(3.0)));
  config.mean_auto = true;
  config.stddev_auto = true;
  CHECK_FALSE(resolve_auto_normalization(dataset, {0, 1}, config).empty());
  CHECK(config.mean[0] == Approx(2.5f));
  CHECK(config.stddev[1] == Approx(std::sqrt(3.0f)));
  CHECK_FALSE(config.mean_auto);
  const std::vector<float> values = batch_values(dataset, {0}, config, false);
  REQUIRE(values.size() == 4);
  CHECK(values[0] == Approx((1 - 2.5) / std::sqrt(1.25)));
  CHECK(values[3] == Approx((10 - 11) / std::sqrt(3.0)));

  // A constant channel has no spread: it is centred and divided by 1.
  TempDir flat;
  write_npy(flat / "x.npy", {{2, 1, 2}, {5, 5, 5, 5}});
  write_raw_npy(flat / "y.npy", "<i8", "2,", raw_bytes(std::vector<int64_t>{0, 1}));
  std::ofstream(flat / "classes.txt") << "a\nb\n";
  DataConfig constant = matrix_config(flat.path().string(), 1, 1, 2);
  constant.mean_auto = constant.stddev_auto = true;
  resolve_auto_normalization(scan_dataset(constant), {0, 1}, constant);
  CHECK(constant.mean[0] == 5);
  CHECK(constant.stddev[0] == 1);
}

TEST_CASE("noise is the only matrix augmentation, seeded, and never in evaluation", "[data][npy]") {
  TempDir dir;
  std::vector<float> zeros(2 * 32 * 32, 0.0f);
  write_npy(dir / "x.npy", {{2, 32, 32}, zeros});
  write_raw_npy(dir / "y.npy", "<i8", "2,", raw_bytes(std::vector<int64_t>{0, 1}));
  std::ofstream(dir / "classes.txt") << "a\nb\n";
  DataConfig config = matrix_config(dir.path().string(), 1, 32, 32);
  const Dataset dataset = scan_dataset(config);
  // Image augmentation settings are ignored for matrices (the config refuses them).
  config.augment.hflip = true;
  config.augment.brightness = 0.5f;
  CHECK(batch_values(dataset, {0, 1}, config, true) == zeros);
  config.augment.noise_std = 0.5f;
  const std::vector<float> noisy = batch_values(dataset, {0, 1}, config, true, 3);
  double sum = 0, squares = 0;
  for (float v : noisy) {
    sum += v;
    squares += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(noisy.size());
  // 2048 draws: the sample mean is within 4 standard errors (4 * 0.5 / 45) of 0, the deviation near 0.5.
  CHECK(std::abs(sum / n) < 0.045);
  CHECK(std::sqrt(squares / n) == Approx(0.5).epsilon(0.08));
  CHECK(batch_values(dataset, {0, 1}, config, true, 3) == noisy);
  CHECK(batch_values(dataset, {0, 1}, config, true, 4) != noisy);
  CHECK(batch_values(dataset, {0, 1}, config, false) == zeros);
}

TEST_CASE("bad arrays are errors that name the file", "[data][npy][hardening]") {
  TempDir dir;
  const fs::path root = dir.path() / "set";
  auto folders_with = [&](const std::function<void(const std::string&)>& write_bad) {
    fs::remove_all(root);
    fs::create_directories(root / "a");
    fs::create_directories(root / "b");
    write_npy((root / "a" / "good.npy").string(), {{2, 2}, {1, 2, 3, 4}});
    const std::string bad = (root / "b" / "bad.npy").string();
    write_bad(bad);
    return bad;
  };
  auto refused = [&](const std::function<void(const std::string&)>& write_bad, const std::string& reason) {
    const std::string bad = folders_with(write_bad);
    CHECK_THROWS_WITH(scan_dataset(matrix_config(root.string(), 1, 2, 2)),
                      Catch::Contains(bad) && Catch::Contains(reason));
  };
  const std::string four_floats = raw_bytes(std::vector<float>{1, 2, 3, 4});
  refused([&](const std::string& p) { write_raw_npy(p, "<i4", "2, 2", four_floats); }, "expected float32");
  refused([&](const std::string& p) { write_raw_npy(p, ">f4", "2, 2", four_floats); }, "little-endian");
  refused([&](const std::string& p) { write_raw_npy(p, "<f2", "2, 2", four_floats); }, "dtype '<f2'");
  refused([&](const std::string& p) { write_npy(p, {{2, 2}, {1, std::nanf(""), 3, 4}}); }, "NaN at channel 0, row 0, column 1");
  refused([&](const std::string& p) { write_npy(p, {{2, 2}, {1, 2, 3, std::numeric_limits<float>::infinity()}}); },
          "infinite value (or a float64 beyond float32) at channel 0, row 1, column 1");
  refused([&](const std::string& p) { write_raw_npy(p, "<f8", "2, 2", raw_bytes(std::vector<double>{1, 2, 1e300, 4})); },
          "infinite");
  refused([&](const std::string& p) { write_npy(p, {{3, 3}, std::vector<float>(9, 1.0f)}); }, "same shape");
  refused([&](const std::string& p) { write_raw_npy(p, "<f4", "2, 2", four_floats, true); }, "Fortran order");
  refused([&](const std::string& p) { write_raw_npy(p, "|O", "2, 2", "\x80\x02]q\x00."); }, "never loads pickles");
  refused([&](const std::string& p) { write_raw_npy(p, "<f4", "2, 2", four_floats.substr(0, 10)); }, "truncated");
  refused([&](const std::string& p) { write_raw_npy(p, "<f4", "4294967296, 4294967296", four_floats); }, "overflows");
  refused([&](const std::string& p) { write_raw_npy(p, "<f4", "1, 1, 1, 2, 2", four_floats); }, "expected [H, W] or [C, H, W]");
  refused([&](const std::string& p) { std::ofstream(p) << "not numpy"; }, "not a .npy file");

  // Every file agrees but the model takes another shape.
  folders_with([](const std::string& p) { write_npy(p, {{2, 2}, {5, 6, 7, 8}}); });
  CHECK_THROWS_WITH(scan_dataset(matrix_config(root.string(), 1, 3, 2)),
                    Catch::Contains("good.npy") && Catch::Contains("model.input"));
}

TEST_CASE("bad pairs of arrays are errors that name the file", "[data][npy][hardening]") {
  TempDir dir;
  const DataConfig config = matrix_config(dir.path().string(), 1, 1, 2);
  write_npy(dir / "x.npy", {{2, 1, 2}, {1, 2, 3, 4}});
  write_raw_npy(dir / "y.npy", "<i8", "2,", raw_bytes(std::vector<int64_t>{0, 1}));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("classes.txt") && Catch::Contains("missing"));
  std::ofstream(dir / "classes.txt") << "a\nb\na\n";
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("line 3") && Catch::Contains("twice"));
  std::ofstream(dir / "classes.txt") << "a\nb\n";
  CHECK(scan_dataset(config).samples.size() == 2);
  write_raw_npy(dir / "y.npy", "<i8", "2,", raw_bytes(std::vector<int64_t>{0, 2}));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("y.npy") && Catch::Contains("label 2 at index 1"));
  write_raw_npy(dir / "y.npy", "<i8", "3,", raw_bytes(std::vector<int64_t>{0, 1, 1}));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("y.npy") && Catch::Contains("one label per matrix"));
  write_raw_npy(dir / "y.npy", "<f4", "2,", raw_bytes(std::vector<float>{0, 1}));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("y.npy") && Catch::Contains("not an integer type"));
  write_raw_npy(dir / "y.npy", "<i8", "2,", raw_bytes(std::vector<int64_t>{0, 1}));
  write_npy(dir / "x.npy", {{2, 1, 2}, {1, 2, std::nanf(""), 4}});
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("x.npy") && Catch::Contains("NaN") &&
                                              Catch::Contains("of sample 1"));
  write_npy(dir / "x.npy", {{2, 2}, {1, 2, 3, 4}});
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("x.npy") && Catch::Contains("[N, H, W] or [N, C, H, W]"));
}

TEST_CASE("a matrix checkpoint's preprocessing reads matrices the way training did", "[data][npy]") {
  const DataConfig config = inference_config(2, 1, 2, {2, 10}, {4, 0.5f}, "none", "'m.safetensors'");
  CHECK(config.layout == Layout::npy);
  TempDir dir;
  write_raw_npy(dir / "m.npy", "<f8", "2, 1, 2", raw_bytes(std::vector<double>{6, 2, 10, 11}));
  const InferenceMatrix matrix = load_matrix_for_inference(dir / "m.npy", config);
  CHECK(matrix.values == std::vector<float>{6, 2, 10, 11});
  CHECK(matrix.normalized == std::vector<float>{1, 0, 0, 2});
  CHECK_THROWS_WITH(load_matrix_for_inference(dir / "m.npy", inference_config(1, 1, 2, {0}, {1}, "none", "c")),
                    Catch::Contains("m.npy") && Catch::Contains("model takes [1, 1, 2]"));
  CHECK_THROWS_WITH(inference_config(4, 1, 2, {0, 0, 0, 0}, {1, 1, 1, 1}, "none", "'m.safetensors'"),
                    Catch::Contains("m.safetensors") && Catch::Contains("1 to 3 channels"));
}

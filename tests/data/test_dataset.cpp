#include <catch2/catch.hpp>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "data/dataset.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;
namespace fs = std::filesystem;

namespace {

DataConfig config_for(const TempDir& dir) {
  DataConfig config;
  config.root = dir.path().string();
  return config;
}

bool was_skipped(const Dataset& dataset, const std::string& name, const std::string& reason) {
  return std::any_of(dataset.skipped.begin(), dataset.skipped.end(), [&](const SkippedFile& s) {
    return fs::path(s.path).filename() == name && s.reason.find(reason) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("flat Kaggle layout: class is the prefix, bad files are skipped", "[data][dataset]") {
  TempDir dir;
  write_jpg(dir / "cat.1.jpg", pattern_image(20, 16, 3, 1));
  write_jpg(dir / "cat.2.jpg", pattern_image(16, 20, 3, 2));
  write_png(dir / "dog.1.png", pattern_image(12, 12, 1, 3));
  write_png(dir / "dog.2.PNG", pattern_image(12, 12, 4, 4));
  write_bytes(dir / "dog.3.jpg", "");                            // zero bytes
  write_bytes(dir / "dog.4.jpg", "this is not an image at all");  // not an image
  write_png(dir / "cat.3.png", pattern_image(40, 40, 3, 5));
  truncate_file(dir / "cat.3.png", 20);                          // header cut off
  write_bytes(dir / "cat.4.gif", "GIF89a");                      // unsupported format
  write_jpg(dir / "1234.jpg", pattern_image(8, 8, 3, 6));        // label unknown
  write_bytes(dir / ".DS_Store", "junk");                        // hidden: ignored

  const Dataset dataset = scan_dataset(config_for(dir));
  CHECK(dataset.layout == Layout::flat);
  REQUIRE(dataset.class_names == std::vector<std::string>{"cat", "dog"});
  REQUIRE(dataset.samples.size() == 4);
  CHECK(fs::path(dataset.samples[0].path).filename() == "cat.1.jpg");
  CHECK(dataset.samples[0].label == 0);
  CHECK(fs::path(dataset.samples[3].path).filename() == "dog.2.PNG");
  CHECK(dataset.samples[3].label == 1);
  CHECK(dataset.samples[0].file_size > 0);
  CHECK(dataset.skipped.size() == 5);
  CHECK(was_skipped(dataset, "dog.3.jpg", "zero-byte"));
  CHECK(was_skipped(dataset, "dog.4.jpg", "not a decodable image"));
  CHECK(was_skipped(dataset, "cat.3.png", "not a decodable image"));
  CHECK(was_skipped(dataset, "cat.4.gif", "unsupported format"));
  CHECK(was_skipped(dataset, "1234.jpg", "label unknown"));
}

TEST_CASE("class-subfolder layout: sorted class names, nested files, empty classes skipped",
          "[data][dataset]") {
  TempDir dir;
  for (const char* name : {"zebra", "ant", "moth", "empty"}) fs::create_directory(dir / name);
  fs::create_directory(dir / "ant/nested");
  write_png(dir / "zebra/a.png", pattern_image(8, 8, 3, 1));
  write_png(dir / "ant/b.png", pattern_image(8, 8, 3, 2));
  write_png(dir / "ant/nested/c.png", pattern_image(8, 8, 3, 3));
  write_png(dir / "moth/d.png", pattern_image(8, 8, 3, 4));
  write_bytes(dir / "moth/broken.jpg", "\xff\xd8\xff garbage");
  write_png(dir / "stray.png", pattern_image(8, 8, 3, 5));

  const Dataset dataset = scan_dataset(config_for(dir));
  CHECK(dataset.layout == Layout::folders);
  REQUIRE(dataset.class_names == std::vector<std::string>{"ant", "moth", "zebra"});
  REQUIRE(dataset.samples.size() == 4);
  std::vector<int> labels;
  for (const Sample& s : dataset.samples) labels.push_back(s.label);
  CHECK(labels == std::vector<int>{0, 0, 1, 2});
  CHECK(was_skipped(dataset, "empty", "without usable images"));
  CHECK(was_skipped(dataset, "broken.jpg", "not a decodable image"));
  CHECK(was_skipped(dataset, "stray.png", "outside a class folder"));
}

TEST_CASE("oversized images are refused from the header alone", "[data][dataset]") {
  TempDir dir;
  write_png(dir / "cat.1.png", pattern_image(30, 30, 3, 1));
  write_png(dir / "cat.2.png", pattern_image(10, 10, 3, 1));
  write_png(dir / "dog.1.png", pattern_image(10, 10, 3, 2));
  DataConfig config = config_for(dir);
  config.max_pixels = 500;
  const Dataset dataset = scan_dataset(config);
  CHECK(dataset.samples.size() == 2);
  CHECK(was_skipped(dataset, "cat.1.png", "exceed the cap of 500"));
}

TEST_CASE("datasets without usable images or with one class are errors naming the folder",
          "[data][dataset]") {
  TempDir dir;
  SECTION("missing folder") {
    DataConfig config;
    config.root = dir / "nope";
    CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("nope") && Catch::Contains("not a readable folder"));
  }
  SECTION("only garbage") {
    write_bytes(dir / "cat.1.jpg", "garbage");
    CHECK_THROWS_WITH(scan_dataset(config_for(dir)),
                      Catch::Contains("no usable images") && Catch::Contains(dir.path().string()));
  }
  SECTION("a single class") {
    write_png(dir / "cat.1.png", pattern_image(8, 8, 3, 1));
    write_png(dir / "cat.2.png", pattern_image(8, 8, 3, 2));
    CHECK_THROWS_WITH(scan_dataset(config_for(dir)),
                      Catch::Contains("only one class ('cat')") && Catch::Contains("at least two"));
  }
}

TEST_CASE("symlink loops are errors, not hangs", "[data][dataset]") {
  TempDir dir;
  fs::create_directory(dir / "cat");
  fs::create_directory(dir / "dog");
  write_png(dir / "cat/a.png", pattern_image(8, 8, 3, 1));
  write_png(dir / "dog/b.png", pattern_image(8, 8, 3, 2));
  SECTION("directory link back to an ancestor") {
    fs::create_directory_symlink(dir.path(), dir / "cat/up");
    CHECK_THROWS_WITH(scan_dataset(config_for(dir)), Catch::Contains("symlink loop"));
  }
  SECTION("self-referencing link") {
    fs::create_symlink(dir / "dog/self", dir / "dog/self");
    CHECK_THROWS_WITH(scan_dataset(config_for(dir)), Catch::Contains("symlink loop"));
  }
}

namespace {
// Runs `body` in a child process; as root (CI), the child first drops to the
// unprivileged user "nobody" (uid/gid 65534), since root reads any folder
// whatever its permissions. The child's exit status is body's result.
bool unprivileged(const std::function<bool()>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(2);
    bool ok = false;
    try {
      ok = body();
    } catch (...) {
    }
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
}  // namespace

TEST_CASE("an unreadable folder is an error naming it", "[data][dataset]") {
  TempDir dir;
  fs::create_directory(dir / "cat");
  fs::create_directory(dir / "dog");
  write_png(dir / "cat/a.png", pattern_image(8, 8, 3, 1));
  // Everyone may enter the test folder and read cat/; nobody may read dog/.
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec |
                                  fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir / "cat", fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(dir / "cat/a.png", fs::perms::owner_all | fs::perms::others_read);
  fs::permissions(dir / "dog", fs::perms::none);
  const DataConfig config = config_for(dir);
  CHECK(unprivileged([&] {
    try {
      scan_dataset(config);
    } catch (const gaze::Error& e) {
      const std::string message = e.what();
      return message.find("cannot read folder") != std::string::npos && message.find("dog") != std::string::npos;
    }
    return false;  // the scan went through an unreadable folder
  }));
  fs::permissions(dir / "dog", fs::perms::owner_all);
}

TEST_CASE("layout and resize policy names parse, and unknown names are rejected", "[data][dataset]") {
  CHECK(parse_layout("auto") == Layout::automatic);
  CHECK(parse_layout("folders") == Layout::folders);
  CHECK(parse_layout("npy") == Layout::npy);
  CHECK(to_string(Layout::npy) == "npy");
  CHECK(parse_resize_policy("shorter-side-center-crop") == ResizePolicy::shorter_side_center_crop);
  CHECK_THROWS_WITH(parse_layout("kaggle"), Catch::Contains("expected auto, flat, folders, idx or npy"));
  DataConfig config;
  config.channels = 2;
  CHECK_THROWS_WITH(validate(config), Catch::Contains("data.channels is 2"));
  config.layout = Layout::npy;  // a matrix may have two channels, not four
  CHECK_NOTHROW(validate(config));
  config.channels = 4;
  CHECK_THROWS_WITH(validate(config), Catch::Contains("1 to 3 channels"));
}

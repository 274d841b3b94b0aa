// Class names: data.class_names renaming, --class-map parsing, and matching
// a dataset's classes with a model's (by name, by map, by IDX index), with
// the suggested fix for near misses.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "data/class_names.h"

using namespace gaze;
using namespace gaze::data;

namespace {

Dataset fake_dataset(Layout layout, std::vector<std::string> names) {
  Dataset d;
  d.root = "somewhere";
  d.layout = layout;
  d.class_names = std::move(names);
  for (size_t c = 0; c < d.class_names.size(); ++c) d.samples.push_back({std::to_string(c), static_cast<int>(c)});
  return d;
}

}  // namespace

TEST_CASE("data.class_names renames classes label by label, and checks the names", "[data][class-names]") {
  Dataset d = fake_dataset(Layout::idx, {"0", "1", "2"});
  rename_classes(d, {"T-shirt/top", "Trouser", "Pullover"}, "x.yaml: data.class_names");
  REQUIRE(d.class_names == std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover"});
  REQUIRE(d.samples[2].label == 2);
  REQUIRE_THROWS_WITH(rename_classes(d, {"a", "b"}, "x.yaml: data.class_names"),
                      Catch::Contains("x.yaml: data.class_names has 2 names") && Catch::Contains("has 3 classes"));
  REQUIRE_THROWS_WITH(check_class_names({"a", "", "c"}, "k"), Catch::Contains("class name 1 is empty"));
  REQUIRE_THROWS_WITH(check_class_names({"a", "b", "a"}, "k"), Catch::Contains("'a' appears twice"));
  Dataset unchanged = fake_dataset(Layout::folders, {"cat", "dog"});
  rename_classes(unchanged, {}, "k");
  REQUIRE(unchanged.class_names == std::vector<std::string>{"cat", "dog"});
}

TEST_CASE("a class map (evaluate --class-map) parses FOLDER=CLASS pairs and refuses malformed ones", "[data][class-names]") {
  REQUIRE(parse_class_map("cats=cat,dogs=dog") == ClassMap{{"cats", "cat"}, {"dogs", "dog"}});
  REQUIRE(parse_class_map("tops=T-shirt/top") == ClassMap{{"tops", "T-shirt/top"}});
  for (const char* bad : {"cats", "cats=", "=cat", "cats=cat,", "cats=cat,,dogs=dog"})
    REQUIRE_THROWS_WITH(parse_class_map(bad), Catch::Contains("is not FOLDER_NAME=CLASS_NAME"));
  REQUIRE_THROWS_WITH(parse_class_map("a=x,a=y"), Catch::Contains("maps 'a' twice"));
}

TEST_CASE("dataset classes match a model's by name, map or IDX index", "[data][class-names]") {
  const std::vector<std::string> known{"cat", "dog", "fox"};
  ClassMatch match;
  match.dataset_what = "'val'";
  match.known_what = "checkpoint 'm'";
  // By name: folders are alphabetical, the model's order may differ.
  REQUIRE(match_classes(fake_dataset(Layout::folders, {"dog", "fox"}), {"fox", "cat", "dog"}, match) ==
          std::vector<int>{2, 0});
  // IDX labels are indices, whatever the model calls its classes.
  REQUIRE(match_classes(fake_dataset(Layout::idx, {"0", "1", "2"}), known, match) == std::vector<int>{0, 1, 2});
  REQUIRE_THROWS_WITH(match_classes(fake_dataset(Layout::idx, {"0", "1", "2", "3"}), known, match),
                      Catch::Contains("IDX labels 0 to 3") && Catch::Contains("only 3 classes"));
  // Near misses (case, plural) get the exact flag that fixes them.
  const Dataset plural = fake_dataset(Layout::folders, {"Dogs", "cats"});
  REQUIRE_THROWS_WITH(match_classes(plural, known, match),
                      Catch::Contains("'val' has classes 'Dogs', 'cats' that checkpoint 'm' does not know") &&
                          Catch::Contains("--class-map Dogs=dog,cats=cat"));
  match.class_map = parse_class_map("Dogs=dog,cats=cat");
  REQUIRE(match_classes(plural, known, match) == std::vector<int>{1, 0});
  // A config key spells its fix in YAML.
  ClassMatch config = match;
  config.class_map.clear();
  config.fix_option = "data.val_class_map";
  config.fix_is_flag = false;
  REQUIRE_THROWS_WITH(match_classes(plural, known, config),
                      Catch::Contains("data.val_class_map: {Dogs: dog, cats: cat}"));
  // No near miss: the general form of the fix.
  REQUIRE_THROWS_WITH(match_classes(fake_dataset(Layout::folders, {"cat", "wolf"}), known, ClassMatch{}),
                      Catch::Contains("'wolf'") && Catch::Contains("--class-map FOLDER=CLASS"));
  // Unknown names in the map are errors on either side.
  match.class_map = parse_class_map("Dogs=dog,cats=cat,birds=cat");
  REQUIRE_THROWS_WITH(match_classes(plural, known, match), Catch::Contains("has no class 'birds'"));
  match.class_map = parse_class_map("Dogs=dog,cats=kitten");
  REQUIRE_THROWS_WITH(match_classes(plural, known, match),
                      Catch::Contains("'kitten' is not a class of checkpoint 'm'"));
  // Aliases: the other names of the known classes (a training folder renamed by data.class_names).
  ClassMatch aliased;
  aliased.aliases = {"c", "d", "f"};
  REQUIRE(match_classes(fake_dataset(Layout::folders, {"d", "fox"}), known, aliased) == std::vector<int>{1, 2});
}

TEST_CASE("relabel gives a dataset the model's labels and names", "[data][class-names]") {
  Dataset d = fake_dataset(Layout::folders, {"dog", "fox"});
  relabel(d, {1, 2}, {"cat", "dog", "fox"});
  REQUIRE(d.class_names == std::vector<std::string>{"cat", "dog", "fox"});
  REQUIRE(d.samples[0].label == 1);
  REQUIRE(d.samples[1].label == 2);
}

#pragma once
// ConfigReader: strict, located access to one mapping of a YAML config.
// Every getter checks the type and records the key as known; finish()
// rejects whatever was not asked for, so a typo ("epoch:" for "epochs:")
// stops the run before training with the file and line of the key.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace gaze::train {

// Where each overridden key came from ("--set train.epochs=3"), shared by readers.
using OverrideSources = std::map<std::string, std::string>;

class ConfigReader {
 public:
  ConfigReader(YAML::Node node, std::string path, std::string file,
               std::shared_ptr<const OverrideSources> overrides);

  bool has(const std::string& key) const;
  int integer(const std::string& key, int fallback);
  double number(const std::string& key, double fallback);
  bool boolean(const std::string& key, bool fallback);
  std::string text(const std::string& key, const std::string& fallback);
  std::string required_text(const std::string& key);
  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback);
  // A list of texts (a single text counts as a list of one); empty when absent.
  std::vector<std::string> texts(const std::string& key);
  // A list of mappings, each read like section() ("train.lr_groups[1]").
  std::vector<ConfigReader> sections(const std::string& key);
  // A nested mapping (empty when absent); marks the key as known.
  ConfigReader section(const std::string& key);
  YAML::Node raw(const std::string& key);  // marks the key as known
  // Throws for any key of this mapping that no getter asked for.
  void finish() const;

  // "configs/x.yaml:12: train.epochs" or "--set train.epochs=3: train.epochs".
  std::string where(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  YAML::Node node_;
  std::string path_;  // dotted prefix: "train"
  std::string file_;
  std::shared_ptr<const OverrideSources> overrides_;
  std::set<std::string> known_;
};

// Sets `dotted.key` in `root` to a YAML scalar parsed from `value`, creating
// mappings as needed. Throws gaze::Error on a malformed KEY=VALUE.
void apply_override(YAML::Node& root, const std::string& assignment, OverrideSources& sources);

}  // namespace gaze::train

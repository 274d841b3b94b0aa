#pragma once
// Class names: giving a dataset's classes their display names
// (data.class_names) and matching a dataset's classes with the classes a
// model knows (evaluate on a folder, train with a separate validation
// folder), by name, through an explicit map ("cats" -> "cat"), or, for IDX
// files whose labels are numbers, by index.
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace gaze::data {

// Throws gaze::Error (prefixed with `where`) unless `names` are non-empty and
// distinct. An empty list is fine (it means "keep the names found").
void check_class_names(const std::vector<std::string>& names, const std::string& where);

// Replaces the dataset's class names, label by label (names[i] names label
// i, the dataset's own class order: alphabetical for folders, numeric for
// IDX). The count must match; `where` names the setting in errors.
void rename_classes(Dataset& dataset, const std::vector<std::string>& names, const std::string& where);

// A dataset class name -> a known class name.
using ClassMap = std::map<std::string, std::string>;

// Parses "cats=cat,dogs=dog" (the command-line form); throws on a malformed
// pair, an empty name or a name mapped twice.
ClassMap parse_class_map(const std::string& text);

struct ClassMatch {
  ClassMap class_map = {};
  // Optional other names of the known classes, same order (the training
  // folder's own names when data.class_names renamed them).
  std::vector<std::string> aliases = {};
  // How the fix is spelled in errors: "--class-map" (a flag) or a config key
  // such as "data.val_class_map" (YAML mapping syntax).
  std::string fix_option = "--class-map";
  bool fix_is_flag = true;
  std::string dataset_what;  // "'val/'" in messages
  std::string known_what;    // "checkpoint 'best.safetensors'" in messages
};

// For each class (label) of `dataset`, the index of the matching class in
// `known`. IDX labels are numbers, so without a class map an IDX dataset
// maps label i to known class i. Otherwise a name matches through the class
// map, else by itself (or an alias). Unknown map entries and unmatched
// classes are errors; when a name differs from a known one only by case or a
// trailing plural 's', the error spells the class map that fixes it.
std::vector<int> match_classes(const Dataset& dataset, const std::vector<std::string>& known,
                               const ClassMatch& match);

// Gives the dataset the known classes: sample labels go through `mapping`
// (from match_classes) and the class names become `known`.
void relabel(Dataset& dataset, const std::vector<int>& mapping, const std::vector<std::string>& known);

}  // namespace gaze::data

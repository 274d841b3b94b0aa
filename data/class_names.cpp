#include "data/class_names.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/error.h"

namespace gaze::data {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "cats" and "Cat" are the same class to a human: equal after lowering case
// and dropping one trailing 's'. Used only to suggest a fix, never to match.
bool near_same(const std::string& a, const std::string& b) {
  const std::string x = lower(a), y = lower(b);
  return x == y || x == y + "s" || x + "s" == y;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "'" : ", '") + name + "'";
  return text;
}

std::string spell_map(const ClassMap& map, bool flag) {
  std::string text;
  for (const auto& [from, to] : map)
    text += flag ? (text.empty() ? "" : ",") + from + "=" + to : (text.empty() ? "" : ", ") + from + ": " + to;
  return flag ? text : "{" + text + "}";
}

}  // namespace

void check_class_names(const std::vector<std::string>& names, const std::string& where) {
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    GAZE_CHECK(!names[i].empty(), where, ": class name ", i, " is empty; every class needs a name");
    GAZE_CHECK(seen.insert(names[i]).second, where, ": class name '", names[i], "' appears twice; names must be distinct");
  }
}

void rename_classes(Dataset& dataset, const std::vector<std::string>& names, const std::string& where) {
  if (names.empty()) return;
  check_class_names(names, where);
  GAZE_CHECK(names.size() == dataset.class_names.size(), where, " has ", names.size(), " names but '", dataset.root,
             "' has ", dataset.class_names.size(), " classes (", joined(dataset.class_names),
             "); give one name per class, in that order");
  dataset.class_names = names;
}

ClassMap parse_class_map(const std::string& text) {
  ClassMap map;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string pair = text.substr(start, comma - start);
    const size_t equals = pair.find('=');
    GAZE_CHECK(equals != std::string::npos && equals > 0 && equals + 1 < pair.size(), "class map '", text,
               "': '", pair, "' is not FOLDER_NAME=CLASS_NAME; expected e.g. cats=cat,dogs=dog");
    const std::string from = pair.substr(0, equals);
    GAZE_CHECK(map.emplace(from, pair.substr(equals + 1)).second, "class map '", text, "' maps '", from, "' twice");
    start = comma + 1;
  }
  return map;
}

std::vector<int> match_classes(const Dataset& dataset, const std::vector<std::string>& known,
                               const ClassMatch& match) {
  // The known class called `name` (or whose alias it is), or -1.
  auto find_known = [&](const std::string& name) {
    for (const std::vector<std::string>* names : {&known, &match.aliases})
      for (size_t c = 0; c < names->size() && c < known.size(); ++c)
        if ((*names)[c] == name) return static_cast<int>(c);
    return -1;
  };
  const std::set<std::string> dataset_names(dataset.class_names.begin(), dataset.class_names.end());
  for (const auto& [from, to] : match.class_map) {
    GAZE_CHECK(dataset_names.count(from), match.fix_option, ": ", match.dataset_what, " has no class '", from,
               "' (its classes: ", joined(dataset.class_names), ")");
    GAZE_CHECK(find_known(to) >= 0, match.fix_option, ": '", to, "' is not a class of ", match.known_what,
               " (its classes: ", joined(known), ")");
  }
  std::vector<int> mapping;
  if (dataset.layout == Layout::idx && match.class_map.empty()) {
    // IDX labels are indices: label i is the model's class i, whatever the names.
    GAZE_CHECK(dataset.class_names.size() <= known.size(), match.dataset_what, " has IDX labels 0 to ",
               dataset.class_names.size() - 1, " but ", match.known_what, " has only ", known.size(), " classes");
    for (size_t c = 0; c < dataset.class_names.size(); ++c) mapping.push_back(static_cast<int>(c));
    return mapping;
  }
  std::vector<std::string> unmatched;
  for (const std::string& name : dataset.class_names) {
    const auto mapped = match.class_map.find(name);
    mapping.push_back(find_known(mapped == match.class_map.end() ? name : mapped->second));
    if (mapping.back() < 0) unmatched.push_back(name);
  }
  if (unmatched.empty()) return mapping;
  // Suggest the map that fixes the near misses (case, plural 's'), keeping
  // the entries already given.
  ClassMap fix = match.class_map;
  size_t fixed = 0;
  for (const std::string& name : unmatched) {
    for (const std::string& k : known) {
      if (near_same(name, k)) {
        fix[name] = k;
        ++fixed;
        break;
      }
    }
  }
  std::string message = match.dataset_what + " has class" + (unmatched.size() > 1 ? "es " : " ") + joined(unmatched) +
                        " that " + match.known_what + " does not know (its classes: " + joined(known) + ")";
  if (fixed > 0)
    message += match.fix_is_flag ? "; map the names with --class-map " + spell_map(fix, true)
                                 : "; map the names with " + match.fix_option + ": " + spell_map(fix, false);
  else
    message += match.fix_is_flag ? "; map folder names to its classes with --class-map FOLDER=CLASS,..."
                                 : "; map folder names to its classes with " + match.fix_option + ": {FOLDER: CLASS}";
  throw Error(message);
}

void relabel(Dataset& dataset, const std::vector<int>& mapping, const std::vector<std::string>& known) {
  for (Sample& sample : dataset.samples) sample.label = mapping.at(static_cast<size_t>(sample.label));
  dataset.class_names = known;
}

}  // namespace gaze::data

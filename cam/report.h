#pragma once
// index.html: a gallery (original | heatmap | overlay | probabilities; for a
// matrix the heatmap cell also holds its row and column profiles) that
// opens offline: one self-contained file with inline CSS and no scripts,
// whose pictures are the PNGs next to it, referenced by relative name.
#include <string>
#include <utility>
#include <vector>

namespace gaze::cam {

struct ReportEntry {
  std::string image;     // the input's file name, shown as the caption
  std::string original;  // relative PNG names inside the report folder
  struct Explained {
    std::string class_name, heatmap, overlay;
    std::string profiles_svg = {};  // matrices: row and column importance charts (inline SVG, trusted)
  };
  std::vector<Explained> maps;
  std::vector<std::pair<std::string, float>> probabilities;  // class, probability; highest first
};

// `summary` is preformatted text shown above the gallery (settings, metrics).
void write_report(const std::string& path, const std::string& title, const std::string& summary,
                  const std::vector<ReportEntry>& entries);

// &, <, >, " and ' escaped for HTML text and attributes.
std::string html_escape(const std::string& text);

}  // namespace gaze::cam

#pragma once
// index.html: a gallery (original | heatmap | overlay | probabilities; for a
// matrix the heatmap cell also holds its row and column profiles) that
// opens offline: one self-contained file with inline CSS and no scripts,
// whose pictures are the PNGs next to it, referenced by relative name.
#include <string>
#include <utility>
#include <vector>

namespace gaze::cam {

// A picture in the gallery: a PNG next to index.html and its size in pixels
// (0 x 0: unknown, shown as the browser likes). Pictures whose shorter side
// is under kReportMinSide are shown enlarged by a whole factor with
// nearest-neighbour sampling (CSS image-rendering: pixelated), so a 28x28
// image and the box drawn in its pixels stay sharp and in place.
struct ReportPicture {
  std::string file;
  int width = 0, height = 0;
};
constexpr int kReportMinSide = 160;

// The whole factor that brings the shorter side to at least kReportMinSide (1 if it is there already).
int report_scale(int width, int height);

struct ReportEntry {
  std::string image;     // the input's file name, shown as the caption
  ReportPicture original;
  std::string predicted;   // the top-1 class name
  std::string true_class;  // the input's class when its name or folder says so; empty when unknown
  struct Explained {
    std::string class_name;
    ReportPicture heatmap, overlay;
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

#include "cam/report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace gaze::cam {

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {
const char* kStyle = R"(body{font-family:sans-serif;margin:1.5em;background:#fafafa;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:6px;vertical-align:top;background:#fff}
img{max-width:256px;max-height:256px;display:block}img.up{max-width:none;max-height:none;image-rendering:pixelated}figure{margin:0 0 6px 0}figcaption{font-size:80%;color:#555;white-space:pre-line}
pre{background:#fff;border:1px solid #ccc;padding:8px}.bar{background:#4a7;height:10px}
.prob td{border:none;padding:1px 4px;font-size:85%})";

std::string image_cell(const ReportPicture& picture, const std::string& caption) {
  const std::string name = html_escape(picture.file);
  std::string size;
  const int scale = report_scale(picture.width, picture.height);
  if (scale > 1)
    size = " class=\"up\" width=\"" + std::to_string(picture.width * scale) + "\" height=\"" +
           std::to_string(picture.height * scale) + "\"";
  return "<figure><a href=\"" + name + "\"><img src=\"" + name + "\" alt=\"" + name + "\"" + size +
         "></a><figcaption>" + html_escape(caption) + "</figcaption></figure>";
}
}  // namespace

int report_scale(int width, int height) {
  const int side = std::min(width, height);
  if (side <= 0 || side >= kReportMinSide) return 1;
  // A very elongated picture is enlarged less: its longer side stays within 1024 pixels.
  return std::max(1, std::min((kReportMinSide + side - 1) / side, 1024 / std::max(width, height)));
}

void write_report(const std::string& path, const std::string& title, const std::string& summary,
                  const std::vector<ReportEntry>& entries) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                     "</title><style>" + kStyle + "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n";
  if (!summary.empty()) html += "<pre>" + html_escape(summary) + "</pre>\n";
  html += "<table><tr><th>original</th><th>heatmap</th><th>overlay</th><th>probabilities</th></tr>\n";
  for (const ReportEntry& entry : entries) {
    std::string heatmaps, overlays, bars;
    for (const ReportEntry::Explained& m : entry.maps) {
      heatmaps += image_cell(m.heatmap, m.class_name) + m.profiles_svg;
      overlays += image_cell(m.overlay, m.class_name);
    }
    for (const auto& [name, p] : entry.probabilities) {
      char percent[32];
      std::snprintf(percent, sizeof percent, "%.1f%%", 100.0 * p);
      char width[32];
      std::snprintf(width, sizeof width, "%.0f", 120.0 * p);
      bars += "<tr><td>" + html_escape(name) + "</td><td><div class=\"bar\" style=\"width:" + width +
              "px\"></div></td><td>" + percent + "</td></tr>";
    }
    std::string caption = entry.image;
    if (!entry.predicted.empty()) caption += "\npredicted: " + entry.predicted;
    if (!entry.true_class.empty())
      caption += "\ntrue: " + entry.true_class + (entry.true_class == entry.predicted ? " (right)" : " (wrong)");
    html += "<tr><td>" + image_cell(entry.original, caption) + "</td><td>" + heatmaps + "</td><td>" + overlays +
            "</td><td><table class=\"prob\">" + bars + "</table></td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  std::ofstream out(path, std::ios::binary);
  GAZE_CHECK(out, "could not open '", path, "' for writing");
  out << html;
  GAZE_CHECK(out.good(), "could not write '", path, "'");
}

}  // namespace gaze::cam

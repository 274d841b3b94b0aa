#include "train/report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "cam/report.h"
#include "core/safetensors.h"

namespace gaze::train {

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history) {
  std::ostringstream out;
  out << "epoch,lr,train_loss,train_acc,val_loss,val_acc,images_per_s,seconds,replaced_train_images,"
         "excluded_val_images\n";
  for (const EpochMetrics& m : history) {
    char line[320];
    std::snprintf(line, sizeof line, "%d,%.6g,%.6f,%.6f,%.6f,%.6f,%.2f,%.2f,%lld,%lld\n", m.epoch, m.lr,
                  m.train_loss, m.train_acc, m.val_loss, m.val_acc, m.images_per_s, m.seconds,
                  static_cast<long long>(m.replaced_train_images), static_cast<long long>(m.excluded_val_images));
    out << line;
  }
  write_file_atomically(path, out.str());
}

namespace {

struct Series {
  std::string name, color;
  std::vector<double> values;
};

// One line chart: epochs on x, the series on y, with axis labels.
std::string svg_chart(const std::string& title, const std::vector<Series>& series, int epochs) {
  const double width = 520, height = 300, left = 55, right = 15, top = 30, bottom = 40;
  double low = 1e300, high = -1e300;
  for (const Series& s : series)
    for (double v : s.values) low = std::min(low, v), high = std::max(high, v);
  if (low > high) low = 0, high = 1;
  if (high - low < 1e-9) high = low + 1;
  const double pad = 0.05 * (high - low);
  low -= pad, high += pad;
  auto x_of = [&](int epoch) {
    return left + (width - left - right) * (epochs > 1 ? (epoch - 1.0) / (epochs - 1.0) : 0.5);
  };
  auto y_of = [&](double v) { return top + (height - top - bottom) * (1 - (v - low) / (high - low)); };
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>\n<text x='" << width / 2 << "' y='18' text-anchor='middle' "
      << "font-size='14'>" << cam::html_escape(title) << "</text>\n";
  for (int i = 0; i <= 4; ++i) {
    const double v = low + (high - low) * i / 4.0, y = y_of(v);
    svg << "<line x1='" << left << "' x2='" << width - right << "' y1='" << y << "' y2='" << y
        << "' stroke='#ddd'/><text x='" << left - 5 << "' y='" << y + 4 << "' text-anchor='end'>";
    char label[32];
    std::snprintf(label, sizeof label, "%.3g", v);
    svg << label << "</text>\n";
  }
  const int tick = std::max(1, epochs / 10);
  for (int e = 1; e <= epochs; e += tick)
    svg << "<text x='" << x_of(e) << "' y='" << height - bottom + 15 << "' text-anchor='middle'>" << e << "</text>\n";
  svg << "<text x='" << (left + width - right) / 2 << "' y='" << height - 8 << "' text-anchor='middle'>epoch</text>\n";
  int legend = 0;
  for (const Series& s : series) {
    svg << "<polyline fill='none' stroke='" << s.color << "' stroke-width='2' points='";
    for (size_t i = 0; i < s.values.size(); ++i) svg << x_of(static_cast<int>(i) + 1) << ',' << y_of(s.values[i]) << ' ';
    svg << "'/>\n";
    for (size_t i = 0; i < s.values.size(); ++i)
      svg << "<circle r='2.5' fill='" << s.color << "' cx='" << x_of(static_cast<int>(i) + 1) << "' cy='"
          << y_of(s.values[i]) << "'/>\n";
    svg << "<text x='" << left + 10 + 110 * legend << "' y='" << top + 12 << "' fill='" << s.color << "'>"
        << cam::html_escape(s.name) << "</text>\n";
    ++legend;
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace

void write_report_html(const std::string& path, const std::string& title, const std::vector<EpochMetrics>& history,
                       const std::string& summary, const std::string& extra_html) {
  Series train_loss{"train loss", "#1f77b4", {}}, val_loss{"val loss", "#d62728", {}};
  Series train_acc{"train acc", "#1f77b4", {}}, val_acc{"val acc", "#d62728", {}};
  for (const EpochMetrics& m : history) {
    train_loss.values.push_back(m.train_loss);
    val_loss.values.push_back(m.val_loss);
    train_acc.values.push_back(m.train_acc);
    val_acc.values.push_back(m.val_acc);
  }
  const int epochs = static_cast<int>(history.size());
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>" << cam::html_escape(title)
       << "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>\n<h1>"
       << cam::html_escape(title) << "</h1>\n<p>" << cam::html_escape(summary) << "</p>\n"
       << svg_chart("loss", {train_loss, val_loss}, epochs) << svg_chart("accuracy", {train_acc, val_acc}, epochs)
       << "<table><tr><th>epoch</th><th>lr</th><th>train loss</th><th>train acc</th><th>val loss</th>"
          "<th>val acc</th><th>images/s</th><th>seconds</th></tr>\n";
  for (const EpochMetrics& m : history) {
    char row[400];
    std::snprintf(row, sizeof row,
                  "<tr><td>%d</td><td>%.4g</td><td>%.4f</td><td>%.2f%%</td><td>%.4f</td><td>%.2f%%</td>"
                  "<td>%.1f</td><td>%.1f</td></tr>\n",
                  m.epoch, m.lr, m.train_loss, 100 * m.train_acc, m.val_loss, 100 * m.val_acc, m.images_per_s,
                  m.seconds);
    html << row;
  }
  html << "</table>\n" << extra_html << "</body></html>\n";
  write_file_atomically(path, html.str());
}

}  // namespace gaze::train

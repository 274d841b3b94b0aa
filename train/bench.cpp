#include "train/bench.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <yaml-cpp/yaml.h>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/cpu/block_cache.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "layers/model_yaml.h"
#include "train/optimizer.h"
#include "train/parameter_arena.h"
#include "train/train_step.h"

namespace gaze::train {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Lowers VmHWM to the current RSS (Linux >= 4.0), so that the profiled step's
// extra buffers do not count as the training's peak.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

Model load_model(const BenchOptions& o) {
  std::error_code error;
  GAZE_CHECK(std::filesystem::is_regular_file(o.config, error), "config '", o.config,
             "' does not exist or is not a file");
  YAML::Node root;
  try {
    root = YAML::LoadFile(o.config);
  } catch (const YAML::Exception& e) {
    throw Error(o.config + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  GAZE_CHECK(root.IsMap(), o.config, ": expected a mapping with a 'model' section");
  check_yaml_document(root, o.config);
  const YAML::Node section = root["model"];
  GAZE_CHECK(section && section.IsMap() && section["layers"], o.config, ": expected a 'model' section with 'layers'");
  int64_t channels = 3;
  if (section["input"]) {
    const YAML::Node input = section["input"];
    const nlohmann::json first = input.IsSequence() && input.size() > 0 ? yaml_to_json(input[0], o.config) : nullptr;
    GAZE_CHECK(first.is_number_integer() && first.get<int64_t>() > 0, yaml_location(input, o.config),
               ": model.input must be a list [channels, height, width] of positive integers");
    channels = first.get<int64_t>();
  }
  return Model({channels, o.size, o.size}, layer_specs_from_yaml(section["layers"], o.config), 1);
}

// Multiply-adds of the weighted layers (conv, dense) x 2 for one image's forward pass.
double forward_flops_per_image(const Model& model) {
  double flops = 0;
  for (size_t i = 0; i < model.size(); ++i)
    flops += 2.0 * model.layer(i).forward_macs(model.output_shape(model.layer(i).name()));
  return flops;
}

// Times each layer's forward (Model::forward reports every layer, or fused
// batchnorm + ReLU pair, to it) and, through an identity op appended to each
// output, the moment backward's gradient reaches that output.
class LayerProfiler final : public ForwardObserver {
 public:
  explicit LayerProfiler(const Model& model) : model_(model) {}

  void before_layer(size_t, size_t) override { started_ = Clock::now(); }

  Tensor after_layer(size_t first, size_t last, Tensor output) override {
    const Layer& layer = model_.layer(first);
    if (first == last) {
      timings_.push_back({layer.name(), layer.type(), ms_since(started_), 0});
    } else {
      timings_.push_back({layer.name() + "+" + model_.layer(last).name(), "bn+relu", ms_since(started_), 0});
    }
    const size_t index = timings_.size() - 1;
    marks_.resize(timings_.size());
    return record("bench_marker", output.detach(), {output}, [this, index](const Tensor& g) {
      marks_[index] = Clock::now();
      return std::vector<Tensor>{g};
    });
  }

  // Layer i's backward runs from the gradient's arrival at its output to its
  // arrival at the previous layer's (the first layer's, to backward's end).
  // A layer after the logits (the softmax head) gets no gradient: 0 ms.
  std::vector<LayerTiming> finish(Clock::time_point backward_end) {
    for (size_t i = 0; i < timings_.size(); ++i) {
      const bool reached = marks_[i] != Clock::time_point{} && (i == 0 || marks_[i - 1] != Clock::time_point{});
      timings_[i].backward_ms =
          reached ? std::chrono::duration<double, std::milli>((i == 0 ? backward_end : marks_[i - 1]) - marks_[i]).count()
                  : 0;
    }
    return timings_;
  }

 private:
  const Model& model_;
  Clock::time_point started_;
  std::vector<LayerTiming> timings_;
  std::vector<Clock::time_point> marks_;
};

// Random images and alternating labels, different on every rank.
MicroBatch random_batch(const Model& model, const BenchOptions& o, int rank) {
  Rng rng(42 + static_cast<uint64_t>(rank));
  MicroBatch batch;
  batch.images = Tensor::randn({o.batch, model.input_shape()[0], o.size, o.size}, rng);
  std::vector<float> labels(static_cast<size_t>(o.batch));
  for (size_t i = 0; i < labels.size(); ++i) {
    batch.classes.push_back(static_cast<int>(i % 2));
    labels[i] = static_cast<float>(i % 2);
  }
  batch.labels = Tensor::from_vector({o.batch}, labels);
  return batch;
}

}  // namespace

double measure_sgemm_peak(int n) {
  std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a.size(), 0.25f), c(a.size());
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    const auto start = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    best = std::max(best, 2.0 * n * n * static_cast<double>(n) / (ms_since(start) * 1e6));
  }
  return best;
}

BenchResult run_bench(const BenchOptions& o, Communicator& comm) {
  GAZE_CHECK(o.size > 0 && o.batch > 0 && o.threads > 0 && o.steps > 0 && o.warmup >= 0,
             "gaze-bench: size, batch, threads and steps must be positive");
  omp_set_num_threads(o.threads);
  openblas_set_num_threads(o.threads);
  BenchResult r;
  r.options = o;
  r.ranks = comm.size();
  // First, so that its buffers are gone before the training's peak memory.
  r.sgemm_peak_gflop_per_s = measure_sgemm_peak();
  Model model = load_model(o);
  r.forward_gflop_per_image = forward_flops_per_image(model) / 1e9;
  model.keep_only_activations({model.logits_name()});  // as the trainer does
  // The trainer's step, with SGD + momentum, on this rank's random batch.
  ParameterArena arena(model);
  arena.broadcast_parameters(comm);
  OptimizerConfig sgd;
  sgd.lr = 0.01;
  Optimizer optimizer(sgd, model.named_parameters());
  StepSettings settings;
  settings.reducer.overlap = o.overlap;
  TrainStep step(model, arena, optimizer, comm, settings);
  const std::vector<MicroBatch> group{random_batch(model, o, comm.rank())};
  const float lr = static_cast<float>(sgd.lr);
  step.run(group, lr);  // first touch of every buffer, out of the profile
  LayerProfiler profiler(model);
  const StepResult profiled = step.run(group, lr, false, &profiler);
  r.layers = profiler.finish(profiled.backward_end);
  // The profiled step's marker ops hold extra buffers; give them back before measuring memory.
  cpu::host_block_cache().trim();
  reset_peak_rss();
  cpu::host_block_cache().reset_peak();
  for (int i = 0; i < o.warmup; ++i) step.run(group, lr);
  std::vector<double> times, waits;
  for (int i = 0; i < o.steps; ++i) {
    const auto start = Clock::now();
    const StepResult result = step.run(group, lr);
    times.push_back(ms_since(start));
    waits.push_back(1e3 * result.reduce_wait_seconds);
  }
  r.peak_rss_mib = peak_rss_mib();
  const cpu::BlockCache::Stats blocks = cpu::host_block_cache().stats();
  r.peak_tensor_mib = static_cast<double>(blocks.peak_live_bytes) / (1 << 20);
  r.arena_mib = static_cast<double>(blocks.extent_bytes) / (1 << 20);
  r.step_ms = median(times);
  r.reduce_wait_ms = median(waits);
  r.images_per_s = o.batch * comm.size() / (r.step_ms / 1e3);
  r.train_gflop_per_s = 3.0 * r.forward_gflop_per_image * o.batch * comm.size() / (r.step_ms / 1e3);
  return r;
}

BenchResult run_bench(const BenchOptions& o) {
  SingleProcess alone;
  return run_bench(o, alone);
}

void print_bench(const BenchResult& r, std::ostream& out) {
  const BenchOptions& o = r.options;
  out << std::fixed << std::setprecision(1);
  out << "gaze-bench " << o.config << " size=" << o.size << " batch=" << o.batch
      << " threads=" << o.threads << " steps=" << o.steps << "\n";
  out << "  step " << r.step_ms << " ms (median), " << r.images_per_s << " images/s";
  if (r.ranks > 1)
    out << " over " << r.ranks << " ranks (" << o.batch << " per rank), waiting " << r.reduce_wait_ms
        << " ms for the gradient all-reduce, overlap " << (o.overlap ? "on" : "off");
  out << "\n";
  out << "  " << r.train_gflop_per_s << " GFLOP/s training (3 x " << std::setprecision(3)
      << r.forward_gflop_per_image << " GFLOP forward per image), " << std::setprecision(1)
      << 100.0 * r.train_gflop_per_s / r.sgemm_peak_gflop_per_s << "% of sgemm peak "
      << r.sgemm_peak_gflop_per_s << " GFLOP/s\n";
  out << "  peak memory (VmHWM) " << r.peak_rss_mib << " MiB, of which live blocks at most "
      << r.peak_tensor_mib << " MiB, in an arena of " << r.arena_mib << " MiB\n";
  out << "  " << std::left << std::setw(14) << "layer" << std::setw(11) << "type" << std::right
      << std::setw(12) << "forward ms" << std::setw(13) << "backward ms" << "\n";
  double forward = 0, backward = 0;
  for (const LayerTiming& t : r.layers) {
    out << "  " << std::left << std::setw(14) << t.name << std::setw(11) << t.type << std::right
        << std::setw(12) << t.forward_ms << std::setw(13) << t.backward_ms << "\n";
    forward += t.forward_ms;
    backward += t.backward_ms;
  }
  out << "  " << std::left << std::setw(25) << "total" << std::right << std::setw(12) << forward
      << std::setw(13) << backward << "\n";
}

void print_bench_json(const BenchResult& r, std::ostream& out) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerTiming& t : r.layers)
    layers.push_back({{"name", t.name}, {"type", t.type}, {"forward_ms", t.forward_ms},
                      {"backward_ms", t.backward_ms}});
  const BenchOptions& o = r.options;
  out << nlohmann::json{{"config", o.config},
                        {"size", o.size},
                        {"batch", o.batch},
                        {"threads", o.threads},
                        {"steps", o.steps},
                        {"ranks", r.ranks},
                        {"overlap", o.overlap},
                        {"step_ms", r.step_ms},
                        {"reduce_wait_ms", r.reduce_wait_ms},
                        {"images_per_s", r.images_per_s},
                        {"forward_gflop_per_image", r.forward_gflop_per_image},
                        {"train_gflop_per_s", r.train_gflop_per_s},
                        {"sgemm_peak_gflop_per_s", r.sgemm_peak_gflop_per_s},
                        {"fraction_of_sgemm_peak", r.train_gflop_per_s / r.sgemm_peak_gflop_per_s},
                        {"peak_rss_mib", r.peak_rss_mib},
                        {"peak_tensor_mib", r.peak_tensor_mib},
                        {"arena_mib", r.arena_mib},
                        {"layers", layers}}
             .dump()
      << "\n";
}

}  // namespace gaze::train

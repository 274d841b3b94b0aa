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

// One training step: forward to the logits, cross-entropy, backward, SGD with
// momentum through the backend. With `timings`, also records each layer's
// forward time and, through identity marker ops on the tape, its backward time.
class Trainer {
 public:
  Trainer(Model& model, const BenchOptions& o) : model_(model) {
    Rng rng(42);
    images_ = Tensor::randn({o.batch, model.input_shape()[0], o.size, o.size}, rng);
    std::vector<float> labels(static_cast<size_t>(o.batch));
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<float>(i % 2);
    labels_ = Tensor::from_vector({o.batch}, labels);
    for (auto& [name, param] : model.named_parameters())
      velocity_.push_back(Tensor::zeros(param.shape(), param.device()));
    logits_ = model.logits_name();
    model.keep_only_activations({logits_});  // as the trainer does
  }

  void step(std::vector<LayerTiming>* timings) {
    model_.zero_grad();
    const ForwardContext context{true, 0};
    std::vector<Clock::time_point> marks;  // backward arrival at each layer's output
    Tensor last;
    if (timings) {
      last = profiled_forward(context, *timings, marks);
    } else {  // exactly what the trainer runs
      model_.forward(images_, context);
      last = model_.activation(logits_);
    }
    const Tensor loss = ops::cross_entropy(last, labels_);
    loss.backward();
    const auto end = Clock::now();
    if (timings)  // layer i runs backward between the marks of its output and its input
      for (size_t i = 0; i < timings->size(); ++i)
        (*timings)[i].backward_ms =
            std::chrono::duration<double, std::milli>((i == 0 ? end : marks[i - 1]) - marks[i]).count();
    Backend& backend = cpu_backend();
    size_t slot = 0;
    for (auto& [name, param] : model_.named_parameters()) {
      Tensor grad = param.grad();
      if (grad.defined()) backend.sgd_update(param, grad, velocity_[slot], 0.01f, 0.9f, 0.0f, false);
      ++slot;
    }
  }

 private:
  // Model::forward layer by layer, timing each layer and appending to each
  // output an identity op whose backward stamps the time the gradient arrives.
  Tensor profiled_forward(const ForwardContext& context, std::vector<LayerTiming>& timings,
                          std::vector<Clock::time_point>& marks) {
    std::map<std::string, Tensor> outputs{{"input", images_}};
    Tensor last;
    for (size_t i = 0; i < model_.size(); ++i) {
      Layer& layer = model_.layer(i);
      std::vector<Tensor> inputs;
      for (const std::string& name : model_.inputs_of(layer.name())) inputs.push_back(outputs.at(name));
      const auto start = Clock::now();
      std::string layer_output_name;  // the name the model stores this output under
      if (model_.fuses_with_relu(i, context)) {  // one row, as Model::forward runs them
        const Layer& relu = model_.layer(++i);
        last = layer.forward_relu(inputs, context);
        timings.push_back({layer.name() + "+" + relu.name(), "bn+relu", ms_since(start), 0});
        layer_output_name = relu.name();
      } else {
        last = layer.forward(inputs, context);
        timings.push_back({layer.name(), layer.type(), ms_since(start), 0});
        layer_output_name = layer.name();
      }
      const size_t index = timings.size() - 1;
      last = record("bench_marker", last.detach(), {last}, [&marks, index](const Tensor& g) {
        marks.resize(std::max(marks.size(), index + 1));
        marks[index] = Clock::now();
        return std::vector<Tensor>{g};
      });
      outputs[layer_output_name] = last;
      if (layer_output_name == logits_) break;
    }
    return last;
  }

  Model& model_;
  Tensor images_, labels_;
  std::vector<Tensor> velocity_;
  std::string logits_;
};

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

BenchResult run_bench(const BenchOptions& o) {
  GAZE_CHECK(o.size > 0 && o.batch > 0 && o.threads > 0 && o.steps > 0 && o.warmup >= 0,
             "gaze-bench: size, batch, threads and steps must be positive");
  omp_set_num_threads(o.threads);
  openblas_set_num_threads(o.threads);
  BenchResult r;
  r.options = o;
  // First, so that its buffers are gone before the training's peak memory.
  r.sgemm_peak_gflop_per_s = measure_sgemm_peak();
  Model model = load_model(o);
  r.forward_gflop_per_image = forward_flops_per_image(model) / 1e9;
  Trainer trainer(model, o);
  trainer.step(nullptr);  // first touch of every buffer, out of the profile
  // The profiled step runs outside Model::forward, so its activations come on
  // top of the model's retained ones; give them back before measuring memory.
  trainer.step(&r.layers);
  cpu::host_block_cache().trim();
  reset_peak_rss();
  cpu::host_block_cache().reset_peak();
  for (int i = 0; i < o.warmup; ++i) trainer.step(nullptr);
  std::vector<double> times;
  for (int i = 0; i < o.steps; ++i) {
    const auto start = Clock::now();
    trainer.step(nullptr);
    times.push_back(ms_since(start));
  }
  r.peak_rss_mib = peak_rss_mib();
  const cpu::BlockCache::Stats blocks = cpu::host_block_cache().stats();
  r.peak_tensor_mib = static_cast<double>(blocks.peak_live_bytes) / (1 << 20);
  r.arena_mib = static_cast<double>(blocks.extent_bytes) / (1 << 20);
  r.step_ms = median(times);
  r.images_per_s = o.batch / (r.step_ms / 1e3);
  r.train_gflop_per_s = 3.0 * r.forward_gflop_per_image * o.batch / (r.step_ms / 1e3);
  return r;
}

void print_bench(const BenchResult& r, std::ostream& out) {
  const BenchOptions& o = r.options;
  out << std::fixed << std::setprecision(1);
  out << "gaze-bench " << o.config << " size=" << o.size << " batch=" << o.batch
      << " threads=" << o.threads << " steps=" << o.steps << "\n";
  out << "  step " << r.step_ms << " ms (median), " << r.images_per_s << " images/s\n";
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
                        {"step_ms", r.step_ms},
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

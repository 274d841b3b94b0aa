#include "train/trainer.h"

#include <cblas.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cam/graph.h"
#include "core/core.h"
#include "cuda/runtime.h"
#include "data/data.h"
#include "layers/model_file.h"
#include "layers/model_yaml.h"
#include "train/cam_strip.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/evaluate.h"
#include "train/fine_tune.h"
#include "train/launcher.h"
#include "train/mix.h"
#include "train/optimizer.h"
#include "train/output_lock.h"
#include "train/parameter_arena.h"
#include "train/progress.h"
#include "train/run_summary.h"
#include "train/schedule.h"
#include "train/train_step.h"

namespace gaze::train {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop = true;
  // A second signal falls through to the default action: the user insists.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Everything about the data that the loop needs.
struct DataSetup {
  data::Dataset train_set, val_set;
  std::vector<size_t> train_indices, val_indices;
  bool separate_val = false;
};

DataSetup prepare_data(const TrainConfig& config, const data::DataConfig& d, bool verbose) {
  DataSetup s;
  s.train_set = data::scan_dataset(d);
  const std::vector<std::string> folder_names = s.train_set.class_names;
  data::rename_classes(s.train_set, d.class_names, config.file + ": data.class_names");
  if (!config.val_root.empty()) {
    data::DataConfig v = d;
    v.root = config.val_root;
    v.idx_split = config.val_idx_split;
    s.val_set = data::scan_dataset(v);
    // Validation classes take the training labels: by name (the training
    // folder's or data.class_names'), through data.val_class_map, or by index for IDX.
    const data::ClassMatch match{config.val_class_map, folder_names, "data.val_class_map", false,
                                 "data.val_root '" + config.val_root + "'", "data.root '" + d.root + "'"};
    data::relabel(s.val_set, data::match_classes(s.val_set, s.train_set.class_names, match), s.train_set.class_names);
    s.separate_val = true;
    for (size_t i = 0; i < s.train_set.samples.size(); ++i) s.train_indices.push_back(i);
    for (size_t i = 0; i < s.val_set.samples.size(); ++i) s.val_indices.push_back(i);
  } else {
    const data::Split split = data::split_train_val(data::labels_of(s.train_set), d.val_split, d.seed);
    s.train_indices = split.train;
    s.val_indices = split.val;
  }
  if (verbose) {
    std::printf("data: %zu training and %zu validation images, %zu classes (", s.train_indices.size(),
                s.val_indices.size(), s.train_set.class_names.size());
    for (size_t c = 0; c < s.train_set.class_names.size() && c < 10; ++c)
      std::printf("%s%s", c ? ", " : "", s.train_set.class_names[c].c_str());
    std::printf("%s)\n", s.train_set.class_names.size() > 10 ? ", ..." : "");
  }
  return s;
}

// The data config the model dictates: channels and size come from model.input.
data::DataConfig model_data_config(const TrainConfig& config, const Model& model) {
  data::DataConfig d = config.data;
  const Shape& input = model.input_shape();
  GAZE_CHECK(input.size() == 3, config.file, ": model.input must be [channels, height, width] for image data, got ",
             to_string(input));
  if (config.data.layout == data::Layout::npy)
    GAZE_CHECK(input[0] >= 1 && input[0] <= 3, config.file, ": model.input has ", input[0],
               " channels; matrix datasets have 1 to 3");
  else
    GAZE_CHECK(input[0] == 1 || input[0] == 3, config.file, ": model.input has ", input[0],
               " channels; images give 1 (grayscale) or 3 (RGB)");
  d.channels = static_cast<int>(input[0]);
  d.height = static_cast<int>(input[1]);
  d.width = static_cast<int>(input[2]);
  return d;
}

struct Totals {
  double loss_sum = 0, correct = 0, seen = 0, undecodable = 0;
};

Tensor images_of(const data::Batch& batch, Device device) {
  return Tensor::from_vector({batch.n, batch.channels, batch.height, batch.width}, batch.images, device);
}

Tensor labels_of(const data::Batch& batch, Device device) {
  return Tensor::from_vector({batch.n}, std::vector<float>(batch.labels.begin(), batch.labels.end()), device);
}

Totals validate(Model& model, data::Loader& loader, Device device, Communicator& comm, Tta tta) {
  NoGradGuard no_grad;
  Totals t;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    if (tta != Tta::none) {  // train.val_tta: loss and accuracy of the averaged probabilities (evaluate.h)
      const ProbabilityScore score = score_probabilities(
          predict_probabilities(model, batch->images, batch->n, batch->channels, batch->height, batch->width, device, tta),
          batch->labels);
      t.loss_sum += score.loss_sum;
      t.correct += score.correct;
      t.seen += batch->n;
      continue;
    }
    model.forward(images_of(*batch, device), false);
    const Tensor logits = model.activation(model.logits_name());
    const Tensor labels = labels_of(*batch, device);
    t.loss_sum += ops::cross_entropy(logits, labels).item() * batch->n;
    t.correct += count_correct(logits, batch->labels);
    t.seen += batch->n;
  }
  double sums[4] = {t.loss_sum, t.correct, t.seen, static_cast<double>(loader.undecodable_files().size())};
  comm.all_reduce_sum(sums, 4);
  GAZE_CHECK(sums[2] > 0, "no validation image could be decoded (", sums[3], " undecodable)");
  return {sums[0], sums[1], sums[2], sums[3]};
}

// BatchNorm statistics are per replica; ranks agree on their mean before evaluating.
void average_buffers(Model& model, Communicator& comm) {
  if (comm.size() == 1) return;
  for (auto& [name, buffer] : model.named_buffers()) comm.all_reduce_average(buffer);
}

// Rank 0's buffers start every replica; parameters go through the arena.
void broadcast_buffers(Model& model, Communicator& comm) {
  if (comm.size() == 1) return;
  for (auto& [name, buffer] : model.named_buffers()) comm.broadcast(buffer, 0);
}

// Ranks started with different configs (or a different world size than they
// believe) would train different models in lockstep without any error.
void check_same_config(const TrainConfig& config, Communicator& comm) {
  const std::string text = to_yaml(config) + "world_size: " + std::to_string(comm.size()) + "\n";
  comm.check_same("the resolved config (config.yaml after --set overrides)", fnv1a_64(text.data(), text.size()));
}

}  // namespace

void request_stop() { g_stop = true; }
bool stop_requested() { return g_stop; }
void clear_stop_request() { g_stop = false; }

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

TrainResult run_training(const TrainConfig& config, const TrainOptions& options, Communicator& comm) {
  const auto run_start = Clock::now();
  const bool root = comm.is_root();
  const bool verbose = options.verbose && root;
  const int threads = host_threads_per_worker(config.threads, omp_num_threads_from_environment(), omp_get_num_procs(),
                                              options.workers_on_machine);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  set_cuda_deterministic(config.cuda_deterministic);
  const Device device = Device::parse(options.device.empty() ? config.devices : options.device);
  check_same_config(config, comm);

  Model model = model_from_yaml(config.model, config.file, config.seed);
  model.keep_only_activations({model.logits_name()});  // the rest is freed as backward no longer needs it
  data::DataConfig data_config = model_data_config(config, model);
  data::validate(data_config);
  DataSetup data = prepare_data(config, data_config, verbose);
  // Before any loader copies the config: validation, evaluation and the checkpoint use the same numbers.
  const std::string normalization = data::resolve_auto_normalization(data.train_set, data.train_indices, data_config);
  if (verbose && !normalization.empty()) std::printf("data: %s\n", normalization.c_str());
  const auto classes = static_cast<int64_t>(data.train_set.class_names.size());
  if (config.replace_head) {
    model = with_new_head(model, classes, config.seed);
    model.keep_only_activations({model.logits_name()});
  }
  if (!config.init_from.empty() && options.resume.empty()) {  // a resumed run has its own weights
    const std::vector<std::string> fresh =
        config.replace_head ? std::vector<std::string>{model.logits_name()} : std::vector<std::string>{};
    const InitFromReport report = init_from_checkpoint(model, config.init_from, fresh);
    if (verbose) std::printf("%s\n", report.summary(config.init_from).c_str());
  }
  const Shape& logits_shape = model.output_shape(model.logits_name());
  GAZE_CHECK(logits_shape == Shape{classes}, config.file, ": the model's logits layer '", model.logits_name(),
             "' outputs ", to_string(logits_shape), " but the data has ", classes,
             " classes: set the last dense layer's units to ", classes, " (or model.replace_head: true)");
  GAZE_CHECK(!data.train_indices.empty(), "no training images left after the validation split");
  GAZE_CHECK(!data.val_indices.empty(), "no validation images: set data.val_split > 0 or data.val_root, since "
             "checkpoints are kept by validation accuracy");
  model.to(device);
  const std::vector<std::string> frozen = model.freeze(config.freeze);
  if (verbose && !frozen.empty())
    std::printf("frozen (train.freeze): %zu layer(s), %s%s\n", frozen.size(), frozen.front().c_str(),
                frozen.size() > 1 ? (" ... " + frozen.back()).c_str() : "");
  ParameterArena arena(model);
  GAZE_CHECK(arena.size() > 0, config.file, ": train.freeze leaves no layer to train");
  arena.broadcast_parameters(comm);
  broadcast_buffers(model, comm);
  // After the broadcast: every rank's average starts from the same weights.
  std::optional<WeightEma> ema;
  if (config.ema > 0) ema.emplace(model, config.ema);

  const int world = comm.size();
  const double base_lr = config.optimizer.lr * (config.lr_scaling == "linear" ? world : 1);
  Optimizer optimizer(config.optimizer, model.trainable_parameters());
  apply_lr_groups(optimizer, model, config.lr_groups);

  TrainResult result;
  result.out_dir = options.out_dir.empty() ? "runs/" + config.name : options.out_dir;
  const fs::path out(result.out_dir);
  std::optional<OutputLock> output_lock;
  if (root) {
    output_lock.emplace(result.out_dir);
    write_file_atomically((out / "config.yaml").string(), to_yaml(config));
    // The held-out images, one path per line (for cam-infer or evaluate on
    // exactly the validation set).
    const data::Dataset& val_set = data.separate_val ? data.val_set : data.train_set;
    std::string val_files;
    for (size_t i : data.val_indices) val_files += val_set.samples[i].path + "\n";
    write_file_atomically((out / "val_files.txt").string(), val_files);
  }

  ResumeState state;
  state.world_size = world;
  bool resumed = false;
  int epochs_before_resume = 0;
  double seconds_before_resume = 0;
  if (!options.resume.empty()) {
    LoadedModel loaded = load_model_file(options.resume);
    GAZE_CHECK(loaded.model.to_json() == model.to_json(), "'", options.resume,
               "' was trained with a different model architecture than ", config.file);
    TensorFile file;
    for (auto& [name, tensor] : loaded.model.named_state()) file.tensors.emplace_back(name, tensor);
    model.load_state(file, options.resume);
    optimizer.load_state(loaded.extra, options.resume);
    if (ema) ema->load_state(loaded.extra, options.resume);
    state = resume_state_from_json(loaded.info.value("resume", nlohmann::json()), options.resume);
    GAZE_CHECK(state.world_size == world, "'", options.resume, "' was written by a run with ", state.world_size,
               " data-parallel ranks; resume it with the same number (this run has ", world, ")");
    if (verbose)
      std::printf("resuming from %s at epoch %d, batch %zu\n", options.resume.c_str(), state.epoch + 1, state.batch);
  }

  const int batch = config.batch_per_device;
  data::Loader train_loader(data.train_set, data.train_indices, data_config, true, batch, comm.rank(), world);
  data::DataConfig val_config = data_config;
  val_config.drop_last = false;
  // Validation shares the training cache (same folder, whole window) unless
  // it crops the centre (data.val_crop < 1): then it opens its own.
  const bool share_cache = !data.separate_val && data_config.val_crop == 1.0f;
  data::Loader val_loader(data.separate_val ? data.val_set : data.train_set, data.val_indices, val_config, false,
                          batch, comm.rank(), world, share_cache ? train_loader.cache() : nullptr);
  // The CAM strip of report.html: rank 0 only, on a few fixed validation images.
  std::optional<CamStrip> cam_strip;
  if (root && config.report_cams > 0) {
    if (cam::find_cam_graph_if_any(model))
      cam_strip.emplace(data.separate_val ? data.val_set : data.train_set, data.val_indices, data_config,
                        config.report_cams, device, result.out_dir, val_loader.cache());
    else if (verbose)
      std::printf("report: no CAM strip (train.report_cams): the model does not end in conv -> gap -> dense\n");
  }
  const size_t batches = train_loader.batches_per_epoch();
  GAZE_CHECK(batches > 0, "the training set (", data.train_indices.size(), " images) is smaller than one global batch of ",
             batch * world, "; lower train.batch_per_device or set data.drop_last: false");
  if (!options.resume.empty()) {
    check_resume_position(state, config.epochs, batches, options.resume);
    resumed = true;
    epochs_before_resume = state.epoch;
    seconds_before_resume = state.seconds;  // the interrupted epoch's part
    for (const EpochMetrics& m : state.history) seconds_before_resume += m.seconds;
  }
  if (verbose)
    std::printf("model: %zu layers, %lld parameters; batch %d per device x %d rank(s) = %d global; %zu steps per "
                "epoch on %s\n",
                model.size(), static_cast<long long>(model.parameter_count()), batch, world, batch * world, batches,
                device.str().c_str());

  auto info_for = [&](int epoch, double val_acc) {
    return checkpoint_info(data.train_set.class_names, data_config, epoch, val_acc);
  };
  auto save_last = [&](const ResumeState& s) {
    if (!root) return;
    nlohmann::json info = info_for(s.epoch, s.history.empty() ? 0 : s.history.back().val_acc);
    info["resume"] = to_json(s);
    NamedTensors extra = optimizer.state();
    if (ema)
      for (auto& named : ema->state()) extra.push_back(std::move(named));
    save_model_file((out / "last.safetensors").string(), model, info, extra);
  };

  StepSettings step_settings;
  step_settings.label_smoothing = static_cast<float>(config.label_smoothing);
  step_settings.clip_norm = static_cast<float>(config.clip_norm);
  step_settings.reducer.overlap = config.overlap;
  step_settings.reducer.bucket_floats = std::max<int64_t>(1, static_cast<int64_t>(config.bucket_mib * (1 << 20) / 4));
  TrainStep train_step(model, arena, optimizer, comm, step_settings);
  MixConfig mix;
  mix.mixup_alpha = config.mixup;
  mix.cutmix_alpha = config.cutmix;
  mix.prob = config.mix_prob;

  int64_t steps_this_run = 0;
  double epoch_seconds_this_run = 0;  // wall time of whole epochs (training, validation, files): the run's ETA
  int epochs_this_run = 0;
  for (int epoch = state.epoch; epoch < config.epochs && !result.stopped_early; ++epoch) {
    const auto epoch_start = Clock::now();
    train_loader.start_epoch(epoch);
    Totals totals{state.loss_sum, state.correct, state.seen};
    const double resumed_seconds = state.seconds;
    size_t done = state.batch;
    for (size_t skip = 0; skip < done; ++skip) train_loader.next();  // replay the loader to the saved position
    Progress progress(verbose, "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs), batches);
    progress.set_run(config.epochs - epoch - 1, epochs_this_run > 0 ? epoch_seconds_this_run / epochs_this_run : 0);
    double lr = base_lr;
    std::vector<MicroBatch> group;
    for (;;) {
      // One optimizer step: train.accumulate micro-batches (fewer at the end of an epoch).
      group.clear();
      const size_t group_start = done;
      while (group.size() < static_cast<size_t>(config.accumulate)) {
        auto b = train_loader.next();
        if (!b) break;
        const uint64_t step = static_cast<uint64_t>(epoch) * batches + group_start + group.size();
        const uint64_t seed = splitmix64(config.seed ^ (step + 1));
        // Mixing draws from its own stream of the step's seed (dropout uses the seed itself).
        const MixResult mixed = mix_batch(*b, mix, splitmix64(seed ^ 0x6d6978ull));
        MicroBatch micro;
        micro.images = images_of(*b, device);
        micro.labels = labels_of(*b, device);
        micro.classes = b->labels;
        micro.seed = seed;
        if (mixed.kind != MixKind::none) {
          micro.classes_b = mixed.partner_labels;
          micro.labels_b = Tensor::from_vector(
              {b->n}, std::vector<float>(mixed.partner_labels.begin(), mixed.partner_labels.end()), device);
          micro.lambda = mixed.lambda;
        }
        group.push_back(std::move(micro));
      }
      if (group.empty()) break;
      lr = learning_rate(config.schedule, base_lr, epoch + static_cast<double>(group_start) / batches, config.epochs);
      ++steps_this_run;
      if (options.max_steps > 0 && steps_this_run >= options.max_steps) request_stop();
      const StepResult step = train_step.run(group, static_cast<float>(lr), stop_requested());
      GAZE_CHECK(step.finite, "the training loss became ", step.mean_loss, " at epoch ", epoch + 1, ", step ",
                 group_start + 1, " (on at least one rank): training stopped before the update; best.safetensors is "
                 "untouched. Try a lower train.lr, a warmup or train.clip_norm.");
      if (ema) ema->update();
      totals.loss_sum += step.loss_sum;
      totals.correct += step.correct;
      totals.seen += static_cast<double>(step.images);
      done += group.size();
      progress.update(done, totals.loss_sum / totals.seen, totals.correct / totals.seen,
                      static_cast<size_t>(totals.seen - state.seen) * static_cast<size_t>(world));
      if (step.stop && done < batches) {
        progress.finish();
        ResumeState partial = state;
        partial.epoch = epoch;
        partial.batch = done;
        partial.loss_sum = totals.loss_sum, partial.correct = totals.correct, partial.seen = totals.seen;
        partial.seconds = resumed_seconds + seconds_since(epoch_start);
        save_last(partial);
        if (root)
          std::printf("stopped at epoch %d, batch %zu/%zu; resume with --resume %s\n", epoch + 1, done, batches,
                      (out / "last.safetensors").c_str());
        result.interrupted = true;
        result.history = state.history;
        result.best_val_acc = state.best_val_acc;
        result.best_epoch = state.best_epoch;
        return result;
      }
      if (step.stop) request_stop();  // another rank asked: stop after this epoch's bookkeeping, as it does
    }
    progress.finish();
    if (config.check_replicas)
      comm.check_same("the parameters after epoch " + std::to_string(epoch + 1) + " (train.check_replicas)",
                      arena.parameter_checksum());
    average_buffers(model, comm);
    // With train.ema, validation and the inference checkpoints (best, epochN)
    // use the averaged weights; the live ones come back before last.safetensors.
    if (ema) {
      ema->average_buffers(comm);
      ema->swap();
    }
    const Totals val = validate(model, val_loader, device, comm, parse_tta(config.val_tta));
    double train_sums[4] = {totals.loss_sum, totals.correct, totals.seen,
                            static_cast<double>(train_loader.undecodable_files().size())};
    comm.all_reduce_sum(train_sums, 4);

    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = lr;
    m.train_loss = train_sums[0] / train_sums[2];
    m.train_acc = train_sums[1] / train_sums[2];
    m.val_loss = val.loss_sum / val.seen;
    m.val_acc = val.correct / val.seen;
    m.seconds = resumed_seconds + seconds_since(epoch_start);
    m.images_per_s = train_sums[2] / std::max(1e-9, m.seconds);
    m.replaced_train_images = static_cast<int64_t>(train_sums[3]);
    m.excluded_val_images = static_cast<int64_t>(val.undecodable);
    state.history.push_back(m);

    const bool improved = m.val_acc > state.best_val_acc;
    if (improved) {
      state.best_val_acc = m.val_acc;
      state.best_epoch = m.epoch;
      state.bad_epochs = 0;
      if (root) save_model_file((out / "best.safetensors").string(), model, info_for(m.epoch, m.val_acc));
    } else {
      ++state.bad_epochs;
    }
    if (root && !config.save_best_only)
      save_model_file((out / ("epoch" + std::to_string(m.epoch) + ".safetensors")).string(), model,
                      info_for(m.epoch, m.val_acc));
    if (cam_strip && cam_strip->wanted(m.epoch, improved, config.epochs)) {
      const double seconds = cam_strip->capture(model, m.epoch, state.best_epoch, config.epochs);
      if (verbose && epochs_this_run == 0)
        std::printf("report: CAM strip of %d validation image(s) in %.3f s (train.report_cams)\n",
                    cam_strip->images(), seconds);
    }
    if (ema) ema->swap();
    state.epoch = epoch + 1;
    state.batch = 0;
    state.loss_sum = state.correct = state.seen = state.seconds = 0;
    if (config.patience > 0 && state.bad_epochs >= config.patience) result.stopped_early = true;
    save_last(state);
    if (root) {
      write_metrics_csv((out / "metrics.csv").string(), state.history);
      char summary[200];
      std::snprintf(summary, sizeof summary, "best val_acc %.2f%% at epoch %d%s", 100 * state.best_val_acc,
                    state.best_epoch, ema ? " (EMA weights, train.ema)" : "");
      write_report_html((out / "report.html").string(), config.name, state.history, summary,
                        cam_strip ? cam_strip->html(m.epoch, state.best_epoch, config.epochs,
                                                    data.train_set.class_names)
                                  : "");
    }
    epoch_seconds_this_run += seconds_since(epoch_start);
    ++epochs_this_run;
    if (verbose) {
      const double eta = result.stopped_early ? 0
                                              : run_eta_seconds(m.epoch, config.epochs, epoch_seconds_this_run,
                                                                epochs_this_run);
      std::printf("epoch %d/%d  lr %.4g  loss %.4f  acc %.2f%%  val_loss %.4f  val_acc %.2f%%%s  %.0f img/s  %s  "
                  "run ETA %s\n",
                  m.epoch, config.epochs, m.lr, m.train_loss, 100 * m.train_acc, m.val_loss, 100 * m.val_acc,
                  improved ? " (best, saved)" : "", m.images_per_s, format_duration(m.seconds).c_str(),
                  format_duration(eta).c_str());
      const std::string overfitting = overfit_warning(state.history, config.overfit_warning);
      if (!overfitting.empty()) std::printf("%s\n", overfitting.c_str());
      if (m.replaced_train_images > 0 || m.excluded_val_images > 0)
        std::printf("data: %lld undecodable training image(s) replaced by others, %lld undecodable validation "
                    "image(s) left out (named in the warnings above; counts in metrics.csv)\n",
                    static_cast<long long>(m.replaced_train_images), static_cast<long long>(m.excluded_val_images));
      if (result.stopped_early)
        std::printf("early stop: no improvement for %d epochs\n", config.patience);
      std::fflush(stdout);
    }
    if (stop_requested()) {
      if (root) std::printf("stopped after epoch %d; resume with --resume %s\n", m.epoch, (out / "last.safetensors").c_str());
      result.interrupted = true;
      break;
    }
  }
  result.history = state.history;
  result.best_val_acc = state.best_val_acc;
  result.best_epoch = state.best_epoch;
  if (verbose && !result.interrupted) {
    RunSummary summary;
    summary.history = state.history;
    summary.best_epoch = state.best_epoch;
    summary.best_val_acc = state.best_val_acc;
    summary.wall_seconds = seconds_since(run_start);
    summary.resumed = resumed;
    summary.epochs_before_resume = epochs_before_resume;
    summary.seconds_before_resume = seconds_before_resume;
    summary.out_dir = result.out_dir;
    summary.data_root = config.data.root;
    summary.val_root = config.val_root;
    const data::Dataset& val_set = data.separate_val ? data.val_set : data.train_set;
    for (size_t k = 0; k < data.val_indices.size() && k < 4; ++k)
      summary.val_files.push_back(val_set.samples[data.val_indices[k]].path);
    summary.ema = ema.has_value();
    summary.stopped_early = result.stopped_early;
    std::printf("\n%s", run_summary_text(summary).c_str());
    std::fflush(stdout);
  }
  return result;
}

}  // namespace gaze::train

#include "train/config.h"

#include <filesystem>

#include "core/error.h"
#include "data/class_names.h"
#include "layers/model_yaml.h"
#include "train/config_reader.h"

namespace gaze::train {

namespace {

// Error-code forms throughout: a path from a config may be too long for the
// file system or unreadable, which the throwing forms report as exceptions.
void require_folder(ConfigReader& section, const std::string& key, const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    section.fail(key, "folder '" + path + "' does not exist" + (error ? " (" + error.message() + ")" : ""));
}

// `mean: auto` / `std: auto`: computed from the training split (matrices only).
bool is_auto(ConfigReader& data, const std::string& key, bool matrices) {
  if (!data.has(key)) return false;
  const YAML::Node node = data.raw(key);
  if (!node.IsScalar() || node.Scalar() != "auto") return false;
  if (!matrices) data.fail(key, "auto is supported for matrix datasets (data.layout: npy); give per-channel numbers");
  return true;
}

void read_data(ConfigReader data, TrainConfig& config) {
  data::DataConfig& d = config.data;
  d.root = data.required_text("root");
  require_folder(data, "root", d.root);
  try {
    d.layout = data::parse_layout(data.text("layout", "auto"));
    d.resize = data::parse_resize_policy(data.text("resize", "stretch"));
  } catch (const Error& e) {
    data.fail(data.has("layout") ? "layout" : "resize", e.what());
  }
  d.idx_split = data.text("idx_split", "train");
  config.val_root = data.text("val_root", "");
  config.val_idx_split = data.text("val_idx_split", "test");
  if (!config.val_root.empty()) require_folder(data, "val_root", config.val_root);
  d.class_names = data.texts("class_names");
  data::check_class_names(d.class_names, data.where("class_names"));
  if (data.has("val_class_map")) {
    const YAML::Node map = data.raw("val_class_map");
    if (!map.IsMap()) data.fail("val_class_map", "expected a mapping {folder name: class name}, e.g. {cats: cat}");
    for (const auto& entry : map) {
      if (!entry.first.IsScalar() || !entry.second.IsScalar() || entry.first.Scalar().empty() ||
          entry.second.Scalar().empty())
        data.fail("val_class_map", "every entry must map a folder name to a class name, e.g. {cats: cat}");
      config.val_class_map[entry.first.Scalar()] = entry.second.Scalar();
    }
    if (!config.val_class_map.empty() && config.val_root.empty())
      data.fail("val_class_map", "renames the classes of data.val_root, which is not set");
  }
  const bool matrices = d.layout == data::Layout::npy;
  d.mean_auto = is_auto(data, "mean", matrices);
  d.stddev_auto = is_auto(data, "std", matrices);
  const std::vector<double> mean = d.mean_auto ? std::vector<double>{0} : data.numbers("mean", {0.5, 0.5, 0.5});
  const std::vector<double> stddev = d.stddev_auto ? std::vector<double>{1} : data.numbers("std", {0.5, 0.5, 0.5});
  for (size_t c = 0; c < 3; ++c) {
    d.mean[c] = static_cast<float>(mean.empty() ? 0.5 : mean[std::min(c, mean.size() - 1)]);
    d.stddev[c] = static_cast<float>(stddev.empty() ? 0.5 : stddev[std::min(c, stddev.size() - 1)]);
    if (d.stddev[c] <= 0) data.fail("std", "every entry must be positive");
  }
  d.val_crop = static_cast<float>(data.number("val_crop", 1.0));
  if (!(d.val_crop > 0 && d.val_crop <= 1)) data.fail("val_crop", "must be a fraction in (0, 1]");
  if (matrices && d.val_crop != 1) data.fail("val_crop", "matrices (layout npy) are never cropped; remove it or use 1");
  d.val_split = static_cast<float>(data.number("val_split", 0.2));
  if (d.val_split < 0 || d.val_split >= 1) data.fail("val_split", "must be in [0, 1)");
  d.cache_dir = data.text("cache_dir", ".cache/gaze");
  d.num_workers = data.integer("workers", 2);
  if (d.num_workers < 1 || d.num_workers > 256) data.fail("workers", "must be in [1, 256]");
  d.prefetch = data.integer("prefetch", 4);
  if (d.prefetch < 1 || d.prefetch > 1024) data.fail("prefetch", "must be in [1, 1024]");
  d.drop_last = data.boolean("drop_last", true);
  const double max_pixels = data.number("max_pixels", 64e6);
  if (max_pixels < 1 || max_pixels > 1e12) data.fail("max_pixels", "must be in [1, 1e12]");
  d.max_pixels = static_cast<int64_t>(max_pixels);
  ConfigReader augment = data.section("augment");
  d.augment.hflip = augment.boolean("hflip", false);
  const auto scale = augment.numbers("crop_scale", {1.0, 1.0});
  const auto aspect = augment.numbers("crop_aspect", {1.0, 1.0});
  if (scale.size() != 2 || scale[0] <= 0 || scale[0] > scale[1] || scale[1] > 1)
    augment.fail("crop_scale", "expected [min, max] with 0 < min <= max <= 1");
  if (aspect.size() != 2 || aspect[0] <= 0 || aspect[0] > aspect[1])
    augment.fail("crop_aspect", "expected [min, max] with 0 < min <= max");
  d.augment.crop_scale_min = static_cast<float>(scale[0]);
  d.augment.crop_scale_max = static_cast<float>(scale[1]);
  d.augment.crop_aspect_min = static_cast<float>(aspect[0]);
  d.augment.crop_aspect_max = static_cast<float>(aspect[1]);
  d.augment.brightness = static_cast<float>(augment.number("brightness", 0));
  d.augment.contrast = static_cast<float>(augment.number("contrast", 0));
  d.augment.erasing = static_cast<float>(augment.number("erasing", 0));
  if (d.augment.erasing < 0 || d.augment.erasing > 1) augment.fail("erasing", "is a probability per image, in [0, 1]");
  const auto erasing_scale = augment.numbers("erasing_scale", {0.02, 0.33});
  const auto erasing_ratio = augment.numbers("erasing_ratio", {0.3, 3.3});
  if (erasing_scale.size() != 2 || erasing_scale[0] <= 0 || erasing_scale[0] > erasing_scale[1] || erasing_scale[1] >= 1)
    augment.fail("erasing_scale", "expected [min, max] area fractions with 0 < min <= max < 1");
  if (erasing_ratio.size() != 2 || erasing_ratio[0] <= 0 || erasing_ratio[0] > erasing_ratio[1])
    augment.fail("erasing_ratio", "expected [min, max] height/width ratios with 0 < min <= max");
  d.augment.erasing_scale_min = static_cast<float>(erasing_scale[0]);
  d.augment.erasing_scale_max = static_cast<float>(erasing_scale[1]);
  d.augment.erasing_ratio_min = static_cast<float>(erasing_ratio[0]);
  d.augment.erasing_ratio_max = static_cast<float>(erasing_ratio[1]);
  const std::string erasing_value = augment.text("erasing_value", "zero");
  if (erasing_value != "zero" && erasing_value != "random")
    augment.fail("erasing_value", "expected zero (the mean, after normalization) or random (standard normal values)");
  d.augment.erasing_random = erasing_value == "random";
  d.augment.noise_std = static_cast<float>(augment.number("noise_std", 0));
  if (d.augment.noise_std < 0) augment.fail("noise_std", "must be >= 0");
  if (!matrices && d.augment.noise_std > 0)
    augment.fail("noise_std", "is for matrix datasets (data.layout: npy); images use brightness and contrast");
  // A flipped, cropped or brightened matrix is usually a different matrix:
  // asking for it on matrices is refused rather than silently ignored.
  if (matrices) {
    const char* image_only[] = {"hflip", "crop_scale", "crop_aspect", "brightness", "contrast", "erasing"};
    const bool requested[] = {d.augment.hflip, scale[0] != 1 || scale[1] != 1, aspect[0] != 1 || aspect[1] != 1,
                              d.augment.brightness != 0, d.augment.contrast != 0, d.augment.erasing != 0};
    for (size_t i = 0; i < 6; ++i)
      if (requested[i])
        augment.fail(image_only[i], "is image augmentation, which matrices (data.layout: npy) do not get: flipping, "
                                    "cropping or brightening a matrix changes what its rows and columns mean; "
                                    "use data.augment.noise_std for additive Gaussian noise");
  }
  augment.finish();
  data.finish();
}

void read_train(ConfigReader train, TrainConfig& config) {
  config.epochs = train.integer("epochs", 10);
  if (config.epochs <= 0) train.fail("epochs", "must be positive");
  config.batch_per_device = train.integer("batch_per_device", 64);
  if (config.batch_per_device <= 0) train.fail("batch_per_device", "must be positive");
  OptimizerConfig& o = config.optimizer;
  o.type = train.text("optimizer", "sgd");
  if (o.type != "sgd" && o.type != "adam" && o.type != "adamw")
    train.fail("optimizer", "expected sgd, adam or adamw, got '" + o.type + "'");
  o.lr = train.number("lr", o.type == "sgd" ? 0.1 : 1e-3);
  if (o.lr <= 0) train.fail("lr", "must be positive");
  o.momentum = train.number("momentum", 0.9);
  if (o.momentum < 0 || o.momentum >= 1) train.fail("momentum", "must be in [0, 1)");
  o.nesterov = train.boolean("nesterov", false);
  o.weight_decay = train.number("weight_decay", o.type == "adamw" ? 0.01 : 0.0);
  if (o.weight_decay < 0) train.fail("weight_decay", "must be >= 0 (a negative decay pushes weights to grow)");
  const auto betas = train.numbers("betas", {0.9, 0.999});
  if (betas.size() != 2 || betas[0] < 0 || betas[0] >= 1 || betas[1] < 0 || betas[1] >= 1)
    train.fail("betas", "expected [beta1, beta2], each in [0, 1)");
  o.beta1 = betas[0];
  o.beta2 = betas[1];
  o.eps = train.number("eps", 1e-8);
  if (o.eps <= 0) train.fail("eps", "must be positive");
  ScheduleConfig& s = config.schedule;
  s.type = train.text("schedule", "cosine");
  if (s.type != "constant" && s.type != "step" && s.type != "cosine" && s.type != "onecycle")
    train.fail("schedule", "expected constant, step, cosine or onecycle, got '" + s.type + "'");
  s.warmup_epochs = train.number("warmup_epochs", 0);
  if (s.warmup_epochs < 0) train.fail("warmup_epochs", "must be >= 0");
  s.step_size = train.integer("step_size", 10);
  if (s.step_size <= 0) train.fail("step_size", "must be positive");
  s.gamma = train.number("gamma", 0.1);
  if (s.gamma <= 0) train.fail("gamma", "must be positive");
  s.min_lr = train.number("min_lr", 0.0);
  if (s.min_lr < 0) train.fail("min_lr", "must be >= 0");
  s.pct_start = train.number("pct_start", 0.3);
  if (!(s.pct_start > 0 && s.pct_start < 1)) train.fail("pct_start", "must be in (0, 1)");
  s.div_factor = train.number("div_factor", 25);
  if (!(s.div_factor >= 1)) train.fail("div_factor", "must be >= 1");
  s.final_div_factor = train.number("final_div_factor", 1e4);
  if (!(s.final_div_factor >= 1)) train.fail("final_div_factor", "must be >= 1");
  if (s.type == "onecycle" && s.warmup_epochs > 0)
    train.fail("warmup_epochs", "the onecycle schedule warms up by itself (pct_start); leave warmup_epochs at 0");
  config.lr_scaling = train.text("lr_scaling", "none");
  if (config.lr_scaling != "none" && config.lr_scaling != "linear")
    train.fail("lr_scaling", "expected none or linear");
  config.label_smoothing = train.number("label_smoothing", 0.0);
  if (config.label_smoothing < 0 || config.label_smoothing >= 1) train.fail("label_smoothing", "must be in [0, 1)");
  config.val_tta = train.text("val_tta", "none");
  if (config.val_tta != "none" && config.val_tta != "flip")
    train.fail("val_tta", "expected none or flip (validation on the averaged probabilities of each image and its mirror)");
  config.patience = train.integer("patience", 0);
  if (config.patience < 0) train.fail("patience", "must be >= 0 (0: no early stopping)");
  const int seed = train.integer("seed", 42);
  config.seed = static_cast<uint64_t>(seed);
  config.data.seed = config.seed;
  config.threads = train.integer("threads", 0);
  if (config.threads < 0) train.fail("threads", "must be 0 (the machine's cores shared among its workers) or positive");
  config.devices = train.text("devices", "cpu");
  config.freeze = train.texts("freeze");
  for (ConfigReader& group : train.sections("lr_groups")) {
    TrainConfig::LrGroup g;
    g.layers = group.texts("layers");
    if (g.layers.empty()) group.fail("layers", "is required: the layer names (or \"prefix*\") of this group");
    g.lr_scale = group.number("lr_scale", 1.0);
    if (g.lr_scale < 0) group.fail("lr_scale", "must be >= 0");
    group.finish();
    config.lr_groups.push_back(g);
  }
  config.accumulate = train.integer("accumulate", 1);
  if (config.accumulate < 1 || config.accumulate > 4096)
    train.fail("accumulate", "must be a whole number of micro-batches per optimizer step, 1 to 4096");
  config.clip_norm = train.number("clip_norm", 0.0);
  if (config.clip_norm < 0) train.fail("clip_norm", "must be >= 0 (0: no gradient clipping)");
  config.overlap = train.boolean("overlap", true);
  config.bucket_mib = train.number("bucket_mib", 4.0);
  if (config.bucket_mib < 0.001 || config.bucket_mib > 4096) train.fail("bucket_mib", "must be in [0.001, 4096] MiB");
  config.check_replicas = train.boolean("check_replicas", false);
  config.collective_timeout_s = train.number("collective_timeout_s", 300);
  if (config.collective_timeout_s <= 0 || config.collective_timeout_s > 1e6) train.fail("collective_timeout_s", "must be positive (seconds)");
  config.ema = train.number("ema", 0.0);
  if (config.ema < 0 || config.ema >= 1) train.fail("ema", "must be in [0, 1): the EMA decay, e.g. 0.999 (0: off)");
  config.mixup = train.number("mixup", 0.0);
  if (config.mixup < 0 || config.mixup > 100) train.fail("mixup", "must be in [0, 100]: the Beta(alpha, alpha) parameter (0: off)");
  config.cutmix = train.number("cutmix", 0.0);
  if (config.cutmix < 0 || config.cutmix > 100) train.fail("cutmix", "must be in [0, 100]: the Beta(alpha, alpha) parameter (0: off)");
  if (config.cutmix > 0 && config.data.layout == data::Layout::npy)
    train.fail("cutmix", "pastes a box of one image into another, which moves rows and columns of a matrix "
                         "(data.layout: npy) where they do not belong; use train.mixup");
  config.mix_prob = train.number("mix_prob", 1.0);
  if (config.mix_prob < 0 || config.mix_prob > 1) train.fail("mix_prob", "must be in [0, 1]");
  config.overfit_warning = train.integer("overfit_warning", 3);
  if (config.overfit_warning < 0) train.fail("overfit_warning", "must be >= 0 (epochs; 0: off)");
  config.report_cams = train.integer("report_cams", 8);
  if (config.report_cams < 0 || config.report_cams > 64) train.fail("report_cams", "must be in [0, 64] (images; 0: off)");
  train.finish();
}

TrainConfig read_config(const YAML::Node& root, const std::string& path, std::shared_ptr<OverrideSources> sources);

}  // namespace

TrainConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code error;
  GAZE_CHECK(std::filesystem::is_regular_file(path, error), "config file '", path, "' does not exist or is not a file",
             error ? " (" + error.message() + ")" : "");
  constexpr uintmax_t kMaxConfigBytes = 16u << 20;
  const uintmax_t size = std::filesystem::file_size(path, error);
  GAZE_CHECK(!error && size <= kMaxConfigBytes, "config file '", path, "' has ", size,
             " bytes; a config is at most ", kMaxConfigBytes);
  try {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::ParserException& e) {
      throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
    }
    GAZE_CHECK(root.IsMap(), path, ": a config must be a mapping with data, model, train and checkpoint sections");
    check_yaml_document(root, path);  // before anything walks it: aliases may expand exponentially
    auto sources = std::make_shared<OverrideSources>();
    for (const std::string& assignment : overrides) apply_override(root, assignment, *sources);
    check_yaml_document(root, path);
    return read_config(root, path, sources);
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

namespace {

TrainConfig read_config(const YAML::Node& root, const std::string& path, std::shared_ptr<OverrideSources> sources) {
  TrainConfig config;
  config.file = path;
  config.name = std::filesystem::path(path).stem().string();
  config.resolved = YAML::Clone(root);
  ConfigReader top(root, "", path, sources);
  read_data(top.section("data"), config);
  read_train(top.section("train"), config);
  if (!top.has("model")) top.fail("model", "is required (model.input and model.layers)");
  // init_from and replace_head are training choices; the rest of the
  // section describes the architecture (model_from_yaml checks it).
  // (Removed from the loaded tree itself, not a clone: a clone loses the
  // line numbers that model errors cite; config.resolved keeps them all.)
  config.model = top.raw("model");
  if (config.model.IsMap()) {
    ConfigReader model(config.model, "model", path, sources);
    config.init_from = model.text("init_from", "");
    config.replace_head = model.boolean("replace_head", false);
    config.model.remove("init_from");
    config.model.remove("replace_head");
  }
  ConfigReader checkpoint = top.section("checkpoint");
  config.monitor = checkpoint.text("monitor", "val_acc");
  if (config.monitor != "val_acc") checkpoint.fail("monitor", "only val_acc is supported");
  config.save_best_only = checkpoint.boolean("save_best_only", true);
  checkpoint.finish();
  ConfigReader cuda = top.section("cuda");
  config.cuda_deterministic = cuda.boolean("deterministic", true);
  cuda.finish();
  top.finish();
  return config;
}

}  // namespace

std::string to_yaml(const TrainConfig& config) {
  // The config as given (after --set), with every default made explicit.
  YAML::Node root = YAML::Clone(config.resolved);
  const data::DataConfig& d = config.data;
  YAML::Node data = root["data"];
  data["root"] = d.root;
  data["layout"] = data::to_string(d.layout);
  data["idx_split"] = d.idx_split;
  data["val_root"] = config.val_root;
  data["val_idx_split"] = config.val_idx_split;
  data["val_class_map"] = YAML::Node(YAML::NodeType::Map);
  for (const auto& [from, to] : config.val_class_map) data["val_class_map"][from] = to;
  data["class_names"] = YAML::Node(YAML::NodeType::Sequence);
  for (const std::string& name : d.class_names) data["class_names"].push_back(name);
  data["resize"] = data::to_string(d.resize);
  data["val_crop"] = d.val_crop;
  if (d.mean_auto)
    data["mean"] = "auto";
  else
    data["mean"] = std::vector<float>(d.mean.begin(), d.mean.end());
  if (d.stddev_auto)
    data["std"] = "auto";
  else
    data["std"] = std::vector<float>(d.stddev.begin(), d.stddev.end());
  data["val_split"] = d.val_split;
  data["cache_dir"] = d.cache_dir;
  data["workers"] = d.num_workers;
  data["prefetch"] = d.prefetch;
  data["drop_last"] = d.drop_last;
  data["max_pixels"] = d.max_pixels;
  YAML::Node augment = data["augment"];
  augment["hflip"] = d.augment.hflip;
  augment["crop_scale"] = std::vector<float>{d.augment.crop_scale_min, d.augment.crop_scale_max};
  augment["crop_aspect"] = std::vector<float>{d.augment.crop_aspect_min, d.augment.crop_aspect_max};
  augment["brightness"] = d.augment.brightness;
  augment["contrast"] = d.augment.contrast;
  augment["erasing"] = d.augment.erasing;
  augment["erasing_scale"] = std::vector<float>{d.augment.erasing_scale_min, d.augment.erasing_scale_max};
  augment["erasing_ratio"] = std::vector<float>{d.augment.erasing_ratio_min, d.augment.erasing_ratio_max};
  augment["erasing_value"] = d.augment.erasing_random ? "random" : "zero";
  augment["noise_std"] = d.augment.noise_std;
  YAML::Node train = root["train"];
  train["epochs"] = config.epochs;
  train["batch_per_device"] = config.batch_per_device;
  train["optimizer"] = config.optimizer.type;
  train["lr"] = config.optimizer.lr;
  train["momentum"] = config.optimizer.momentum;
  train["nesterov"] = config.optimizer.nesterov;
  train["weight_decay"] = config.optimizer.weight_decay;
  train["betas"] = std::vector<double>{config.optimizer.beta1, config.optimizer.beta2};
  train["eps"] = config.optimizer.eps;
  train["schedule"] = config.schedule.type;
  train["warmup_epochs"] = config.schedule.warmup_epochs;
  train["step_size"] = config.schedule.step_size;
  train["gamma"] = config.schedule.gamma;
  train["min_lr"] = config.schedule.min_lr;
  train["pct_start"] = config.schedule.pct_start;
  train["div_factor"] = config.schedule.div_factor;
  train["final_div_factor"] = config.schedule.final_div_factor;
  train["lr_scaling"] = config.lr_scaling;
  train["label_smoothing"] = config.label_smoothing;
  train["val_tta"] = config.val_tta;
  train["patience"] = config.patience;
  train["seed"] = config.seed;
  train["threads"] = config.threads;
  train["devices"] = config.devices;
  train["accumulate"] = config.accumulate;
  train["clip_norm"] = config.clip_norm;
  train["overlap"] = config.overlap;
  train["bucket_mib"] = config.bucket_mib;
  train["check_replicas"] = config.check_replicas;
  train["collective_timeout_s"] = config.collective_timeout_s;
  train["ema"] = config.ema;
  train["mixup"] = config.mixup;
  train["cutmix"] = config.cutmix;
  train["mix_prob"] = config.mix_prob;
  train["overfit_warning"] = config.overfit_warning;
  train["report_cams"] = config.report_cams;
  YAML::Node checkpoint = root["checkpoint"];
  checkpoint["monitor"] = config.monitor;
  checkpoint["save_best_only"] = config.save_best_only;
  root["cuda"]["deterministic"] = config.cuda_deterministic;
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace gaze::train

#pragma once
// TrainConfig: the whole training job as read from a YAML config, checked
// before anything trains. Sections: data, model, train, checkpoint.
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "data/config.h"

namespace gaze::train {

struct OptimizerConfig {
  std::string type = "sgd";  // sgd | adam | adamw
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct ScheduleConfig {
  std::string type = "cosine";  // constant | step | cosine | onecycle
  double warmup_epochs = 0;     // linear ramp from 0 to lr (not with onecycle: it has its own)
  int step_size = 10;           // step: multiply by gamma every step_size epochs
  double gamma = 0.1;
  double min_lr = 0.0;          // cosine: the final learning rate
  // onecycle (Smith's one-cycle policy, as torch.optim.lr_scheduler.OneCycleLR
  // with cosine annealing): from lr / div_factor up to lr over the first
  // pct_start of the run, then down to lr / (div_factor * final_div_factor).
  double pct_start = 0.3;
  double div_factor = 25;
  double final_div_factor = 1e4;
};

struct TrainConfig {
  std::string name;      // the config file's stem: runs/<name> by default
  std::string file;      // path of the config file
  data::DataConfig data;
  std::string val_root;  // optional separate labeled validation folder
  std::string val_idx_split = "test";  // when val_root is an IDX folder
  // data.val_class_map: val_root's class names -> the training classes'
  // (when the folders are spelled differently: {cats: cat}).
  std::map<std::string, std::string> val_class_map = {};
  YAML::Node model;      // the model section's input and layers (model_from_yaml builds it)
  std::string init_from;      // model.init_from: a checkpoint whose matching tensors start the model
  bool replace_head = false;  // model.replace_head: a fresh logits layer sized to the data's classes
  int epochs = 10;
  int batch_per_device = 64;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  std::string lr_scaling = "none";  // none | linear (lr x world size)
  double label_smoothing = 0.0;
  std::string val_tta = "none";  // train.val_tta: none | flip (validation on flip-averaged probabilities)
  int patience = 0;  // early stopping after this many epochs without improvement; 0 = off
  uint64_t seed = 42;
  int threads = 0;   // 0 = the machine's cores / the workers on it (host_threads_per_worker)
  std::string devices = "cpu";  // cpu | cuda | cuda:N | cuda:0,1,... | all (one worker per GPU)
  // train.freeze: layers that do not train (names; "prefix*" matches by prefix).
  std::vector<std::string> freeze;
  struct LrGroup {
    std::vector<std::string> layers;  // names or "prefix*"
    double lr_scale = 1;              // multiplies the scheduled learning rate
  };
  std::vector<LrGroup> lr_groups;  // train.lr_groups, first match wins
  int accumulate = 1;      // micro-batches per optimizer step (gradient accumulation)
  double clip_norm = 0;    // > 0: clip the averaged gradients to this global L2 norm
  bool overlap = true;     // all-reduce gradient buckets while backward runs
  double bucket_mib = 4;   // gradient all-reduce bucket size
  bool check_replicas = false;   // debug: compare a parameter checksum across ranks every epoch
  double collective_timeout_s = 300;  // a rank waiting longer in one all-reduce ends the job
  double ema = 0;          // > 0: validate and save an exponential moving average of the weights (train/ema.h)
  double mixup = 0;        // > 0: mixup with lambda ~ Beta(mixup, mixup) (train/mix.h)
  double cutmix = 0;       // > 0: CutMix with lambda ~ Beta(cutmix, cutmix)
  double mix_prob = 1;     // probability that a step is mixed (when mixup or cutmix is on)
  int overfit_warning = 3;  // warn after this many epochs of rising val loss and falling train loss; 0 = off
  int report_cams = 8;      // validation images whose CAM report.html follows over epochs; 0 = off
  std::string monitor = "val_acc";
  bool save_best_only = true;
  bool cuda_deterministic = true;  // cuda.deterministic: deterministic cuDNN algorithms only
  YAML::Node resolved;  // the config after --set overrides, for config.yaml
};

// Reads and validates a config; `overrides` are --set KEY=VALUE strings.
// Throws gaze::Error naming the file, line and key of the first problem.
TrainConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Renders the resolved config with every default made explicit.
std::string to_yaml(const TrainConfig& config);

}  // namespace gaze::train

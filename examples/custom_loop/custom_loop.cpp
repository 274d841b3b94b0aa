// custom_loop DATA_FOLDER OUT_FOLDER [STEPS]: your own training loop.
// DATA_FOLDER: class subfolders, Kaggle's flat cat.1.jpg names, or IDX files
// (e.g. /usr/share/datasets/fashion-mnist). Trains a small CAM network for
// STEPS steps, saves a checkpoint that evaluate and cam-infer read, then
// writes the class activation map of one image.
#include <cstdio>
#include <filesystem>
#include <string>

#include "cam/cam.h"
#include "core/core.h"
#include "core/program.h"
#include "data/data.h"
#include "layers/model_file.h"
#include "layers/model_yaml.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"
#include "train/parameter_arena.h"
#include "train/train_step.h"

const char* kModel = R"(
input: [1, 28, 28]
layers:
  - {type: conv, name: conv1, filters: 16, kernel: 3, padding: 1}
  - {type: relu}
  - {type: maxpool, kernel: 2}
  - {type: conv, name: conv2, filters: 32, kernel: 3, padding: 1}
  - {type: relu}
  - {type: gap, name: gap}
  - {type: dense, name: fc, units: 10}
)";

int main(int argc, char** argv) {
  if (argc < 3) return std::fprintf(stderr, "usage: custom_loop DATA_FOLDER OUT_FOLDER [STEPS]\n"), 2;
  return gaze::run_program("custom_loop", [&] {
    using namespace gaze;
    const int steps = argc > 3 ? std::stoi(argv[3]) : 200;
    data::DataConfig config;  // what the loader does: 28x28 grayscale, no augmentation
    config.root = argv[1];
    config.channels = 1, config.height = config.width = 28;
    config.mean = {0.5f, 0.5f, 0.5f}, config.stddev = {0.5f, 0.5f, 0.5f};
    config.cache_dir.clear();
    config.augment = data::AugmentConfig{false, 1, 1, 1, 1, 0, 0};
    const data::Dataset dataset = data::scan_dataset(config);
    const data::Split split = data::split_train_val(data::labels_of(dataset), 0.1f, config.seed);
    data::Loader loader(dataset, split.train, config, /*training=*/true, /*batch=*/64);

    Model model = model_from_yaml(YAML::Load(kModel), "custom_loop.cpp", /*seed=*/1);
    // The trainer's own step (forward, loss, backward, update), on a flat
    // parameter arena; with an MPI or NCCL communicator instead of
    // SingleProcess the same loop trains data-parallel.
    train::SingleProcess alone;
    train::ParameterArena arena(model);
    train::Optimizer optimizer({"sgd", 0.05, 0.9, true, 5e-4}, model.named_parameters());
    train::TrainStep train_step(model, arena, optimizer, alone, {});
    int step = 0;
    for (int epoch = 0; step < steps; ++epoch) {
      loader.start_epoch(epoch);
      while (auto batch = loader.next()) {
        train::MicroBatch micro;
        micro.images = Tensor::from_vector({batch->n, 1, 28, 28}, batch->images);
        micro.labels = Tensor::from_vector({batch->n}, std::vector<float>(batch->labels.begin(), batch->labels.end()));
        micro.classes = batch->labels;
        micro.seed = static_cast<uint64_t>(step);
        const train::StepResult result = train_step.run({micro}, /*lr=*/0.05f);
        if (++step % 50 == 0)
          std::printf("step %d  loss %.4f  accuracy %.1f%%\n", step, result.mean_loss,
                      100.0 * result.correct / static_cast<double>(result.images));
        if (step == steps) break;
      }
    }

    // A checkpoint every gaze program reads: the model, classes and preprocessing.
    std::filesystem::create_directories(argv[2]);
    const std::string path = std::string(argv[2]) + "/model.safetensors";
    save_model_file(path, model, train::checkpoint_info(dataset.class_names, config, 0, 0));

    // CAM on the first held-out image, from the saved file as a user would.
    cam::InferenceCheckpoint checkpoint = cam::load_inference_checkpoint(path);
    data::Loader held_out(dataset, split.val, config, false, 1);
    held_out.start_epoch(0);
    const data::Batch one = *held_out.next();
    const Tensor x = Tensor::from_vector({1, 1, 28, 28}, one.images);
    const cam::Prediction p = cam::predict(checkpoint.model, x).front();
    const cam::Map map = cam::compute_maps(checkpoint.model, x, {p.top}, {}).front();
    cam::write_png(std::string(argv[2]) + "/cam.png", cam::colorize(cam::resize_bilinear(cam::normalize_relu_minmax(map), 112, 112)));
    std::printf("saved %s; image of class %s predicted %s (%.0f%%); CAM in %s/cam.png\n", path.c_str(),
                checkpoint.classes[static_cast<size_t>(one.labels[0])].c_str(), checkpoint.classes[static_cast<size_t>(p.top)].c_str(),
                100 * p.probabilities[static_cast<size_t>(p.top)], argv[2]);
    return 0;
  });
}

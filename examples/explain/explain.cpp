// explain CHECKPOINT IMAGE OUT.png: where does the network look?
// Loads a gaze checkpoint, predicts the image's class and writes the class
// activation map of the prediction over the original picture.
#include <cstdio>

#include "cam/cam.h"
#include "core/program.h"
#include "cuda/runtime.h"
#include "data/preprocess.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: explain CHECKPOINT IMAGE OUT.png\n");
    return 2;
  }
  return gaze::run_program("explain", [&] {
    gaze::init_runtime();
    using namespace gaze::cam;
    // The model, its classes and its preprocessing, all from the one file.
    InferenceCheckpoint checkpoint = load_inference_checkpoint(argv[1]);
    const gaze::data::InferenceImage image = gaze::data::load_image_for_inference(argv[2], checkpoint.preprocessing);
    const gaze::Tensor x = gaze::Tensor::from_vector({1, image.channels, image.height, image.width}, image.pixels);

    const Prediction prediction = predict(checkpoint.model, x).front();
    // CAM: the dense weights of the predicted class weight the feature maps
    // that feed global average pooling (read straight from the model graph).
    const Map raw = compute_maps(checkpoint.model, x, {prediction.top}, MethodOptions{}).front();
    const Map on_original = map_to_original(resize_bilinear(normalize_relu_minmax(raw), image.height, image.width),
                                            image.crop, image.original_width, image.original_height);
    write_png(argv[3], overlay(colorize(on_original), to_rgb(image.original)));
    std::printf("%s: %s %.1f%% -> %s\n", argv[2], checkpoint.classes[static_cast<size_t>(prediction.top)].c_str(),
                100 * prediction.probabilities[static_cast<size_t>(prediction.top)], argv[3]);
    return 0;
  });
}

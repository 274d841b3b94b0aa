#pragma once
// Shared by the cam tests: small seeded networks, checkpoints with the
// training module's metadata, generated images, and a self-cleaning folder.
#include <filesystem>
#include <string>
#include <vector>

#include "layers/model.h"
#include "tests/temp_dir.h"

namespace gaze::cam::testing {

using TempDir = gaze::test_support::TempDir;

// conv -> bn -> relu -> [maxpool] -> conv -> relu -> gap -> dense -> softmax.
// `pool` halves the feature map; with size 2 and pool the map is 1x1.
Model gap_network(int channels, int size, int classes, uint64_t seed = 7, bool pool = true);
// conv -> relu -> flatten -> dense -> softmax: no global average pooling.
Model flatten_network(int channels, int size, int classes, uint64_t seed = 7);

// BN running statistics away from their defaults, so eval-mode BN is not the identity.
void randomize_batch_norm(Model& model, uint64_t seed);

// Saves `model` with the metadata the training module writes.
void save_checkpoint(const std::string& path, const Model& model, const std::vector<std::string>& classes,
                     const std::string& resize = "stretch");

// A PNG or JPEG of smooth colour gradients plus a bright square, seeded.
void write_image(const std::string& path, int width, int height, int channels, int seed);

// Random normal input [n, C, H, W] for `model`.
Tensor random_input(const Model& model, int64_t n, uint64_t seed);

}  // namespace gaze::cam::testing

// The one Catch2 main shared by every test executable. It registers the CUDA
// backend first (when the build has one and a GPU is present), so that the
// whole suite can run on a GPU machine through scripts/gpu-check.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "cuda/runtime.h"

int main(int argc, char** argv) {
  gaze::init_runtime();
  return Catch::Session().run(argc, argv);
}

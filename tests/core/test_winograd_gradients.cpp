// The Winograd convolution path (3x3, stride 1, padding 1, >= 8 input
// channels) has its own data- and weight-gradient kernels: check them
// against finite differences, as every op's gradients are.
#include <catch2/catch.hpp>

#include "core/core.h"
#include "tests/core/gradcheck.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("Winograd conv2d gradients match finite differences", "[gradcheck][conv][winograd]") {
  Rng rng(21);
  for (const Shape& x_shape : {Shape{3, 8, 5, 7}, Shape{1, 12, 1, 1}}) {
    INFO("input " << to_string(x_shape));
    Tensor x = random_input(x_shape, rng).set_requires_grad(true);
    Tensor w = random_input({4, x_shape[1], 3, 3}, rng, 0.3f).set_requires_grad(true);
    Tensor b = random_input({4}, rng).set_requires_grad(true);
    check_gradients([](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], {1, 1, 1, 1}); },
                    {x, w, b});
  }
}

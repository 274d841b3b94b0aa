#pragma once
// The autograd tape, define-by-run. Every differentiable op that sees an input
// requiring a gradient records a Node: the inputs it differentiates against
// and a backward function mapping d(loss)/d(output) to d(loss)/d(inputs).
// Tensor::backward() walks the nodes in reverse topological order, sums the
// gradients, stores them in leaves (and in tensors that asked retain_grad()),
// and frees each node's saved state once it has run.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace gaze {

// Where an input's gradient goes. An edge holds the input's node, not the
// input tensor: an intermediate that no backward function saved is freed as
// soon as the forward pass drops it (BatchNorm's output, once ReLU has run).
struct Edge {
  std::shared_ptr<Node> grad_fn;      // the op that produced the input, or null
  std::shared_ptr<TensorImpl> leaf;   // a leaf requiring a gradient: where it accumulates
  Shape shape;                        // the gradient must match it
  bool needs_grad() const { return grad_fn || leaf; }
};

struct Node {
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;
  std::string op;               // for error messages: "conv2d", "relu", ...
  std::vector<Edge> inputs;     // grads returned by backward line up with these
  BackwardFn backward;          // returns one (possibly undefined) grad per input
  std::weak_ptr<TensorImpl> output;  // weak: the output owns the node, not the reverse
};

// True unless a NoGradGuard is alive on this thread.
bool grad_enabled();

// Inference scope: ops record nothing while one is alive.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Attaches a backward node to `output` when gradients are enabled and any of
// `inputs` requires a gradient. Returns `output` for chaining.
Tensor record(const std::string& op, Tensor output, std::vector<Tensor> inputs,
              Node::BackwardFn backward);

}  // namespace gaze

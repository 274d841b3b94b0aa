#include "core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "core/backend.h"
#include "core/error.h"

namespace gaze {

namespace {
thread_local bool g_grad_enabled = true;

// grad += g, allocating grad on first use. A fresh gradient that nobody else
// references is adopted as is instead of copied: most backward functions
// return new tensors, and copying every activation gradient costs time and memory.
void accumulate(std::shared_ptr<TensorImpl>& grad, Tensor g) {
  if (!grad) {
    const bool sole_owner = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 &&
                            g.is_contiguous() && !g.impl()->grad_fn && !g.impl()->requires_grad;
    grad = sole_owner ? g.impl_ptr() : g.clone().impl_ptr();
    return;
  }
  Tensor existing(grad);
  backend_for(existing.device()).axpy(1.0f, g.contiguous(), existing);
}

void run_grad_final_hooks(TensorImpl& leaf) {
  if (leaf.grad_final_hooks.empty()) return;
  const Tensor grad = leaf.grad ? Tensor(leaf.grad) : Tensor();
  // A copy: a hook may add or remove hooks.
  const auto hooks = leaf.grad_final_hooks;
  for (const auto& [id, hook] : hooks) hook(grad);
}

// Reverse topological order of the nodes reachable from `root` (root first).
// Holds shared pointers: freeing a node's inputs during backward may drop the
// last other reference to nodes that have yet to run.
std::vector<std::shared_ptr<Node>> reverse_topological(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited;
  // Iterative DFS so that deep graphs cannot overflow the stack.
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      const std::shared_ptr<Node> child = node->inputs[next_input++].grad_fn;
      if (child && visited.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};
}
}  // namespace

bool grad_enabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Tensor record(const std::string& op, Tensor output, std::vector<Tensor> inputs,
              Node::BackwardFn backward) {
  if (!g_grad_enabled) return output;
  bool needs = false;
  for (const Tensor& t : inputs) needs = needs || (t.defined() && t.requires_grad());
  if (!needs) return output;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge edge;
    if (t.defined() && t.requires_grad()) {
      edge.shape = t.shape();
      if (t.grad_fn()) {
        edge.grad_fn = t.grad_fn();
      } else {
        edge.leaf = t.impl_ptr();
      }
    }
    node->inputs.push_back(std::move(edge));
  }
  node->backward = std::move(backward);
  node->output = output.impl_ptr();
  output.impl()->grad_fn = node;
  output.impl()->requires_grad = true;
  return output;
}

void Tensor::backward() const {
  GAZE_CHECK(numel() == 1, "backward() needs a scalar (one-element) tensor, got shape ",
             to_string(shape()));
  GAZE_CHECK(requires_grad(),
             "backward() on a tensor that does not require a gradient: no parameter or input "
             "that requires a gradient contributed to it");
  const Tensor seed = Tensor::full(shape(), 1.0f, device());
  if (!grad_fn()) {  // a leaf: its gradient with respect to itself is one
    accumulate(impl()->grad, seed);
    run_grad_final_hooks(*impl());
    return;
  }
  const std::vector<std::shared_ptr<Node>> order = reverse_topological(grad_fn());
  // A hooked leaf's gradient is final once every node with an edge to it has
  // run (or been skipped): count those edges, then count down.
  std::unordered_map<TensorImpl*, size_t> edges_left;
  for (const std::shared_ptr<Node>& node : order)
    for (const Edge& input : node->inputs)
      if (input.leaf && !input.leaf->grad_final_hooks.empty()) ++edges_left[input.leaf.get()];
  auto edges_done = [&edges_left](const Node& node) {
    if (edges_left.empty()) return;
    for (const Edge& input : node.inputs) {
      if (!input.leaf) continue;
      const auto left = edges_left.find(input.leaf.get());
      if (left != edges_left.end() && --left->second == 0) run_grad_final_hooks(*input.leaf);
    }
  };
  std::unordered_map<Node*, std::shared_ptr<TensorImpl>> pending;
  pending[grad_fn().get()] = seed.impl_ptr();
  for (const std::shared_ptr<Node>& node : order) {
    auto found = pending.find(node.get());
    if (found == pending.end()) {  // nothing flowed into this node
      edges_done(*node);
      continue;
    }
    const Tensor grad_output(found->second);
    pending.erase(found);
    if (auto out = node->output.lock(); out && out->retains_grad) accumulate(out->grad, grad_output);
    GAZE_CHECK(node->backward, "backward through op '", node->op,
               "' twice: the graph is freed after the first backward()");
    std::vector<Tensor> grads = node->backward(grad_output);
    GAZE_CHECK(grads.size() == node->inputs.size(), "op '", node->op, "' returned ",
               grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      const Edge& input = node->inputs[i];
      if (!grads[i].defined() || !input.needs_grad()) continue;
      GAZE_CHECK(grads[i].shape() == input.shape, "op '", node->op, "' produced a gradient of shape ",
                 to_string(grads[i].shape()), " for an input of shape ", to_string(input.shape));
      if (input.grad_fn) {
        accumulate(pending[input.grad_fn.get()], std::move(grads[i]));
      } else {
        accumulate(input.leaf->grad, std::move(grads[i]));
      }
    }
    edges_done(*node);
    // Free the saved activations now: peak memory falls as backward proceeds.
    node->backward = nullptr;
    node->inputs.clear();
  }
}

}  // namespace gaze

#pragma once
// Tensor: a float32 N-d array with shape, strides and a device tag, sharing
// ref-counted storage so that views (reshape, narrow, batch slices) are free.
// A tensor also carries its autograd state: whether it requires a gradient,
// the accumulated gradient, and the graph node that produced it.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/shape.h"

namespace gaze {

class Rng;
struct Node;
class Tensor;

// A block of device memory. Freed through the backend that allocated it.
struct Storage {
  float* data = nullptr;
  int64_t size = 0;  // in floats
  Device device;
  Storage(int64_t size, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;
  Shape shape;
  Shape strides;
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
  // Called by backward() once this leaf's gradient is final (see
  // Tensor::add_grad_final_hook); keyed by the id that hook returned.
  std::vector<std::pair<int, std::function<void(const Tensor&)>>> grad_final_hooks;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values,
                            Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu());
  // Deterministic for a given Rng state, whatever the device.
  static Tensor randn(const Shape& shape, Rng& rng, float stddev = 1.0f,
                      Device device = Device::cpu());
  static Tensor uniform(const Shape& shape, Rng& rng, float low, float high,
                        Device device = Device::cpu());

  // ---- inspection ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t dim(int axis) const;  // negative axes count from the end
  int ndim() const { return static_cast<int>(shape().size()); }
  int64_t numel() const;
  Device device() const;
  bool is_contiguous() const;
  float* data();
  const float* data() const;
  std::vector<float> to_vector() const;  // copies to host, contiguous order
  float item() const;                    // the single element of a 1-element tensor

  // ---- views and copies (no autograd; see core/ops.h for differentiable ones) ----
  Tensor view(const Shape& shape) const;  // needs a contiguous tensor; -1 infers one extent
  Tensor narrow(int axis, int64_t start, int64_t length) const;
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;       // always a fresh contiguous copy
  Tensor to(Device device) const;
  void copy_from(const Tensor& source);  // same shape, any devices
  void fill_(float value);
  bool shares_storage_with(const Tensor& other) const;

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& set_requires_grad(bool enabled = true);
  // Gradient accumulated by backward(): leaves always, intermediate tensors
  // only after retain_grad(). Undefined when none was computed.
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  void zero_grad();
  void retain_grad();
  // Registers `hook` on a leaf that requires a gradient: every backward()
  // that reaches this tensor calls hook(grad) once, right after the last
  // contribution to its .grad() has been accumulated and before backward()
  // returns, so the gradient can be used (all-reduced, clipped, accumulated
  // elsewhere) while the rest of backward still runs. A leaf that a
  // backward() does not reach gets no call. Returns an id for remove_grad_final_hook.
  int add_grad_final_hook(std::function<void(const Tensor& grad)> hook);
  void remove_grad_final_hook(int id);
  // Back-propagates from this scalar through the graph that produced it,
  // accumulating into .grad(); the graph is freed afterwards.
  void backward() const;
  Tensor detach() const;  // same storage, no history
  const std::shared_ptr<Node>& grad_fn() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

std::string describe(const Tensor& t);  // "[2, 3] on cpu"

}  // namespace gaze

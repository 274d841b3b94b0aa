#include "core/tensor.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/random.h"

namespace gaze {

Storage::Storage(int64_t count, Device dev) : size(count), device(dev) {
  data = backend_for(device).allocate(std::max<int64_t>(count, 1), device.index);
}

Storage::~Storage() { backend_for(device).release(data, device.index); }

namespace {

std::shared_ptr<TensorImpl> make_impl(const Shape& shape, Device device) {
  check_allocation(shape, device);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(numel(shape), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  return impl;
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, Device device) { return Tensor(make_impl(shape, device)); }

Tensor Tensor::zeros(const Shape& shape, Device device) { return full(shape, 0.0f, device); }

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values, Device device) {
  GAZE_CHECK(gaze::numel(shape) == static_cast<int64_t>(values.size()), "from_vector: shape ",
             to_string(shape), " needs ", gaze::numel(shape), " values, got ", values.size());
  Tensor t = empty(shape, device);
  if (device.is_cpu()) {
    std::copy(values.begin(), values.end(), t.data());
  } else {
    backend_for(device).copy_host(t.data(), values.data(), t.numel(), true);
  }
  return t;
}

Tensor Tensor::scalar(float value, Device device) { return full({}, value, device); }

// Both draw on the host, in element order, then move to `device`.
Tensor Tensor::randn(const Shape& shape, Rng& rng, float stddev, Device device) {
  Tensor t = empty(shape);
  for (float* v = t.data(), *end = v + t.numel(); v != end; ++v) *v = stddev * rng.normal();
  return device.is_cpu() ? t : t.to(device);
}

Tensor Tensor::uniform(const Shape& shape, Rng& rng, float low, float high, Device device) {
  Tensor t = empty(shape);
  for (float* v = t.data(), *end = v + t.numel(); v != end; ++v) *v = rng.uniform(low, high);
  return device.is_cpu() ? t : t.to(device);
}

TensorImpl& Tensor::checked() const {
  GAZE_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked().shape; }
const Shape& Tensor::strides() const { return checked().strides; }

int64_t Tensor::dim(int axis) const {
  const int n = ndim();
  const int a = axis < 0 ? axis + n : axis;
  GAZE_CHECK(a >= 0 && a < n, "axis ", axis, " out of range for tensor of shape ", to_string(shape()));
  return shape()[static_cast<size_t>(a)];
}

int64_t Tensor::numel() const { return gaze::numel(shape()); }
Device Tensor::device() const { return checked().storage->device; }

bool Tensor::is_contiguous() const { return strides() == contiguous_strides(shape()); }

float* Tensor::data() { return checked().storage->data + impl_->offset; }
const float* Tensor::data() const { return checked().storage->data + impl_->offset; }

std::vector<float> Tensor::to_vector() const {
  Tensor host = contiguous().to(Device::cpu());
  return std::vector<float>(host.data(), host.data() + host.numel());
}

float Tensor::item() const {
  GAZE_CHECK(numel() == 1, "item() needs a one-element tensor, got shape ", to_string(shape()));
  return to_vector()[0];
}

Tensor Tensor::view(const Shape& new_shape) const {
  GAZE_CHECK(is_contiguous(), "view of a non-contiguous tensor ", to_string(shape()));
  Shape resolved = new_shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      GAZE_CHECK(infer < 0, "view: more than one -1 in ", to_string(new_shape));
      infer = static_cast<int>(i);
    } else {
      known *= resolved[i];
    }
  }
  if (infer >= 0 && known > 0) resolved[static_cast<size_t>(infer)] = numel() / known;
  GAZE_CHECK(gaze::numel(resolved) == numel(), "cannot view tensor of shape ", to_string(shape()),
             " as ", to_string(new_shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = resolved;
  impl->strides = contiguous_strides(resolved);
  return Tensor(impl);
}

Tensor Tensor::narrow(int axis, int64_t start, int64_t length) const {
  const int a = axis < 0 ? axis + ndim() : axis;
  const int64_t extent = dim(axis);
  GAZE_CHECK(start >= 0 && length >= 0 && start + length <= extent, "narrow(", axis, ", ", start,
             ", ", length, ") out of range for shape ", to_string(shape()));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset + start * strides()[static_cast<size_t>(a)];
  impl->shape = shape();
  impl->shape[static_cast<size_t>(a)] = length;
  impl->strides = strides();
  return Tensor(impl);
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), device());
  backend_for(device()).make_contiguous(*this, out);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  Tensor out = empty(shape(), target);
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& source) {
  GAZE_CHECK(source.shape() == shape(), "copy_from: shape ", to_string(source.shape()),
             " does not match ", to_string(shape()));
  GAZE_CHECK(is_contiguous(), "copy_from into a non-contiguous tensor");
  Tensor src = source.contiguous();
  const Device from = src.device(), to = device();
  if (from == to) {
    backend_for(to).copy(data(), src.data(), numel());
  } else if (from.is_cpu()) {
    backend_for(to).copy_host(data(), src.data(), numel(), true);
  } else if (to.is_cpu()) {
    backend_for(from).copy_host(src.data(), data(), numel(), false);
  } else {
    copy_from(src.to(Device::cpu()));
  }
}

void Tensor::fill_(float value) {
  GAZE_CHECK(is_contiguous(), "fill_ on a non-contiguous tensor");
  backend_for(device()).fill(*this, value);
}

bool Tensor::shares_storage_with(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::set_requires_grad(bool enabled) {
  GAZE_CHECK(enabled || !checked().grad_fn,
             "cannot clear requires_grad on a tensor produced by an op; use detach()");
  checked().requires_grad = enabled;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(checked().grad); }

void Tensor::set_grad(const Tensor& g) {
  GAZE_CHECK(!g.defined() || g.shape() == shape(), "set_grad: gradient shape ",
             to_string(g.shape()), " does not match tensor shape ", to_string(shape()));
  checked().grad = g.impl_ptr();
}

void Tensor::zero_grad() { checked().grad.reset(); }

void Tensor::retain_grad() {
  GAZE_CHECK(checked().requires_grad,
             "retain_grad() on a tensor that does not require a gradient (was it computed "
             "under NoGradGuard, or from inputs that need no gradient?)");
  impl_->retains_grad = true;
}

int Tensor::add_grad_final_hook(std::function<void(const Tensor& grad)> hook) {
  GAZE_CHECK(checked().requires_grad && !impl_->grad_fn,
             "add_grad_final_hook: only a leaf that requires a gradient (a parameter) has a final gradient");
  GAZE_CHECK(hook, "add_grad_final_hook: empty hook");
  const int id = impl_->grad_final_hooks.empty() ? 1 : impl_->grad_final_hooks.back().first + 1;
  impl_->grad_final_hooks.emplace_back(id, std::move(hook));
  return id;
}

void Tensor::remove_grad_final_hook(int id) {
  auto& hooks = checked().grad_final_hooks;
  hooks.erase(std::remove_if(hooks.begin(), hooks.end(), [id](const auto& entry) { return entry.first == id; }),
              hooks.end());
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = checked().storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  return Tensor(impl);
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked().grad_fn; }

std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined tensor";
  return to_string(t.shape()) + " on " + t.device().str();
}

}  // namespace gaze

#!/usr/bin/env python3
"""Generates tests/fixtures/torch_parity.safetensors: inputs, parameters,
outputs and gradients of PyTorch's conv (plain, grouped, depthwise), pooling,
batch norm, dense, softmax, cross-entropy and ReLU6 on fixed random inputs. gaze's tests compare against it
without needing Python at run time. Run once with Debian's python3-torch:

    /usr/bin/python3 scripts/make_torch_fixtures.py
"""
import json
import os
import struct

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
tensors = {}
cases = {}


def put(name, t):
    tensors[name] = t.detach().clone().contiguous().float()


def grads_of(out, inputs, name):
    """Backpropagates a fixed random upstream gradient and stores it all."""
    upstream = torch.randn_like(out)
    put(f"{name}.grad_out", upstream)
    out.backward(upstream)
    for key, t in inputs.items():
        put(f"{name}.grad_{key}", t.grad)


def conv_case(name, x_shape, w_shape, stride, padding, bias=True):
    x = torch.randn(*x_shape, requires_grad=True)
    w = torch.randn(*w_shape, requires_grad=True)
    b = torch.randn(w_shape[0], requires_grad=True) if bias else None
    out = F.conv2d(x, w, b, stride=stride, padding=padding)
    put(f"{name}.x", x)
    put(f"{name}.w", w)
    inputs = {"x": x, "w": w}
    if bias:
        put(f"{name}.b", b)
        inputs["b"] = b
    put(f"{name}.out", out)
    grads_of(out, inputs, name)
    cases[name] = {"stride": list(stride), "padding": list(padding), "bias": bias}


conv_case("conv", (2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 1))
conv_case("conv_same", (2, 4, 8, 8), (5, 4, 3, 3), (1, 1), (1, 1), bias=False)
conv_case("conv_pointwise", (2, 6, 5, 5), (3, 6, 1, 1), (1, 1), (0, 0))

for kind in ("max", "avg"):
    name = f"{kind}_pool"
    x = torch.randn(2, 3, 7, 7, requires_grad=True)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = pool(x, kernel_size=3, stride=2, padding=1)
    put(f"{name}.x", x)
    put(f"{name}.out", out)
    grads_of(out, {"x": x}, name)
    cases[name] = {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]}

x = torch.randn(2, 5, 4, 3, requires_grad=True)
out = x.mean(dim=(2, 3))
put("gap.x", x)
put("gap.out", out)
grads_of(out, {"x": x}, "gap")

for training in (True, False):
    name = "bn_train" if training else "bn_eval"
    x = (torch.randn(4, 3, 5, 5) * 2 + 0.5).requires_grad_(True)
    gamma = torch.randn(3, requires_grad=True)
    beta = torch.randn(3, requires_grad=True)
    running_mean = torch.randn(3)
    running_var = torch.rand(3) + 0.5
    put(f"{name}.x", x)
    put(f"{name}.gamma", gamma)
    put(f"{name}.beta", beta)
    put(f"{name}.running_mean", running_mean)
    put(f"{name}.running_var", running_var)
    out = F.batch_norm(x, running_mean, running_var, gamma, beta, training=training,
                       momentum=0.1, eps=1e-5)
    put(f"{name}.out", out)
    put(f"{name}.running_mean_after", running_mean)
    put(f"{name}.running_var_after", running_var)
    grads_of(out, {"x": x, "gamma": gamma, "beta": beta}, name)
    cases[name] = {"momentum": 0.1, "eps": 1e-5, "training": training}

x = torch.randn(5, 7, requires_grad=True)
w = torch.randn(4, 7, requires_grad=True)
b = torch.randn(4, requires_grad=True)
out = F.linear(x, w, b)
put("dense.x", x)
put("dense.w", w)
put("dense.b", b)
put("dense.out", out)
grads_of(out, {"x": x, "w": w, "b": b}, "dense")

x = torch.randn(6, 5, requires_grad=True)
out = F.softmax(x, dim=1)
put("softmax.x", x)
put("softmax.out", out)
grads_of(out, {"x": x}, "softmax")

for smoothing in (0.0, 0.1):
    name = f"cross_entropy_{int(smoothing * 10)}"
    logits = (torch.randn(6, 5) * 3).requires_grad_(True)
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    loss.backward()
    put(f"{name}.logits", logits)
    put(f"{name}.labels", labels.float())
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.grad_logits", logits.grad)
    cases[name] = {"label_smoothing": smoothing}


# Grouped and depthwise convolution, and ReLU6 (appended last so that the
# random draws of the cases above stay as they were).
def grouped_conv_case(name, x_shape, w_shape, stride, padding, groups, bias=True):
    x = torch.randn(*x_shape, requires_grad=True)
    w = torch.randn(*w_shape, requires_grad=True)
    b = torch.randn(w_shape[0], requires_grad=True) if bias else None
    out = F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)
    put(f"{name}.x", x)
    put(f"{name}.w", w)
    inputs = {"x": x, "w": w}
    if bias:
        put(f"{name}.b", b)
        inputs["b"] = b
    put(f"{name}.out", out)
    grads_of(out, inputs, name)
    cases[name] = {"stride": list(stride), "padding": list(padding), "bias": bias, "groups": groups}


grouped_conv_case("conv_groups", (3, 6, 7, 6), (4, 3, 3, 3), (1, 1), (1, 1), 2)
grouped_conv_case("conv_depthwise", (2, 4, 7, 7), (4, 1, 3, 3), (1, 1), (1, 1), 4, bias=False)
grouped_conv_case("conv_depthwise_s2", (2, 3, 8, 7), (6, 1, 3, 3), (2, 2), (1, 1), 3)

x = (torch.randn(3, 4, 5) * 5 + 2).requires_grad_(True)
out = F.relu6(x)
put("relu6.x", x)
put("relu6.out", out)
grads_of(out, {"x": x}, "relu6")

def write_safetensors(path, named, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for key, t in named.items():
        data = t.numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
path = os.path.join(root, "tests", "fixtures", "torch_parity.safetensors")
write_safetensors(path, tensors, {"cases": json.dumps(cases), "torch": torch.__version__})
print(f"wrote {len(tensors)} tensors to {path}")

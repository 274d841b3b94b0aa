#pragma once
// core/: tensors, devices, the autograd tape, differentiable ops with their
// CPU kernels, deterministic random numbers, safetensors I/O and errors.
// It knows nothing of layers, configs or training.
#include "core/autograd.h"
#include "core/backend.h"
#include "core/device.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/safetensors.h"
#include "core/tensor.h"

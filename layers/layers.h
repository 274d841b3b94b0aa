#pragma once
// layers/: Layer classes built from core ops (one per file, each header
// stating its math), the Model DAG, the layer registry (type name ->
// factory) and model descriptions from JSON/YAML. Knows nothing of data or
// training loops.
#include "layers/activation.h"
#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "layers/flatten.h"
#include "layers/layer.h"
#include "layers/merge.h"
#include "layers/model.h"
#include "layers/model_file.h"
#include "layers/model_yaml.h"
#include "layers/pooling.h"
#include "layers/registry.h"
#include "layers/residual_dense.h"
#include "layers/softmax.h"

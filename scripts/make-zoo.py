#!/usr/bin/env python3
"""Writes configs/zoo/*.yaml: torchvision's ResNet-18/34/50, VGG-16 and
MobileNetV2 as gaze configs, plus VGG-16-GAP (the CAM paper's VGG: conv5_3,
an extra 3x3 conv, global average pooling, dense).

Layer names are torchvision's module paths with '.' replaced by '_' (gaze
layer names cannot hold dots, since tensors are named <layer>.<param>), so
torchvision's "layer1.0.downsample.0.weight" is gaze's
"layer1_0_downsample_0.weight". scripts/torchvision-to-gaze relies on this.
Layers without parameters (ReLU, add, pooling) get names in the same style.

Run from anywhere (standard library only); the YAML files are committed:

    python3 scripts/make-zoo.py
"""
import json
import os

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class Net:
    """A gaze layer list under construction; `last` names the current output."""

    def __init__(self):
        self.layers = []
        self.last = "input"

    def add(self, type_, name, inputs=None, **params):
        layer = {"type": type_, "name": name}
        if inputs is not None:
            layer["inputs"] = inputs
        layer.update(params)
        self.layers.append(layer)
        self.last = name
        return name

    def conv(self, name, filters, kernel, stride=1, padding=0, groups=1, bias=False, inputs=None):
        params = {"filters": filters, "kernel": kernel}
        if stride != 1:
            params["stride"] = stride
        if padding:
            params["padding"] = padding
        if groups != 1:
            params["groups"] = groups
        params["bias"] = bias
        return self.add("conv", name, inputs, **params)


# ---- ResNet (torchvision.models.resnet: v1.5, the stride on the 3x3 conv) ----

def resnet_stem(net):
    net.conv("conv1", 64, 7, stride=2, padding=3)
    net.add("batchnorm", "bn1")
    net.add("relu", "relu")
    net.add("maxpool", "maxpool", kernel=3, stride=2, padding=1)


def basic_block(net, prefix, in_channels, planes, stride):
    block_input = net.last
    net.conv(f"{prefix}_conv1", planes, 3, stride=stride, padding=1)
    net.add("batchnorm", f"{prefix}_bn1")
    net.add("relu", f"{prefix}_relu1")
    net.conv(f"{prefix}_conv2", planes, 3, padding=1)
    main = net.add("batchnorm", f"{prefix}_bn2")
    shortcut = downsample(net, prefix, block_input, in_channels, planes, stride)
    net.add("add", f"{prefix}_add", inputs=[main, shortcut])
    net.add("relu", f"{prefix}_relu2")
    return planes


def bottleneck_block(net, prefix, in_channels, planes, stride):
    block_input = net.last
    out_channels = planes * 4
    net.conv(f"{prefix}_conv1", planes, 1)
    net.add("batchnorm", f"{prefix}_bn1")
    net.add("relu", f"{prefix}_relu1")
    net.conv(f"{prefix}_conv2", planes, 3, stride=stride, padding=1)
    net.add("batchnorm", f"{prefix}_bn2")
    net.add("relu", f"{prefix}_relu2")
    net.conv(f"{prefix}_conv3", out_channels, 1)
    main = net.add("batchnorm", f"{prefix}_bn3")
    shortcut = downsample(net, prefix, block_input, in_channels, out_channels, stride)
    net.add("add", f"{prefix}_add", inputs=[main, shortcut])
    net.add("relu", f"{prefix}_relu3")
    return out_channels


def downsample(net, prefix, block_input, in_channels, out_channels, stride):
    """torchvision's 1x1 conv + BatchNorm shortcut where the shape changes."""
    if stride == 1 and in_channels == out_channels:
        return block_input
    net.conv(f"{prefix}_downsample_0", out_channels, 1, stride=stride, inputs=[block_input])
    return net.add("batchnorm", f"{prefix}_downsample_1")


def resnet(block, blocks_per_stage):
    net = Net()
    resnet_stem(net)
    channels = 64
    for stage, (planes, count) in enumerate(zip([64, 128, 256, 512], blocks_per_stage), start=1):
        for index in range(count):
            stride = 2 if stage > 1 and index == 0 else 1
            channels = block(net, f"layer{stage}_{index}", channels, planes, stride)
    head(net, "avgpool", "fc")
    return net.layers


def head(net, gap_name, dense_name, dropout=None):
    """Global average pooling -> [dropout] -> dense -> softmax: what CAM reads."""
    net.add("gap", gap_name)
    if dropout is not None:
        net.add("dropout", dropout[0], rate=dropout[1])
    net.add("dense", dense_name, units=1000)
    net.add("softmax", "probs")


# ---- VGG-16 (torchvision.models.vgg16, configuration "D", no BatchNorm) ----

VGG16_STAGES = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]


def vgg16_features(net, last_pool):
    """features.0 ... features.30: conv/ReLU pairs and a 2x2 max-pool per stage."""
    index = 0
    for stage, widths in enumerate(VGG16_STAGES):
        for width in widths:
            net.conv(f"features_{index}", width, 3, padding=1, bias=True)
            net.add("relu", f"features_{index + 1}")
            index += 2
        if stage < len(VGG16_STAGES) - 1 or last_pool:
            net.add("maxpool", f"features_{index}", kernel=2, stride=2)
        index += 1


def vgg16():
    # torchvision's AdaptiveAvgPool2d((7, 7)) is the identity on 224x224
    # inputs (conv5 gives 7x7), so the classifier follows the features directly.
    net = Net()
    vgg16_features(net, last_pool=True)
    net.add("flatten", "flatten")
    net.add("dense", "classifier_0", units=4096)
    net.add("relu", "classifier_1")
    net.add("dropout", "classifier_2", rate=0.5)
    net.add("dense", "classifier_3", units=4096)
    net.add("relu", "classifier_4")
    net.add("dropout", "classifier_5", rate=0.5)
    net.add("dense", "classifier_6", units=1000)
    net.add("softmax", "probs")
    return net.layers


def vgg16_gap():
    # Zhou et al. 2016, "Learning Deep Features for Discriminative
    # Localization": VGG-16 without pool5 and the fully connected layers
    # (a 14x14 map at 224x224), then a 3x3 conv with 1024 filters, GAP, dense.
    net = Net()
    vgg16_features(net, last_pool=False)
    net.conv("conv6", 1024, 3, padding=1, bias=True)
    net.add("relu", "conv6_relu")
    head(net, "gap", "fc")
    return net.layers


# ---- MobileNetV2 (torchvision.models.mobilenet_v2, width 1.0) ----

MOBILENET_V2_SETTINGS = [  # expansion t, channels c, repeats n, first stride s
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def conv_bn_relu6(net, prefix, filters, kernel, stride=1, groups=1):
    """torchvision's Conv2dNormActivation: <prefix>.0 conv, .1 BatchNorm, .2 ReLU6."""
    net.conv(f"{prefix}_0", filters, kernel, stride=stride, padding=(kernel - 1) // 2, groups=groups)
    net.add("batchnorm", f"{prefix}_1")
    return net.add("relu6", f"{prefix}_2")


def inverted_residual(net, index, in_channels, out_channels, stride, expansion):
    """Expand (1x1) -> depthwise 3x3 -> linear 1x1 projection (no activation),
    plus the input when the shape is unchanged."""
    block_input = net.last
    hidden = in_channels * expansion
    prefix = f"features_{index}_conv"
    part = 0
    if expansion != 1:
        conv_bn_relu6(net, f"{prefix}_{part}", hidden, 1)
        part += 1
    conv_bn_relu6(net, f"{prefix}_{part}", hidden, 3, stride=stride, groups=hidden)
    net.conv(f"{prefix}_{part + 1}", out_channels, 1)
    projected = net.add("batchnorm", f"{prefix}_{part + 2}")
    if stride == 1 and in_channels == out_channels:
        net.add("add", f"features_{index}_add", inputs=[block_input, projected])


def mobilenet_v2():
    net = Net()
    conv_bn_relu6(net, "features_0", 32, 3, stride=2)
    channels, index = 32, 1
    for expansion, out_channels, repeats, first_stride in MOBILENET_V2_SETTINGS:
        for repeat in range(repeats):
            inverted_residual(net, index, channels, out_channels, first_stride if repeat == 0 else 1, expansion)
            channels, index = out_channels, index + 1
    conv_bn_relu6(net, f"features_{index}", 1280, 1)
    # torchvision: adaptive average pooling to 1x1, then classifier = Dropout(0.2), Linear.
    head(net, "avgpool", "classifier_1", dropout=("classifier_0", 0.2))
    return net.layers


ZOO = {
    "resnet18": (lambda: resnet(basic_block, [2, 2, 2, 2]), "ResNet-18 (He et al. 2016; torchvision resnet18)"),
    "resnet34": (lambda: resnet(basic_block, [3, 4, 6, 3]), "ResNet-34 (torchvision resnet34)"),
    "resnet50": (lambda: resnet(bottleneck_block, [3, 4, 6, 3]),
                 "ResNet-50 with bottleneck blocks, stride on the 3x3 conv (torchvision resnet50, v1.5)"),
    "vgg16": (vgg16, "VGG-16 (Simonyan and Zisserman 2015; torchvision vgg16): flatten -> 3 dense layers, "
                     "so use a gradient method (gradcam) rather than cam"),
    "vgg16-gap": (vgg16_gap, "VGG-16-GAP, the CAM paper's VGG: conv5_3 -> 3x3 conv (1024) -> GAP -> dense"),
    "mobilenet_v2": (mobilenet_v2, "MobileNetV2 (Sandler et al. 2018; torchvision mobilenet_v2, width 1.0)"),
}


def flow(value):
    """A YAML flow value (JSON is valid YAML; keys and names need no quotes)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    plain = value.replace("_", "").replace("-", "").isalnum() and not value[0].isdigit()
    return value if plain and value not in ("true", "false", "null", "yes", "no", "on", "off") else json.dumps(value)


def render(name, layers, title):
    lines = [
        f"# {title}.",
        "# Generated by scripts/make-zoo.py; edit that script, not this file.",
        "# Layer names are torchvision's module paths with '.' -> '_', so",
        f"#   scripts/torchvision-to-gaze {name} WEIGHTS.pth OUT.safetensors",
        "# turns torchvision ImageNet weights into a gaze checkpoint of this model.",
        "# Train from scratch on your own images with",
        f"#   build/bin/train --config configs/zoo/{name}.yaml --set data.root=DIR",
        "# (dense layer sized for ImageNet's 1000 classes: set its units to yours).",
        "data:",
        "  root: data/images",
        "  layout: auto",
        "  resize: shorter-side-center-crop",
        "  val_split: 0.2",
        f"  mean: {flow(IMAGENET_MEAN)}",
        f"  std: {flow(IMAGENET_STD)}",
        "  augment:",
        "    hflip: true",
        "    crop_scale: [0.35, 1.0]",
        "    crop_aspect: [0.75, 1.333]",
        "",
        "model:",
        "  input: [3, 224, 224]",
        "  layers:",
    ]
    lines += [f"    - {flow(layer)}" for layer in layers]
    lines += [
        "",
        "train:",
        "  epochs: 30",
        "  batch_per_device: 32",
        "  optimizer: sgd",
        "  lr: 0.01",
        "  momentum: 0.9",
        "  nesterov: true",
        "  weight_decay: 0.0001",
        "  schedule: cosine",
        "  warmup_epochs: 1",
        "  label_smoothing: 0.1",
        "  seed: 42",
        "",
        "checkpoint:",
        "  monitor: val_acc",
        "  save_best_only: true",
        "",
    ]
    return "\n".join(lines)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folder = os.path.join(root, "configs", "zoo")
    os.makedirs(folder, exist_ok=True)
    for name, (build, title) in ZOO.items():
        layers = build()
        path = os.path.join(folder, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(render(name, layers, title))
        print(f"wrote {path} ({len(layers)} layers)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The PyTorch peer of configs/fashion.yaml, for a same-machine comparison.

The network issue #18 quotes (conv 32-32-pool-64-64-pool-128, BatchNorm,
ReLU, global average pooling, dense; one-cycle SGD with Nesterov momentum,
horizontal flips, label smoothing 0.1, batch 128) on the same 54,000 /
6,000 split size of Fashion-MNIST's training set, then the 10,000 test
images. Prints the seconds of each epoch and the accuracies.

    /usr/bin/python3 scripts/fashion-torch-peer.py [--epochs 5] [--threads 2] [--max-steps N]

--max-steps stops each epoch early (to time the step rate on a busy day).
Needs python3-torch (a developer tool; gaze does not use it).
"""
import argparse, gzip, struct, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


def net():
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
    return nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), *block(64, 64),
                         nn.MaxPool2d(2), *block(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    x = torch.from_numpy(idx(f"{ROOT}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    y = torch.from_numpy(idx(f"{ROOT}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx(f"{ROOT}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    yt = torch.from_numpy(idx(f"{ROOT}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    x, xt = ((x - 0.286) / 0.353).unsqueeze(1), ((xt - 0.286) / 0.353).unsqueeze(1)
    perm = torch.randperm(len(x))
    train, val = perm[:54000], perm[54000:]
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = len(train) // 128
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=a.epochs, steps_per_epoch=steps)

    def accuracy(images, labels):
        model.eval()
        with torch.no_grad():
            correct = sum((model(images[i:i + 500]).argmax(1) == labels[i:i + 500]).sum().item()
                          for i in range(0, len(images), 500))
        return correct / len(images)

    total = 0.0
    for epoch in range(a.epochs):
        model.train()
        order = train[torch.randperm(len(train))]
        start = time.time()
        for s in range(steps):
            if a.max_steps and s >= a.max_steps:
                break
            b = order[s * 128:(s + 1) * 128]
            xb = x[b]
            flip = torch.rand(len(b)) < 0.5
            xb[flip] = xb[flip].flip(3)
            loss = F.cross_entropy(model(xb), y[b], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        seconds = time.time() - start
        total += seconds
        done = min(steps, a.max_steps) if a.max_steps else steps
        print(f"epoch {epoch + 1}: {seconds:.1f} s for {done} steps ({done * 128 / seconds:.0f} images/s), "
              f"val {100 * accuracy(x[val], y[val]):.2f}%", flush=True)
    print(f"training {total:.0f} s; test accuracy {100 * accuracy(xt, yt):.2f}%")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates tests/fixtures/torch_optim.safetensors: what torch.optim and
torch.optim.lr_scheduler compute, for gaze's optimizer and schedule tests to
compare against without needing Python at run time. Run once with Debian's
python3-torch:

    /usr/bin/python3 scripts/make_optimizer_fixtures.py

Optimizers: a parameter of 7 values takes 6 steps, each with a fixed random
gradient and its own learning rate; the fixture holds the start, the
gradients, the learning rates and the parameter after every step.
Schedules: the learning rate at every epoch of a run (schedulers stepped once
per epoch), for StepLR and CosineAnnealingLR.
"""
import json
import os
import struct

import torch

torch.manual_seed(2024)
tensors = {}
cases = {}


def put(name, t):
    tensors[name] = t.detach().clone().contiguous().float()


STEPS = 6
start = torch.randn(7)
gradients = torch.randn(STEPS, 7)
lrs = torch.tensor([0.1, 0.05, 0.2, 0.1, 0.01, 0.3])
put("start", start)
put("gradients", gradients)
put("lrs", lrs)

optimizers = {
    "sgd_momentum": (torch.optim.SGD, dict(momentum=0.9)),
    "sgd_nesterov_decay": (torch.optim.SGD, dict(momentum=0.8, nesterov=True, weight_decay=0.05)),
    "sgd_plain_decay": (torch.optim.SGD, dict(momentum=0.0, weight_decay=0.1)),
    "adam": (torch.optim.Adam, dict(betas=(0.9, 0.999), eps=1e-8)),
    "adam_decay": (torch.optim.Adam, dict(betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "adamw": (torch.optim.AdamW, dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
}
for name, (cls, options) in optimizers.items():
    p = torch.nn.Parameter(start.clone())
    opt = cls([p], lr=float(lrs[0]), **options)
    after = []
    for step in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = float(lrs[step])
        p.grad = gradients[step].clone()
        opt.step()
        after.append(p.detach().clone())
    put(f"{name}.after", torch.stack(after))
    cases[name] = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}

EPOCHS = 10
schedules = {
    "step": lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    "cosine": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS, eta_min=0.01),
}
for name, make in schedules.items():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.4)
    scheduler = make(opt)
    rates = []
    for epoch in range(EPOCHS):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    put(f"schedule.{name}", torch.tensor(rates, dtype=torch.float64))

header = {}
offset = 0
for key, t in tensors.items():
    size = t.numel() * 4
    header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + size]}
    offset += size
header["__metadata__"] = {"cases": json.dumps(cases), "torch": torch.__version__}
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_optim.safetensors")
with open(path, "wb") as out:
    out.write(struct.pack("<Q", len(text)))
    out.write(text)
    for t in tensors.values():
        out.write(t.numpy().astype("<f4").tobytes())
print("wrote", os.path.normpath(path), len(tensors), "tensors")

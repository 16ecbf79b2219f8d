"""The training benchmark's "minimum" step must do the same matrix products as the real step."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from gan_utils.config import TrainConfig
from gan_utils.gan import build_gan
from gan_utils.steps import train_step

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_training.py"


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench_training.py, imported as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_training", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MatmulShapes(TorchDispatchMode):
    """Records (rows, inner, cols) of every matrix product run inside the `with` block."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func.overloadpacket in (torch.ops.aten.mm, torch.ops.aten.addmm):
            a, b = args[-2:] if func.overloadpacket is torch.ops.aten.addmm else args[:2]
            self.shapes[(a.shape[0], a.shape[1], b.shape[1])] += 1
        return func(*args, **kwargs)


def test_minimum_step_does_the_same_products_as_train_step(bench):
    gan = build_gan(TrainConfig(device="cpu", batch_size=8))
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    with MatmulShapes() as ours:
        train_step(gan, real)
    work, products = bench.step_work(8, torch.device("cpu"))
    with MatmulShapes() as minimum:
        for product in products:
            product()
    assert minimum.shapes == ours.shapes
    assert len(work) == len(products) + 2  # plus the two Adam updates


def test_minimum_step_updates_as_many_parameters_as_train_step(bench):
    gan = build_gan(TrainConfig(device="cpu"))
    work, products = bench.step_work(64, torch.device("cpu"))
    optimizers = [item.__self__ for item in work if item not in products]  # bound Optimizer.step

    def numel(opt: torch.optim.Optimizer) -> int:
        return sum(p.numel() for group in opt.param_groups for p in group["params"])

    assert [numel(opt) for opt in optimizers] == [numel(gan.opt_d), numel(gan.opt_g)]
    assert all(type(opt) is type(gan.opt_g) for opt in optimizers)

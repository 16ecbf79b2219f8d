"""Why does the first ("mlp") design collapse, and what is the smallest change that fixes it?

Trains the mlp design and variants that each change ONE thing, with the same settings and number of
steps, and scores each with the project's metric (notebook 07) every few epochs.

    python experiments/seed_design_ablation/run.py               # all variants, 12 epochs each
    python experiments/seed_design_ablation/run.py --variants mlp d_leaky --epochs 6

Prints one line per evaluation and appends them as JSON lines to results.jsonl beside this script.
What was found: README.md beside this script.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from gan_utils.config import CLASSIC, TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.evaluation import evaluate_generator
from gan_utils.gan import build_gan
from gan_utils.models import LEAKY_SLOPE
from gan_utils.training import train

HERE = Path(__file__).resolve().parent


def _leaky(model: nn.Module) -> None:
    """Swap every ReLU in `model` for LeakyReLU(0.2), in place."""
    for name, child in model.named_children():
        if isinstance(child, nn.ReLU):
            setattr(model, name, nn.LeakyReLU(LEAKY_SLOPE))
        else:
            _leaky(child)


# Each variant: (config changes, activation swap) applied to the mlp design. "g_batchnorm" is the
# package's design "mlp_bn", which starts from the same weights as "mlp" plus BatchNorm layers.
VARIANTS = {
    "mlp": ({}, None),
    "d_leaky": ({}, lambda gan: _leaky(gan.D)),
    "g_leaky": ({}, lambda gan: _leaky(gan.G)),
    "both_leaky": ({}, lambda gan: (_leaky(gan.G), _leaky(gan.D))),
    "g_batchnorm": ({"design": "mlp_bn"}, None),
    "lr_1e-4": ({"lr": 1e-4}, None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--eval-every", type=int, default=2)
    parser.add_argument("--n", type=int, default=2000, help="samples per evaluation")
    parser.add_argument("--out", default=str(HERE / "results.jsonl"))
    args = parser.parse_args()

    images, _ = mnist_tensors(train=True)
    for name in args.variants:
        changes, swap = VARIANTS[name]
        gan = build_gan(TrainConfig(**{**CLASSIC, "design": "mlp", "seed": 0, **changes}))
        if swap is not None:
            swap(gan)  # activations hold no weights: the optimisers stay valid
        start = time.perf_counter()
        for epoch in range(args.eval_every, args.epochs + 1, args.eval_every):
            train(gan, epochs=epoch, images=images, progress=False)
            scores = evaluate_generator(gan.G, n=args.n, seed=0)
            row = {
                "variant": name,
                "epoch": epoch,
                "steps": epoch * (len(images) // gan.config.batch_size),
                "fd": round(scores["fd"], 2),
                "digits_covered": scores["digits_covered"],
                "kl_to_uniform": round(scores["kl_to_uniform"], 3),
                "d_real": round(gan.history["d_real"][-1], 3),
                "d_fake": round(gan.history["d_fake"][-1], 3),
                "train_seconds": round(time.perf_counter() - start, 1),
                "n": args.n,
                "torch": torch.__version__,
            }
            print(json.dumps(row), flush=True)
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

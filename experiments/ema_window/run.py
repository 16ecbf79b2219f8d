"""Which moving average of G's weights, for a slow and a fast CPU? Measured at fixed step counts.

The EMA never changes training: it is a copy of G's weights averaged on the side. So one training run
per seed can carry several averages at once, and every average sees exactly the same raw weights. The
default recipe (TrainConfig(seed=s)) trains for the largest --at step count; at each --at count the
raw G and every average are scored with the project's metric (n = 2,000, seed 0). A slow CPU makes
about 2,300 steps in 60 s, a fast one about 9,500 (issue #26), so those are the default counts.

    python experiments/ema_window/run.py --seeds 0 1 2 --at 2300 5000 9500

Prints a table (mean FD over the seeds, and per seed) and writes results.md beside this script.
"""

from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

import torch

from gan_utils.config import TrainConfig
from gan_utils.data import InMemoryLoader, mnist_tensors
from gan_utils.ema import EMA
from gan_utils.evaluation import evaluate_generator
from gan_utils.gan import build_gan
from gan_utils.steps import train_step

HERE = Path(__file__).resolve().parent
#: name: (decay, gamma) of an EMA; gamma > 0 is a power-function EMA (its decay is unused).
AVERAGES = {
    "EMA 0.99": (0.99, 0.0),
    "EMA 0.995": (0.995, 0.0),
    "EMA 0.999": (0.999, 0.0),
    "EMA 0.9995": (0.9995, 0.0),
    "power 4": (0.99, 4.0),
    "power 7": (0.99, 7.0),
    "power 16": (0.99, 16.0),
}


def run_seed(seed: int, at: list[int], images: torch.Tensor) -> dict[int, dict[str, float]]:
    gan = build_gan(TrainConfig(seed=seed, ema_decay=0.0))  # the averages below, not the gan's
    averages = {name: EMA(gan.G, decay, gamma) for name, (decay, gamma) in AVERAGES.items()}
    loader = InMemoryLoader(images, gan.config.batch_size, shuffle=True, generator=gan.shuffle)
    scores: dict[int, dict[str, float]] = {}
    step = 0
    while step < max(at):
        for batch in loader:
            train_step(gan, batch)
            for ema in averages.values():
                ema.update(gan.G)
            step += 1
            if step in at:
                row = {"raw G": evaluate_generator(gan.G.eval(), n=2000, seed=0)["fd"]}
                gan.G.train()
                for name, ema in averages.items():
                    row[name] = evaluate_generator(ema.generator(), n=2000, seed=0)["fd"]
                scores[step] = row
                print(
                    f"seed {seed} step {step}: "
                    + ", ".join(f"{k} {v:.1f}" for k, v in row.items()),
                    flush=True,
                )
            if step == max(at):
                break
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--at", type=int, nargs="+", default=[2300, 5000, 9500])
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    args = parser.parse_args()
    images, _ = mnist_tensors(train=True)
    runs = {seed: run_seed(seed, sorted(args.at), images) for seed in args.seeds}
    names = ["raw G", *AVERAGES]
    lines = [
        "# EMA choices at fixed step counts",
        "",
        f"Default recipe, seeds {args.seeds}, FD at n = 2,000 (lower is better): mean over the seeds,"
        " then each seed. Written by `experiments/ema_window/run.py`; "
        f"torch {torch.__version__}, {platform.machine()}.",
        "",
    ]
    for step in sorted(args.at):
        lines += [
            f"## After {step:,} G steps",
            "",
            "| average | mean FD | per seed |",
            "|---|---:|---|",
        ]
        for name in names:
            values = [runs[s][step][name] for s in args.seeds]
            per_seed = " ".join(f"{v:.1f}" for v in values)
            lines.append(f"| {name} | {statistics.mean(values):.1f} | {per_seed} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    args.out.write_text(text)


if __name__ == "__main__":
    main()

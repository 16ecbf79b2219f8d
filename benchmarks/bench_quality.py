"""Time to quality: the project's metric against seconds of training, two recipes side by side.

"source" is the recipe of PyTorch-GAN's gan.py (gan_utils.config.CLASSIC: lr 2e-4, Adam betas
(0.5, 0.999), batch 64, no weight averaging) run in our fast loop; "ours" is TrainConfig's defaults. Both train the block GAN
on all of MNIST in the same process, in alternating slices of `--every` seconds, so that load from
other processes hits both alike. After each slice the generator that a run would ship (the EMA where
there is one) is scored at n = 2,000 (seed 0); scoring is not counted as training time.

    python benchmarks/bench_quality.py                        # 180 s each, scored every 10 s
    python benchmarks/bench_quality.py --seconds 60 --every 5 --plot images/quality_vs_time.png

It prints the curve and the seconds each recipe needed to reach FD <= --threshold.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import torch

from gan_utils.config import CLASSIC, TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.evaluation import evaluate_generator
from gan_utils.gan import build_gan, drawing_generator
from gan_utils.training import train

RECIPES = {
    "source": TrainConfig(**CLASSIC),
    "ours": TrainConfig(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="training seconds per recipe")
    parser.add_argument("--every", type=float, default=10.0, help="score after this many seconds")
    parser.add_argument("--threshold", type=float, default=100.0, help="FD to reach (n = 2,000)")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--plot", type=Path, default=None, help="save the curves as a PNG")
    args = parser.parse_args()

    images, _ = mnist_tensors(train=True)
    runs = {
        name: build_gan(TrainConfig(**{**cfg.to_dict(), "epochs": 100_000}))
        for name, cfg in RECIPES.items()
    }
    curves: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
    trained = dict.fromkeys(runs, 0.0)
    while min(trained.values()) < args.seconds - 1e-9:
        for name, gan in runs.items():
            before = sum(gan.history["seconds"])
            train(gan, images=images, progress=False, time_budget=args.every)
            trained[name] += sum(gan.history["seconds"]) - before
            scores = evaluate_generator(drawing_generator(gan), n=args.n, seed=0)
            curves[name].append((trained[name], scores["fd"], scores["digits_covered"]))
            print(
                f"{name:7s} {trained[name]:7.1f} s  FD {scores['fd']:7.1f}  digits {scores['digits_covered']}",
                flush=True,
            )

    print(
        f"\ntorch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}, "
        f"FD at n = {args.n:,} (seed 0), block design, batch and lr as in each recipe"
    )
    for name, cfg in RECIPES.items():
        reached = next((t for t, fd, _ in curves[name] if fd <= args.threshold), None)
        when = f"{reached:.0f} s" if reached is not None else f"not within {args.seconds:.0f} s"
        print(
            f"{name:7s} lr {cfg.lr:g}, batch {cfg.batch_size}, EMA {cfg.ema_decay or 'off'}: "
            f"FD <= {args.threshold:g} after {when}; last FD {curves[name][-1][1]:.1f}"
        )
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        for name, points in curves.items():
            ax.plot(
                [t for t, _, _ in points], [fd for _, fd, _ in points], marker="o", ms=3, label=name
            )
        ax.axhline(args.threshold, color="grey", ls="--", lw=1, label=f"FD {args.threshold:g}")
        ax.set(
            xlabel="seconds of training (2-core CPU)",
            ylabel=f"FD at n = {args.n:,} (lower is better)",
            yscale="log",
        )
        ax.legend()
        ax.grid(alpha=0.3)
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()

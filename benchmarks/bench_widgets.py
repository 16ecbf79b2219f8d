"""Latency of the notebook 06 sliders: from "slider value changed" to "new PNG bytes ready".

Two ways to redraw an 8x8 grid of generated digits when a seed slider moves, timed side by side in
one run, on the CPU (and on CUDA when present):

- ours: `gan_utils.widgets.LatentExplorer`: forward pass, make_grid, nearest-neighbour upscale,
  PIL PNG encode, bytes into one `widgets.Image`;
- reference: the common `interact` way: forward pass, a new matplotlib figure, and the PNG render
  the inline backend does for every redraw (`savefig(format="png", bbox_inches="tight")`).

The slider is a real `ipywidgets.IntSlider`; its observers run synchronously when `.value` is set,
so the time around the assignment is the kernel-side latency (the browser adds the message round
trip, about 0.04-0.08 s in JupyterLab). Run from the repository root:

    .venv/bin/python benchmarks/bench_widgets.py                 # the shipped generator
    .venv/bin/python benchmarks/bench_widgets.py --threads 1     # on a machine shared with others
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")  # what the inline backend renders with, without a display

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from gan_utils.checkpoints import (
    SHIPPED_GENERATOR,  # noqa: E402
    load_generator,  # noqa: E402
)
from gan_utils.plotting import show_images  # noqa: E402
from gan_utils.widgets import LatentExplorer, sample_grid  # noqa: E402


def matplotlib_explorer(G: torch.nn.Module, n: int) -> tuple[widgets.IntSlider, list[bytes]]:
    """The reference: a seed slider whose observer redraws a matplotlib figure to PNG bytes."""
    slider, frames = widgets.IntSlider(value=0, min=0, max=10_000, description="seed"), []

    def redraw(change: dict) -> None:
        images = sample_grid(G, seed=change["new"], n=n)  # (n*n, 1, 28, 28)
        ax = show_images(images, nrow=n, size=7.3)  # ~730 px at dpi 100, like ours (726 px)
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        plt.close(ax.figure)
        frames.append(buffer.getvalue())

    slider.observe(redraw, names="value")
    return slider, frames


def time_updates(slider: widgets.IntSlider, updates: int, warmup: int) -> list[float]:
    """Seconds per `slider.value = new seed`, after `warmup` untimed updates."""
    seconds = []
    for i in range(1, warmup + updates + 1):
        start = time.perf_counter()
        slider.value = i  # a new seed each time: every update really redraws
        if i > warmup:
            seconds.append(time.perf_counter() - start)
    return seconds


def summary(seconds: list[float]) -> tuple[float, float]:
    """(median, 90th percentile) in milliseconds."""
    ms = sorted(1000 * s for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None, help=f"default: {SHIPPED_GENERATOR}")
    parser.add_argument("--grid", type=int, default=8, help="grid size n (n x n digits)")
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"generator: {args.checkpoint or SHIPPED_GENERATOR}")
    print(
        f"torch {torch.__version__}, matplotlib {matplotlib.__version__}, ipywidgets "
        f"{widgets.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{args.grid}x{args.grid} grid, {args.updates} slider updates after {args.warmup} warm-up\n"
    )
    print(f"{'device':<7} {'approach':<42} {'median ms':>9} {'p90 ms':>7} {'PNG kB':>7}")
    for device in devices:
        G = load_generator(args.checkpoint, device=device)
        explorer = LatentExplorer(G, n=args.grid)
        ours = time_updates(explorer.sliders["seed"], args.updates, args.warmup)
        ours_kb = len(explorer.image.value) / 1000
        slider, frames = matplotlib_explorer(G, args.grid)
        reference = time_updates(slider, args.updates, args.warmup)
        rows = [
            ("widgets.Image + PIL PNG (gan_utils.widgets)", ours, ours_kb),
            ("matplotlib figure redraw to PNG (interact)", reference, len(frames[-1]) / 1000),
        ]
        for name, seconds, kb in rows:
            median, p90 = summary(seconds)
            print(f"{device:<7} {name:<42} {median:>9.1f} {p90:>7.1f} {kb:>7.0f}")
        speedup = summary(reference)[0] / summary(ours)[0]
        print(f"{device:<7} -> ours is {speedup:.1f}x faster at the median\n")


if __name__ == "__main__":
    main()

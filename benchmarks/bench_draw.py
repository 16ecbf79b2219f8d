"""Notebook 12's two waits, timed: a drawing's verdict, and the generator's search for it.

For each of the ten sketched digits (`gan_utils.sketches`):

- verdict: what `DigitJudge.update` computes after a stroke (the strokes prepared like MNIST, both
  shipped discriminators, the classifier), in Python; the browser test measures the whole way from
  the stroke's end to the text on screen;
- inversion: `invert(G, drawing)` with its defaults (200 Adam steps on 16 starting noise vectors) on
  the shipped block generator; the time until the best distance first came within 10 % of its final
  value, and the time of the whole search.

    python benchmarks/bench_draw.py            # on the CPU, torch's default threads
    python benchmarks/bench_draw.py --threads 1
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from gan_utils.canvas import DrawCanvas
from gan_utils.checkpoints import SHIPPED_DISCRIMINATORS, load_discriminator, load_generator
from gan_utils.evaluation import default_classifier
from gan_utils.inversion import invert
from gan_utils.judge import DigitJudge
from gan_utils.sketches import SKETCHES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--repeats", type=int, default=20, help="verdicts timed per sketch")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    G = load_generator()
    D = {design: load_discriminator(design=design) for design in SHIPPED_DISCRIMINATORS}
    judge = DigitJudge(D, classifier=default_classifier(), canvas=DrawCanvas())
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores, torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'digit':>5} {'verdict ms':>10} {'distance':>8} {'10 % step':>9} {'to 10 % s':>9} {'search s':>8}"
    )
    verdict_ms, reach_s, total_s = [], [], []
    for digit, strokes in SKETCHES.items():
        judge.canvas.strokes = strokes  # one verdict, then time repeats of it
        times = []
        for _ in range(args.repeats):
            judge.update()
            times.append(1000 * judge.last_verdict_s)
        stamps: list[float] = []
        start = time.perf_counter()
        result = invert(
            G,
            judge.canvas.digit(),
            every=1,
            on_step=lambda *_, t=stamps: t.append(time.perf_counter()),
        )
        total = time.perf_counter() - start
        step = next(s for s, d in enumerate(result.distances, 1) if d <= 1.1 * result.distance)
        reached = stamps[min(step, len(stamps)) - 1] - start
        verdict_ms.append(statistics.median(times))
        reach_s.append(reached)
        total_s.append(total)
        print(
            f"{digit:>5} {verdict_ms[-1]:>10.1f} {result.distance:>8.3f} {step:>9} {reached:>9.2f} {total:>8.2f}",
            flush=True,
        )
    print(
        f"\nmedian: verdict {statistics.median(verdict_ms):.1f} ms in Python; inversion within 10 % "
        f"of its final distance after {statistics.median(reach_s):.2f} s, whole search "
        f"{statistics.median(total_s):.2f} s; load average {os.getloadavg()[0]:.1f} after the run"
    )


if __name__ == "__main__":
    main()

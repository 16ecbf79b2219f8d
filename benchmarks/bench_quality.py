"""Time to quality: training recipes side by side, on several seeds, after the same seconds of training.

Each run trains a fresh GAN, `build_gan(TrainConfig(**recipe, seed=s))`, on all of MNIST for
`--seconds` of training (`train(..., time_budget=...)`), then scores the generator a run would ship
(`drawing_generator`: the EMA where there is one) with `evaluate_generator(G, n=2000, seed=0)`: FD and
digits covered. With `--also 120` the same run trains on to 120 s in total and is scored again. Scoring
is not counted as training time. The seed changes the weights, the noise and the batch order.

Runs are sequential in one process; run it alone on an idle CPU, for example

    flock /tmp/gan_cpu.lock .venv/bin/python benchmarks/bench_quality.py --seconds 60 --seeds 0 1 2
    python benchmarks/bench_quality.py --seconds 10 --seeds 0 --recipes default wgan-gp   # smoke run
    python benchmarks/bench_quality.py --list                                            # the recipes

It prints one line per run, then a table per checkpoint time: mean FD, its min-max and standard
deviation over the seeds, mean digits covered, mean G steps done, and on how many seeds the recipe
scored a lower FD than "default" with the same seed.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass
from typing import Any

#: Named recipes: TrainConfig overrides ({} is TrainConfig's defaults). The first DEFAULT_RECIPES
#: are measured when --recipes is not given; the others are there for reruns.
RECIPES: dict[str, dict[str, Any]] = {
    "default": {},  # since the ema_window study: a power-function EMA, gamma 7
    "wgan-gp": {"loss": "wgan-gp", "lr": 1e-4, "beta1": 0.0, "beta2": 0.9},
    "wgan-gp-5e-4": {"loss": "wgan-gp", "lr": 5e-4, "beta1": 0.5, "beta2": 0.9},
    "hinge": {"loss": "hinge"},
    "least-squares": {"loss": "least-squares"},
    # fixed EMA decays (ema_gamma 0); "ema-0.99" is the default before the ema_window study
    "ema-0.99": {"ema_gamma": 0.0, "ema_decay": 0.99},
    "ema-0.999": {"ema_gamma": 0.0, "ema_decay": 0.999},
    "dcgan": {"design": "dcgan"},
    # not in the default selection
    "saturating": {"loss": "saturating"},
    "classic": {"batch_size": 64, "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "ema_decay": 0.0},
    "batch-64": {"batch_size": 64},
    "ema-0.995": {"ema_gamma": 0.0, "ema_decay": 0.995},
    "ema-0.9995": {"ema_gamma": 0.0, "ema_decay": 0.9995},
    "bfloat16": {"precision": "bfloat16"},
}
DEFAULT_RECIPES = list(RECIPES)[:8]


@dataclass
class Score:
    recipe: str
    seed: int
    target: float  # the checkpoint time asked for (s)
    trained: float  # seconds of training actually done
    g_steps: int
    fd: float
    digits: int
    loss_d: float
    loss_g: float
    note: str = ""


def cpu_name() -> str:
    """The CPU's model name (platform.processor() is empty on many Linux systems)."""
    name = platform.processor()
    if name and name != platform.machine():
        return name
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name or "unknown CPU"


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "n/a"
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
    return " ".join(x for x in wanted if x in flags) or "none of avx2/avx512"


def describe(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in overrides.items()) or "TrainConfig()"


def run_recipe(
    name: str, seed: int, targets: list[float], images: Any, n: int, device: str | None
) -> list[Score]:
    """Train one fresh run to each target time in turn; score the shipped generator at each."""
    from gan_utils.config import TrainConfig
    from gan_utils.evaluation import evaluate_generator
    from gan_utils.gan import build_gan, drawing_generator
    from gan_utils.guard import TrainingDiverged
    from gan_utils.training import train

    gan = build_gan(TrainConfig(**RECIPES[name], seed=seed, epochs=100_000, device=device))
    scores = []
    for target in targets:
        trained = sum(gan.history["seconds"])
        note = ""
        try:
            train(gan, images=images, progress=False, time_budget=target - trained)
        except TrainingDiverged as error:
            note = f"diverged: {str(error).splitlines()[0]}"
        h = gan.history
        trained = sum(h["seconds"])
        if note:
            fd, digits = math.nan, 0
        else:
            result = evaluate_generator(drawing_generator(gan), n=n, seed=0)
            fd, digits = float(result["fd"]), int(result["digits_covered"])
        score = Score(
            name,
            seed,
            target,
            trained,
            int(sum(h["steps"])),
            fd,
            digits,
            h["loss_d"][-1] if h["loss_d"] else math.nan,
            h["loss_g"][-1] if h["loss_g"] else math.nan,
            note,
        )
        scores.append(score)
        print(
            f"{name:16s} seed {seed}  {score.trained:6.1f} s  {score.g_steps:6d} G steps  "
            f"FD {fd:7.1f}  digits {digits:2d}  last loss_d {score.loss_d:8.4f} "
            f"loss_g {score.loss_g:8.4f}  {note}",
            flush=True,
        )
        if note:
            break
    return scores


def table(scores: list[Score], recipes: list[str], seeds: list[int], target: float) -> None:
    """Mean and spread over seeds per recipe, and the seeds on which it beat "default"."""
    at = [s for s in scores if s.target == target]
    default = {s.seed: s.fd for s in at if s.recipe == "default"}
    print(f"\nafter {target:g} s of training, {len(seeds)} seeds ({' '.join(map(str, seeds))})")
    head = (
        f"{'recipe':16s} {'FD mean':>8s} {'min-max':>13s} {'std':>6s} {'digits':>6s} "
        f"{'G steps':>8s}  {'FD per seed':24s} {'beats default'}"
    )
    print(head)
    print("-" * len(head))
    for name in recipes:
        rows = sorted((s for s in at if s.recipe == name), key=lambda s: s.seed)
        if not rows:
            continue
        fds = [s.fd for s in rows]
        finite = [x for x in fds if math.isfinite(x)]
        mean = statistics.fmean(finite) if finite else math.nan
        spread = f"{min(finite):.1f}-{max(finite):.1f}" if finite else "n/a"
        std = statistics.stdev(finite) if len(finite) > 1 else math.nan
        digits = statistics.fmean(s.digits for s in rows)
        steps = statistics.fmean(s.g_steps for s in rows)
        per_seed = " ".join(f"{x:.1f}" for x in fds)
        if name == "default" or not default:
            beats = "-"
        else:
            paired = [(s.fd, default[s.seed]) for s in rows if s.seed in default]
            wins = sum(1 for fd, base in paired if fd < base)
            beats = f"{wins}/{len(paired)} seeds"
        print(
            f"{name:16s} {mean:8.1f} {spread:>13s} {std:6.1f} {digits:6.1f} {steps:8.0f}  "
            f"{per_seed:24s} {beats}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="training seconds per run")
    parser.add_argument(
        "--also",
        type=float,
        nargs="*",
        default=[],
        metavar="S",
        help="train each run on to these totals too (e.g. 120) and score it again",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    parser.add_argument(
        "--recipes",
        nargs="+",
        default=DEFAULT_RECIPES,
        choices=list(RECIPES),
        metavar="NAME",
        help="recipes to run (default: the first 8 of --list)",
    )
    parser.add_argument("--n", type=int, default=2000, help="samples scored per run")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best)")
    parser.add_argument("--list", action="store_true", help="print the recipes and exit")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)  # one thread: a slower machine, fewer steps per minute
    if args.list:
        for name, overrides in RECIPES.items():
            mark = "*" if name in DEFAULT_RECIPES else " "
            print(f"{mark} {name:16s} {describe(overrides)}")
        return
    targets = sorted({args.seconds, *args.also})
    if targets[0] <= 0:
        parser.error("--seconds and --also must be positive.")
    if "default" not in args.recipes:
        args.recipes = ["default", *args.recipes]

    import torch

    from gan_utils.data import mnist_tensors
    from gan_utils.runtime import get_device

    device = get_device(args.device)
    print(
        f"{cpu_name()} ({platform.machine()}, {os.cpu_count()} cores, {cpu_flags()}), "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}, "
        f"load average {load_average()} at start",
        flush=True,
    )
    print(
        f"{len(args.recipes)} recipes x {len(args.seeds)} seeds, trained to "
        f"{' and '.join(f'{t:g}' for t in targets)} s, FD at n = {args.n:,} (seed 0)",
        flush=True,
    )
    for name in args.recipes:
        print(f"  {name:16s} {describe(RECIPES[name])}")
    print(flush=True)
    images, _ = mnist_tensors(train=True)
    start, busy_start, own_start = time.perf_counter(), busy_cpu_seconds(), time.process_time()
    scores: list[Score] = []
    for name in args.recipes:
        for seed in args.seeds:
            scores.extend(run_recipe(name, seed, targets, images, args.n, args.device))
    for target in targets:
        table(scores, args.recipes, args.seeds, target)
    wall, busy = time.perf_counter() - start, busy_cpu_seconds()
    others = ""
    if busy is not None and busy_start is not None:
        other = max(0.0, busy - busy_start - (time.process_time() - own_start))
        others = f", other processes used {other / wall:.2f} cores on average"
    print(f"\nwall time {wall / 60:.1f} min, load average {load_average()} at the end{others}")


if __name__ == "__main__":
    main()

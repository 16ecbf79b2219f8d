"""Training speed in float32 and bfloat16 (`--precision`), side by side in one run.

Each design trains through `gan_utils.training.train` on a real-MNIST subset of `--steps` batches, once
per round in each number format; rounds alternate (float32, bfloat16, float32, ...) so that load from
other processes hits both alike, and the median round is reported. Whether bfloat16 pays depends on
the machine and the design; the script prints which bfloat16 features (AVX-512 BF16, AMX) this CPU has.

    python benchmarks/bench_precision.py                      # CPU (+ CUDA when present)
    python benchmarks/bench_precision.py --designs dcgan --steps 300 --rounds 5
"""

from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

import torch

from gan_utils.config import PRECISIONS, TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.gan import build_gan
from gan_utils.training import train

EPOCH_IMAGES = 60_000


def cpu_features() -> str:
    """The CPU's bfloat16 features, from /proc/cpuinfo (Linux); 'unknown' elsewhere."""
    info = Path("/proc/cpuinfo")
    if not info.exists():
        return "unknown"
    flags = set()
    for line in info.read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
    return " ".join(f for f in wanted if f in flags) or "none of " + ", ".join(wanted)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--designs", nargs="+", default=["block", "dcgan", "cgan"])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=150, help="steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}, "
        f"CPU features: {cpu_features()}"
    )
    print(f"batch {args.batch_size}, {args.steps} steps x {args.rounds} rounds, median round")
    print(f"{'device':<7} {'design':<7} {'precision':<9} {'ms/step':>8} {'s/epoch':>8}")
    for device in devices:
        images, labels = mnist_tensors(train=True, limit=args.steps * args.batch_size)
        for design in args.designs:
            gans = {
                p: build_gan(
                    TrainConfig(
                        design=design, batch_size=args.batch_size, device=device, precision=p
                    )
                )
                for p in PRECISIONS
            }
            times: dict[str, list[float]] = {p: [] for p in PRECISIONS}
            for _ in range(args.rounds + 1):  # the first round warms up and is dropped
                for p, gan in gans.items():
                    train(gan, gan.epoch + 1, images=images, labels=labels, progress=False)
                    times[p].append(gan.history["seconds"][-1] / gan.history["steps"][-1])
            ms = {p: 1000 * statistics.median(t[1:]) for p, t in times.items()}
            for p in PRECISIONS:
                per_epoch = ms[p] / 1000 * EPOCH_IMAGES / args.batch_size
                print(f"{device:<7} {design:<7} {p:<9} {ms[p]:8.1f} {per_epoch:8.0f}")
            print(f"{device:<7} {design:<7} {'speed-up':<9} {ms['float32'] / ms['bfloat16']:7.2f}x")


if __name__ == "__main__":
    main()

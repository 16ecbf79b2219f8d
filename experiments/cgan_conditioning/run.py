"""How should the conditional discriminator see the label? Trains the "cgan" design twice with the
same settings, seed and number of steps, once with each way (gan_utils.conditional), then scores both
EMA generators: FD and digits covered (n = 2,000, the digits 0-9 in turn) and per-digit accuracy (the
share of images asked for K that the classifier reads as K). One JSON line per way is appended to
results.jsonl beside this script; what was found is in README.md beside it.

    python experiments/cgan_conditioning/run.py --epochs 2
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from gan_utils.conditional import CONDITIONINGS, ConditionalDiscriminator
from gan_utils.config import TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.evaluation import evaluate_generator, per_digit_accuracy
from gan_utils.gan import build_gan, drawing_generator
from gan_utils.training import train

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "results.jsonl")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images, labels = mnist_tensors(train=True)
    for conditioning in CONDITIONINGS:
        config = TrainConfig(design="cgan", epochs=args.epochs, device="cpu")
        torch.manual_seed(config.seed)  # the same D weights for both ways where their shapes agree
        D = ConditionalDiscriminator(conditioning=conditioning)
        gan = build_gan(config, D=D)  # G: the config's design, as in every run of this study
        start = time.perf_counter()
        train(gan, images=images, labels=labels, progress=False)
        seconds = time.perf_counter() - start
        G = drawing_generator(gan)
        scores = evaluate_generator(G, n=2000, seed=0)
        accuracy = per_digit_accuracy(G, n_per_digit=500, seed=0)
        row = {
            "conditioning": conditioning,
            "epochs": args.epochs,
            "steps": sum(gan.history["steps"]),
            "train_seconds": round(seconds, 1),
            "fd_n2000": round(scores["fd"], 2),
            "digits_covered": scores["digits_covered"],
            "per_digit_accuracy_n500": [round(a, 3) for a in accuracy],
            "mean_accuracy": round(sum(accuracy) / len(accuracy), 4),
            "worst_digit": int(min(range(10), key=accuracy.__getitem__)),
            "config": config.to_dict(),
            "threads": args.threads,
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        }
        print(json.dumps(row), flush=True)
        with args.out.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

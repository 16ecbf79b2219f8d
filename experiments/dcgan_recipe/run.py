"""Which DCGAN recipe learns best? Trains the "dcgan" design with one change to the players or the
recipe, for the same number of seconds (--seconds) or epochs (--epochs, scored after each), same seed,
then scores the EMA generator: FD and digits covered (n = 2,000). One JSON line per variant is
appended to results.jsonl beside this script; what was found is in README.md beside it.

    python experiments/dcgan_recipe/run.py --seconds 420 g128 g128_d_dropout g256 g256_d_dropout
    python experiments/dcgan_recipe/run.py --epochs 2 g256_d_batchnorm
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from torch import nn

from gan_utils.config import TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.dcgan import DCGANDiscriminator, DCGANGenerator, init_dcgan_weights
from gan_utils.evaluation import TRAINING_N, MetricCallback, evaluate_generator
from gan_utils.gan import build_gan, drawing_generator
from gan_utils.training import train

HERE = Path(__file__).resolve().parent

#: variant name -> (generator channels, discriminator change, TrainConfig changes)
VARIANTS = {
    "g128": ((128, 64), None, {}),
    "g128_d_dropout": ((128, 64), "dropout", {}),
    "g256": ((256, 128), None, {}),  # the package default (DCGANGenerator)
    "g256_d_dropout": ((256, 128), "dropout", {}),
    "g256_d_batchnorm": ((256, 128), "batchnorm", {}),
    "g256_d_spectral_norm": ((256, 128), "spectral_norm", {}),
}


def discriminator(change: str | None) -> DCGANDiscriminator:
    """The DCGAN discriminator without spectral norm, with one change:

    dropout: Dropout(0.3) after each LeakyReLU (as in the TensorFlow DCGAN tutorial);
    batchnorm: BatchNorm2d after the second convolution (as in the DCGAN paper);
    spectral_norm: each weight divided by its largest singular value (the package default).
    """
    if change not in (None, "dropout", "batchnorm", "spectral_norm"):
        raise ValueError(f"unknown discriminator change {change!r}")
    D = DCGANDiscriminator(spectral=change == "spectral_norm")
    layers = []
    for layer in D.net:
        layers.append(layer)
        if change == "dropout" and isinstance(layer, nn.LeakyReLU):
            layers.append(nn.Dropout(0.3))
        if change == "batchnorm" and layer is D.net[2]:
            layers.append(nn.BatchNorm2d(D.channels[1]))
            init_dcgan_weights(layers[-1])
    D.net = nn.Sequential(*layers)
    return D


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", choices=sorted(VARIANTS))
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, default=300, help="train each for this long")
    budget.add_argument(
        "--epochs", type=int, help="train each for this many epochs, scoring after every one"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results.jsonl")
    args = parser.parse_args()
    images, _ = mnist_tensors(train=True)
    for name in args.variants:
        channels, change, changes = VARIANTS[name]
        config = TrainConfig(design="dcgan", epochs=args.epochs or 1000, device="cpu", **changes)
        torch.manual_seed(config.seed)
        G, D = DCGANGenerator(config.latent_dim, channels), discriminator(change)
        gan = build_gan(config, G=G, D=D)  # optimisers and EMA are made for these players
        start = time.perf_counter()
        if args.epochs:  # the trainer's own metric hook scores the EMA generator after every epoch
            train(gan, images=images, progress=False, on_epoch_end=MetricCallback(n=TRAINING_N))
        else:
            train(gan, images=images, progress=False, time_budget=args.seconds)
        seconds = time.perf_counter() - start
        if args.epochs:  # the last epoch's scores are those of the finished run
            scores = {key: gan.history[f"eval_{key}"][-1] for key in ("fd", "digits_covered")}
        else:
            scores = evaluate_generator(drawing_generator(gan), n=TRAINING_N, seed=0)
        row = {
            "variant": name,
            "generator_channels": list(channels),
            "d_change": change,
            "seconds": round(seconds, 1),
            "steps": sum(gan.history["steps"]),
            "fd_n2000": round(scores["fd"], 2),
            **(
                {"fd_n2000_per_epoch": [round(fd, 2) for fd in gan.history["eval_fd"]]}
                if args.epochs
                else {}
            ),
            "digits_covered": int(scores["digits_covered"]),
            "d_real_last_epoch": round(gan.history["d_real"][-1], 3),
            "d_fake_last_epoch": round(gan.history["d_fake"][-1], 3),
            "config": config.to_dict(),
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, "
            f"torch {torch.__version__}",
        }
        print(json.dumps(row), flush=True)
        with args.out.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

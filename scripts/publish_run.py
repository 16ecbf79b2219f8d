"""Publish a finished `python -m gan_utils train` run: store its generator in gan_utils/weights/ (weights in
float16, see experiments/float16) and its pictures to images/ under one name, and draw a fresh sample grid
with the CLI's sampler.

    python scripts/publish_run.py runs/shipped_block block --epochs 1 5 30

With --discriminator it also stores the run's last discriminator (checkpoint.pt) as
gan_utils/weights/discriminator_NAME.pt (notebook 12). It writes images/progress_NAME.gif, losses_NAME.png, NAME_epoch_EEE.png for each --epochs and
samples_NAME.png. Show each in README.md, a notebook or gan_utils/weights/README.md, or delete it:
tests/test_assets.py fails on an image that nothing references.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch

from gan_utils.checkpoints import (
    load_checkpoint,
    load_discriminator,
    load_generator,
    save_discriminator,
    save_generator,
)
from gan_utils.evaluation import generate_images
from gan_utils.models import is_conditional
from gan_utils.runs import write_samples

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "run", type=Path, help="the run's folder (has generator.pt, samples/, progress.gif)"
    )
    parser.add_argument("name", help="suffix of the published files, e.g. block")
    parser.add_argument(
        "--epochs", type=int, nargs="+", default=[1, 5], help="sample grids to publish"
    )
    parser.add_argument(
        "--discriminator",
        action="store_true",
        help="also store the run's discriminator as discriminator_NAME.pt",
    )
    args = parser.parse_args()
    run, images, ckpts = args.run, ROOT / "images", ROOT / "gan_utils" / "weights"
    images.mkdir(exist_ok=True)
    ckpts.mkdir(exist_ok=True)
    meta = load_checkpoint(run / "generator.pt")["meta"]
    G = load_generator(run / "generator.pt")
    save_generator(
        G,
        ckpts / f"generator_{args.name}.pt",
        half=True,
        **{**meta, "stored_as": "float16 (experiments/float16)"},
    )
    if args.discriminator:
        save_discriminator(
            load_discriminator(run / "checkpoint.pt"),
            ckpts / f"discriminator_{args.name}.pt",
            half=True,
            **{**meta, "stored_as": "float16 (experiments/float16)"},
        )
    shutil.copyfile(run / "progress.gif", images / f"progress_{args.name}.gif")
    shutil.copyfile(run / "losses.png", images / f"losses_{args.name}.png")
    for epoch in args.epochs:
        shutil.copyfile(
            run / "samples" / f"epoch_{epoch:03d}.png",
            images / f"{args.name}_epoch_{epoch:03d}.png",
        )
    G = load_generator(ckpts / f"generator_{args.name}.pt")
    n, nrow = (100, 10) if is_conditional(G) else (64, 8)  # conditional: column k is digit k
    write_samples(generate_images(G, n, seed=0), images / f"samples_{args.name}.png", nrow=nrow)
    print(
        f"published {args.name}: {meta['epochs']} epochs, {meta['seconds']:.0f} s on {meta['device']}, "
        f"{(ckpts / f'generator_{args.name}.pt').stat().st_size / 1e6:.1f} MB, torch {torch.__version__}"
    )


if __name__ == "__main__":
    main()

"""Command line: `python -m gan_utils train ...` and `python -m gan_utils sample ...` (notebook 05)."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

import torch

from gan_utils.checkpoints import CheckpointError, load_generator, save_generator
from gan_utils.data import MNISTNotFoundError
from gan_utils.models import generate_images
from gan_utils.plotting import save_grid
from gan_utils.runtime import get_device


def write_samples(images: torch.Tensor, out: Path, nrow: int | None = None) -> Path:
    """Save images as a PNG grid (.png) or as a tensor file (.pt)."""
    if out.suffix == ".png":
        return save_grid(images, out, nrow=nrow or math.ceil(math.sqrt(len(images))))
    if out.suffix == ".pt":
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(images.contiguous(), out)
        return out
    raise ValueError(f"--out must end in .png (an image grid) or .pt (a tensor), got {out.name!r}.")


def cmd_sample(args: argparse.Namespace) -> None:
    G = load_generator(args.checkpoint, device=get_device(args.device))
    images = generate_images(G, args.n, seed=args.seed)
    path = write_samples(images, Path(args.out), nrow=args.nrow)
    print(f"wrote {len(images)} images {tuple(images.shape[1:])} to {path}")


def cmd_train(args: argparse.Namespace) -> None:
    from gan_utils.plotting import make_gif, plot_losses
    from gan_utils.training import TrainConfig, build_gan, resume_gan, train

    out = Path(args.out)
    ckpt = out / "checkpoint.pt"
    if args.resume and ckpt.exists():
        gan = resume_gan(ckpt, device=args.device)
        print(f"resuming {ckpt} at epoch {gan.epoch}")
    else:
        if ckpt.exists() and not args.overwrite:
            raise SystemExit(
                f"{ckpt} exists: pass --resume to continue it or --overwrite to start again."
            )
        gan = build_gan(TrainConfig(**{f.name: getattr(args, f.name) for f in config_fields()}))
    metric = None
    if args.eval_every:
        from gan_utils.evaluation import MetricCallback  # only then load the classifier

        metric = MetricCallback(every=args.eval_every, out_dir=out)
    print(f"training a {gan.config.design!r} GAN on {gan.device} for {args.epochs} epochs -> {out}")
    history = train(gan, epochs=args.epochs, out_dir=out, on_epoch_end=metric)
    frames = sorted((out / "samples").glob("epoch_*.png"))
    make_gif(frames, out / "progress.gif")
    ax = plot_losses(history)
    ax.figure.savefig(out / "losses.png", dpi=120, bbox_inches="tight")
    save_generator(
        gan.G,
        out / "generator.pt",
        epochs=gan.epoch,
        config=gan.config.to_dict(),
        seconds=float(sum(history["seconds"])),
        device=str(gan.device),
    )
    print(
        f"done: epoch {gan.epoch}, {sum(history['seconds']):.0f} s of training; wrote "
        f"{out / 'generator.pt'}, {out / 'progress.gif'}, {out / 'losses.png'}"
    )


def config_fields() -> list[dataclasses.Field]:
    from gan_utils.training import TrainConfig

    return list(dataclasses.fields(TrainConfig))


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field: --batch-size for batch_size, with its default and help."""
    types = {"int": int, "float": float, "str": str}
    for f in config_fields():
        kind = types[str(f.type).split("|")[0].strip()]  # "int | None" -> int
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            type=kind,
            default=f.default,
            choices=f.metadata.get("choices"),
            help=f.metadata["help"] + ("" if f.default is None else f" (default: {f.default})"),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gan_utils", description="Train a GAN on MNIST or sample from one."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser(
        "train", help="train (or resume) a GAN; writes checkpoint, samples, GIF, loss plot"
    )
    add_config_flags(t)
    t.add_argument(
        "--eval-every", type=int, default=0, help="classifier metric every N epochs (0: off)"
    )
    t.add_argument("--out", default="runs/train", help="folder for checkpoint.pt, samples/, GIF")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument(
        "--overwrite", action="store_true", help="start again even if OUT/checkpoint.pt exists"
    )
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="write N generated images as a PNG grid or a .pt tensor")
    s.add_argument(
        "--checkpoint",
        default=None,
        help="generator or training checkpoint (default: the shipped one)",
    )
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--out",
        required=True,
        help="FILE.png (grid) or FILE.pt (tensor N x 1 x 28 x 28 in [-1, 1])",
    )
    s.add_argument("--nrow", type=int, default=None, help="images per row in a PNG grid")
    s.add_argument("--device", default=None)
    s.set_defaults(func=cmd_sample)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (CheckpointError, MNISTNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0

"""Command line: `python -m gan_utils train ...` and `python -m gan_utils sample ...` (notebook 05).

A mistake ends in one line on stderr, "error: what was wrong; what to do", and exit status 2; Ctrl+C
ends in one line saying what was kept, and exit status 130. `--debug` (or GAN_DEBUG=1) shows the
traceback instead. Arguments are checked before any work starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import math
import os
import re
import sys
from pathlib import Path

import torch

from gan_utils.checkpoints import (
    FORMAT,
    SHIPPED_DESIGNS,
    load_generator,
    save_generator,
    shipped_generator_file,
)
from gan_utils.files import atomic_write
from gan_utils.models import generate_images, is_conditional
from gan_utils.plotting import save_grid
from gan_utils.runtime import get_device

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130
#: Upper bound of `sample --n`: 100,000 images are 314 MB as float32.
MAX_SAMPLES = 100_000
DEBUG_ENV = "GAN_DEBUG"


class UsageError(Exception):
    """A mistake in the command line; the message says what to do."""


class _Interrupted(Exception):
    """Ctrl+C, with the sentence that says what was kept."""


def _check_sample_path(out: Path) -> None:
    if out.suffix not in (".png", ".pt"):
        raise ValueError(
            f"--out must end in .png (an image grid) or .pt (a tensor), got {out.name!r}."
        )


def write_samples(images: torch.Tensor, out: Path, nrow: int | None = None) -> Path:
    """Save images atomically as a PNG grid (.png) or as a tensor file (.pt)."""
    _check_sample_path(out)
    if out.suffix == ".png":
        return save_grid(images, out, nrow=nrow or math.ceil(math.sqrt(len(images))))
    return atomic_write(out, lambda f: torch.save(images.contiguous(), f))


def _check_device(name: str | None) -> torch.device:
    try:
        return get_device(name)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise UsageError(
            f"--device {name!r} cannot be used ({first}). Use cpu, cuda or mps, or leave "
            "--device out to pick the best available."
        ) from None


def _is_gan_checkpoint(path: Path) -> bool:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return False
    return isinstance(state, dict) and state.get("format") == FORMAT


def cmd_sample(args: argparse.Namespace) -> None:
    out = Path(args.out)
    _check_sample_path(out)
    if not 1 <= args.n <= MAX_SAMPLES:
        raise UsageError(f"--n must be from 1 to {MAX_SAMPLES:,}, got {args.n}.")
    if args.nrow is not None and not 1 <= args.nrow <= args.n:
        raise UsageError(f"--nrow must be from 1 to --n ({args.n}), got {args.nrow}.")
    if args.seed < 0:
        raise UsageError(f"--seed must be 0 or more, got {args.seed}.")
    if args.digit is not None and not 0 <= args.digit <= 9:
        raise UsageError(f"--digit must be from 0 to 9, got {args.digit}.")
    if args.checkpoint is not None and out.resolve() == Path(args.checkpoint).resolve():
        raise UsageError(f"--out {out} is the checkpoint being read: choose another file name.")
    if out.is_file() and _is_gan_checkpoint(out):
        raise UsageError(
            f"--out {out} is a gan-mnist checkpoint: sample will not write over it. Choose another "
            "file name."
        )
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: give a file name ending in .png or .pt.")
    from gan_utils.run_folder import check_writable

    check_writable(out.parent if str(out.parent) else Path("."), "--out's folder")
    if args.checkpoint is not None and args.shipped is not None:
        raise UsageError("give --checkpoint FILE or --shipped DESIGN, not both.")
    source = args.checkpoint
    if args.shipped is not None:
        source = shipped_generator_file(args.shipped)
    G = load_generator(source, device=_check_device(args.device))
    if args.digit is not None and not is_conditional(G):
        raise UsageError(
            f"--digit needs a conditional generator, and {source or 'the shipped block generator'} "
            f"(design {G.design!r}) is not one: it draws whatever digit its noise gives. Use "
            "--shipped cgan or the --checkpoint of a conditional run (train --design cgan), or "
            "leave --digit out."
        )
    images = generate_images(G, args.n, seed=args.seed, labels=args.digit)
    nrow = args.nrow or (10 if is_conditional(G) and args.digit is None and args.n >= 10 else None)
    path = write_samples(images, out, nrow=nrow)
    what = f"of digit {args.digit} " if args.digit is not None else ""
    if is_conditional(G) and args.digit is None:
        what = "(digits 0-9 in turn) "
    print(f"wrote {len(images)} images {what}{tuple(images.shape[1:])} to {path}")


def cmd_train(args: argparse.Namespace) -> None:
    from gan_utils.config import TrainConfig
    from gan_utils.run_folder import RunLock, check_writable

    given = {f.name: getattr(args, f.name) for f in config_fields() if hasattr(args, f.name)}
    if args.resume and args.overwrite:
        raise UsageError("--resume continues a run and --overwrite replaces it: give one of them.")
    if args.eval_every < 0:
        raise UsageError(f"--eval-every must be 0 (off) or more, got {args.eval_every}.")
    out = Path(args.out)
    ckpt = out / "checkpoint.pt"
    if args.resume and not ckpt.is_file():
        raise UsageError(
            f"--resume: there is no {ckpt} to continue. Check --out, or start a new run without --resume."
        )
    if not args.resume and ckpt.exists() and not args.overwrite:
        raise UsageError(
            f"{ckpt} exists: pass --resume to continue it or --overwrite to start again."
        )
    config = None if args.resume else TrainConfig(**given)  # checks every option before any work
    _check_device(given.get("device"))
    check_writable(out)
    with RunLock(out):
        state = {
            "kept": f"{ckpt} still holds the earlier run" if ckpt.exists() else "nothing was kept"
        }
        try:
            _train_in(out, args, given, config, state)
        except KeyboardInterrupt:
            raise _Interrupted(state["kept"]) from None


def _holds(ckpt: Path, epoch: int | None) -> str:
    return f"{ckpt} holds epoch {epoch} (continue with --resume)"


def _train_in(out: Path, args: argparse.Namespace, given: dict, config, state: dict) -> None:
    """The run itself, inside the folder's lock; `state["kept"]` always says what is on disk."""
    from gan_utils.checkpoints import resume_gan
    from gan_utils.gan import build_gan, change_options, drawing_generator
    from gan_utils.plotting import make_gif, plot_losses
    from gan_utils.run_folder import clear_artifacts, remove_leftovers
    from gan_utils.training import train

    ckpt = out / "checkpoint.pt"
    remove_leftovers(out)
    if args.resume:
        gan = resume_gan(ckpt, device=given.get("device"))
        state["kept"] = _holds(ckpt, gan.saved_epoch)
        changed = change_options(gan, **{k: v for k, v in given.items() if k != "device"})
        note = "; ".join(f"{k} {old} -> {new}" for k, (old, new) in changed.items())
        print(f"resuming {ckpt} at epoch {gan.epoch}" + (f"; changed: {note}" if note else ""))
    else:
        gan = build_gan(config)
    metric = None
    if args.eval_every:
        from gan_utils.evaluation import MetricCallback  # only then load the classifier

        metric = MetricCallback(every=args.eval_every, out_dir=out)
    target, fresh = gan.config.epochs, not args.resume

    def on_epoch_end(gan, samples) -> None:
        nonlocal fresh
        if fresh:  # the new run has really started: now the old run's pictures may go
            clear_artifacts(out)
            fresh = False
        if metric is not None:
            metric(gan, samples)
        h = gan.history
        print(
            f"epoch {gan.epoch}/{target}: loss_d {h['loss_d'][-1]:.3f}, loss_g {h['loss_g'][-1]:.3f}, "
            f"D(x) {h['d_real'][-1]:.2f}, D(G(z)) {h['d_fake'][-1]:.2f}, {h['seconds'][-1]:.1f} s",
            flush=True,
        )

    budget = gan.config.time_budget
    limit = f"{target} epochs" + (f" or {budget:g} s, whichever comes first" if budget else "")
    print(f"training a {gan.config.design!r} GAN on {gan.device} for {limit} -> {out}")
    try:
        history = train(
            gan, epochs=target, out_dir=out, on_epoch_end=on_epoch_end, interrupt="raise"
        )
    finally:
        if gan.saved_epoch:
            state["kept"] = _holds(ckpt, gan.saved_epoch)
    frames = sorted((out / "samples").glob("epoch_*.png"))
    make_gif(frames, out / "progress.gif")
    ax = plot_losses(history)
    ax.figure.savefig(out / "losses.png", dpi=120, bbox_inches="tight")
    save_generator(
        drawing_generator(gan),  # the EMA when the run keeps one
        out / "generator.pt",
        epochs=gan.epoch,
        config=gan.config.to_dict(),
        seconds=float(sum(history["seconds"])),
        device=str(gan.device),
        weights="ema" if gan.ema is not None else "raw",
    )
    print(
        f"done: epoch {gan.epoch}, {sum(history['seconds']):.0f} s of training; wrote "
        f"{out / 'generator.pt'}, {out / 'progress.gif'}, {out / 'losses.png'}"
    )


def config_fields() -> list[dataclasses.Field]:
    from gan_utils.config import TrainConfig

    return list(dataclasses.fields(TrainConfig))


def add_config_flags(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """One flag per TrainConfig field: --batch-size for batch_size, with its default and help.

    suppress=True leaves flags that were not given out of the namespace (how --resume knows which
    options the user changed).
    """
    types = {"int": int, "float": float, "str": str}
    for f in config_fields():
        kind = types[str(f.type).split("|")[0].strip()]  # "int | None" -> int
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            type=kind,
            default=argparse.SUPPRESS if suppress else f.default,
            choices=f.metadata.get("choices"),
            help=f.metadata["help"] + ("" if f.default is None else f" (default: {f.default})"),
        )


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (what was wrong, and where help is) and exit status 2."""

    def error(self, message: str) -> None:
        self.exit(EXIT_ERROR, f"error: {message}; see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m gan_utils", description="Train a GAN on MNIST or sample from one."
    )
    debug = _Parser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", help=f"show tracebacks (or set {DEBUG_ENV}=1)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser(
        "train",
        parents=[debug],
        help="train (or resume) a GAN; writes checkpoint, samples, GIF, loss plot",
    )
    add_config_flags(t, suppress=True)
    t.add_argument(
        "--eval-every", type=int, default=0, help="classifier metric every N epochs (0: off)"
    )
    t.add_argument("--out", default="runs/train", help="folder for checkpoint.pt, samples/, GIF")
    t.add_argument(
        "--resume", action="store_true", help="continue OUT/checkpoint.pt; flags given change it"
    )
    t.add_argument(
        "--overwrite", action="store_true", help="start again even if OUT/checkpoint.pt exists"
    )
    t.set_defaults(func=cmd_train)

    s = sub.add_parser(
        "sample", parents=[debug], help="write N generated images as a PNG grid or a .pt tensor"
    )
    s.add_argument(
        "--checkpoint",
        default=None,
        help="generator or training checkpoint (default: the shipped block generator)",
    )
    s.add_argument(
        "--shipped",
        default=None,
        choices=SHIPPED_DESIGNS,
        help="use the generator of this design that ships with the package",
    )
    s.add_argument("--n", type=int, default=64, help=f"how many images, up to {MAX_SAMPLES:,}")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--out",
        required=True,
        help="FILE.png (grid) or FILE.pt (tensor N x 1 x 28 x 28 in [-1, 1])",
    )
    s.add_argument("--nrow", type=int, default=None, help="images per row in a PNG grid")
    s.add_argument(
        "--digit",
        type=int,
        default=None,
        help="0-9: ask a conditional generator (design cgan) for this digit (default: 0-9 in turn)",
    )
    s.add_argument("--device", default=None)
    s.set_defaults(func=cmd_sample)
    return parser


def describe(exc: BaseException) -> str:
    """One line: the message of a known error, or the type and message of an unexpected one."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        text = (
            f"the disk is full ({exc.filename or 'while writing'}): free some space or choose "
            "another --out; files already written, such as the last checkpoint, are intact."
        )
    elif isinstance(exc, OSError) and exc.strerror and not str(exc).startswith("--"):
        text = f"{exc.strerror}: {exc.filename or ''}".rstrip(": ")
    else:
        text = str(exc) or type(exc).__name__
    lines = (re.sub(r"^\s*- ", "", line).strip() for line in text.splitlines())  # drop bullets
    return " ".join(line for line in lines if line)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        args.func(args)
    except _Interrupted as stop:
        print(f"interrupted: {stop}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted: nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        print(f"error: {describe(exc)}", file=sys.stderr)
        return EXIT_ERROR
    return 0

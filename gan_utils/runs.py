"""What `python -m gan_utils train|sample` does, as functions a notebook can call too (notebook 05).

    from gan_utils.config import TrainConfig
    from gan_utils.runs import train_into

    gan = train_into("runs/block", TrainConfig(epochs=5))                # a new run
    gan = train_into("runs/block", resume=True, changes={"epochs": 10})  # five epochs more

A run folder holds checkpoint.pt, samples/epoch_NNN.png, progress.gif, losses.png and generator.pt.
Its safety (one run per folder, old pictures removed late) lives beside it, in gan_utils.run_folder.
A mistake found before any work raises UsageError; Ctrl+C raises RunInterrupted, which says what is
on disk.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch

from gan_utils.checkpoints import (
    FORMAT,
    load_generator,
    resume_gan,
    save_generator,
    shipped_generator_file,
)
from gan_utils.config import TrainConfig
from gan_utils.files import atomic_write
from gan_utils.gan import GAN, build_gan, change_options, drawing_generator
from gan_utils.models import generate_images, is_conditional
from gan_utils.plotting import make_gif, plot_losses, save_grid
from gan_utils.run_folder import RunLock, check_writable, clear_artifacts, remove_leftovers
from gan_utils.runtime import get_device
from gan_utils.training import train

#: Upper bound of `sample_into`'s n: 100,000 images are 314 MB as float32.
MAX_SAMPLES = 100_000


class UsageError(ValueError):
    """A mistake in what was asked, found before any work; the message says what to do."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl+C during `train_into`; the message says what is on disk."""


def check_device(name: str | None) -> torch.device:
    """The device `name` asks for, or UsageError saying why it cannot be used."""
    try:
        device = get_device(name)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(
            f"device {name!r} cannot be used ({str(exc).splitlines()[0]}). Use cpu, cuda or mps, "
            "or leave the device out to pick the best available."
        ) from None
    return device


# ------------------------------------------------------------------------- train into a folder
def train_into(
    out: str | os.PathLike,
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    changes: dict[str, Any] | None = None,
    eval_every: int = 0,
    device: str | None = None,
    progress: bool = True,
) -> GAN:
    """Train a run into the folder `out` and leave a whole run there; returns the GAN (notebook 05).

    A new run trains `config` (default: TrainConfig()); overwrite=True replaces a run already in
    `out`. resume=True continues out/checkpoint.pt, applying `changes` (e.g. {"epochs": 30,
    "lr": 1e-4}) and recording them in its history. eval_every=N scores the generator every N
    epochs and keeps the best as best_generator.pt. `device` overrides the config's.
    """
    out = Path(out)
    ckpt = out / "checkpoint.pt"
    config = _check_request(out, config, resume, overwrite, changes or {}, eval_every, device)
    earlier_run = ckpt.exists()
    with RunLock(out):
        gan = None
        try:
            remove_leftovers(out)
            if resume:
                gan = resume_gan(ckpt, device=device)
                _apply(gan, changes or {}, ckpt)
            else:
                gan = build_gan(config)
            _train(gan, out, eval_every, progress)
        except KeyboardInterrupt:
            if gan is not None and gan.saved_epoch:
                kept = f"{ckpt} holds epoch {gan.saved_epoch}: continue with --resume (resume=True)"
            else:
                kept = f"{ckpt} still holds the earlier run" if earlier_run else "nothing was kept"
            raise RunInterrupted(kept) from None
    return gan


def _check_request(out, config, resume, overwrite, changes, eval_every, device):
    """Every check that needs no work; returns the config of a new run (None: resume)."""
    ckpt = out / "checkpoint.pt"
    if resume and overwrite:
        raise UsageError("resume continues a run and overwrite replaces it: give one of them.")
    if resume and config is not None:
        raise UsageError("a resumed run keeps its own config: give what should change as changes=.")
    if changes and not resume:
        raise UsageError("changes= apply to a resumed run: put a new run's options in its config.")
    options = {f.name for f in dataclasses.fields(TrainConfig)}
    if set(changes) - options:
        raise UsageError(f"no such options {sorted(set(changes) - options)}: see TrainConfig.")
    if not isinstance(eval_every, int) or isinstance(eval_every, bool) or eval_every < 0:
        raise UsageError(f"eval_every must be 0 (off) or a positive int, got {eval_every!r}.")
    if config is not None and not isinstance(config, TrainConfig):
        raise UsageError(f"config must be a TrainConfig, got {type(config).__name__}.")
    if resume and not ckpt.is_file():
        raise UsageError(
            f"there is no {ckpt} to resume. Check the folder (--out), or start a new run without "
            "--resume."
        )
    if not resume and ckpt.exists() and not overwrite:
        raise UsageError(
            f"{ckpt} exists: resume it (--resume, resume=True) or start again (--overwrite, "
            "overwrite=True)."
        )
    if not resume:
        config = config or TrainConfig()
        config = dataclasses.replace(config, device=device) if device else config
    check_device(device or (config.device if config else None))
    try:
        check_writable(out)
    except OSError as exc:
        raise UsageError(str(exc)) from None
    return config


def _apply(gan: GAN, changes: dict[str, Any], ckpt: Path) -> None:
    """Apply the changes to a resumed run and say what changed."""
    try:
        changed = change_options(gan, **changes)
    except ValueError as exc:  # a fixed option, or a value TrainConfig refuses
        raise UsageError(str(exc)) from None
    note = "; ".join(f"{k} {old} -> {new}" for k, (old, new) in changed.items())
    print(f"resuming {ckpt} at epoch {gan.epoch}" + (f"; changed: {note}" if note else ""))


def _train(gan: GAN, out: Path, eval_every: int, progress: bool) -> None:
    """Train to config.epochs, one line per epoch, then write the GIF, the loss plot, generator.pt."""
    metric = None
    if eval_every:
        from gan_utils.evaluation import MetricCallback  # only then load the classifier

        metric = MetricCallback(every=eval_every, out_dir=out)
    target = gan.config.epochs

    def on_epoch_end(gan: GAN, samples: torch.Tensor) -> None:
        if gan.saved_epoch is None:  # a new run's first epoch: now the old run's pictures may go
            clear_artifacts(out)
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
    print(f"training a {gan.config.design!r} GAN on {gan.device} for {limit} -> {out}", flush=True)
    history = train(
        gan, out_dir=out, on_epoch_end=on_epoch_end, progress=progress, interrupt="raise"
    )
    frames = sorted((out / "samples").glob("epoch_*.png"))
    if frames:
        make_gif(frames, out / "progress.gif")
    figure = plot_losses(history).figure
    atomic_write(
        out / "losses.png", lambda f: figure.savefig(f, format="png", dpi=120, bbox_inches="tight")
    )
    plt.close(figure)  # a notebook shows no stray copy of it
    seconds = float(sum(history["seconds"]))
    save_generator(
        drawing_generator(gan),  # the EMA when the run keeps one
        out / "generator.pt",
        epochs=gan.epoch,
        config=gan.config.to_dict(),
        seconds=seconds,
        device=str(gan.device),
        weights="ema" if gan.ema is not None else "raw",
    )
    print(
        f"done: epoch {gan.epoch}, {seconds:.0f} s of training; wrote {out / 'generator.pt'}, "
        f"{out / 'progress.gif'}, {out / 'losses.png'}",
        flush=True,
    )


# ---------------------------------------------------------------------- sample into a file
def write_samples(images: torch.Tensor, out: str | os.PathLike, nrow: int | None = None) -> Path:
    """Save images atomically as a PNG grid (.png) or as a tensor file (.pt) (notebook 06)."""
    out = Path(out)
    _check_sample_path(out)
    if out.suffix == ".png":
        return save_grid(images, out, nrow=nrow or math.ceil(math.sqrt(len(images))))
    return atomic_write(out, lambda f: torch.save(images.contiguous(), f))


def _check_sample_path(out: Path) -> None:
    if out.suffix not in (".png", ".pt"):
        raise UsageError(
            f"--out must end in .png (an image grid) or .pt (a tensor), got {out.name!r}."
        )


def sample_into(
    out: str | os.PathLike,
    checkpoint: str | os.PathLike | None = None,
    shipped: str | None = None,
    n: int = 64,
    seed: int = 0,
    digit: int | None = None,
    nrow: int | None = None,
    device: str | None = None,
) -> Path:
    """Draw `n` images into `out` (.png grid or .pt tensor) from a `checkpoint`, the `shipped`
    generator of a design, or the shipped block generator; never over a checkpoint (notebook 06).

    `digit` asks a conditional generator (design cgan) for one digit; by default it draws 0-9 in turn.
    """
    out = Path(out)
    _check_sample_path(out)
    if checkpoint is not None and shipped is not None:
        raise UsageError(
            "give a checkpoint (--checkpoint) or a shipped design (--shipped), not both."
        )
    if not 1 <= n <= MAX_SAMPLES:
        raise UsageError(f"n must be from 1 to {MAX_SAMPLES:,}, got {n}.")
    if nrow is not None and not 1 <= nrow <= n:
        raise UsageError(f"nrow must be from 1 to n ({n}), got {nrow}.")
    if digit is not None and digit not in range(10):
        raise UsageError(f"digit must be from 0 to 9, got {digit!r}.")
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise UsageError(f"there is no checkpoint at {checkpoint}: check --checkpoint.")
    if out.is_file() and _is_gan_checkpoint(out):
        raise UsageError(
            f"--out {out} is a gan-mnist checkpoint: sample will not write over it. Choose another "
            "file name."
        )
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: give a file name ending in .png or .pt.")
    try:
        check_writable(out.parent, "--out's folder")
    except OSError as exc:
        raise UsageError(str(exc)) from None
    torch_device = check_device(device)
    source = shipped_generator_file(shipped) if shipped is not None else checkpoint
    G = load_generator(source, device=torch_device)
    if digit is not None and not is_conditional(G):
        raise UsageError(
            f"--digit needs a conditional generator, and {source or 'the shipped block generator'} "
            f"(design {G.design!r}) is not one: it draws whatever digit its noise gives. Use "
            "--shipped cgan or the --checkpoint of a conditional run (train --design cgan), or "
            "leave --digit out."
        )
    images = generate_images(G, n, seed=seed, labels=digit)
    in_turn = is_conditional(G) and digit is None
    path = write_samples(images, out, nrow=nrow or (10 if in_turn and n >= 10 else None))
    what = f"of digit {digit} " if digit is not None else "(digits 0-9 in turn) " if in_turn else ""
    print(f"wrote {len(images)} images {what}{tuple(images.shape[1:])} to {path}")
    return path


def _is_gan_checkpoint(path: Path) -> bool:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return False
    return isinstance(state, dict) and state.get("format") == FORMAT

"""The training loop (notebook 05_training; also `python -m gan_utils train`).

`train(gan)` plays `train_step` (gan_utils.steps) over fast in-memory batches, epoch after epoch. After
each epoch it records the mean losses in `gan.history`, draws the fixed noise and, given an
`out_dir`, saves a sample grid and a checkpoint to resume from (gan_utils.checkpoints). A divergence
guard (gan_utils.guard) stops a run whose losses blow up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from tqdm.auto import tqdm

from gan_utils.checkpoints import save_checkpoint, training_state
from gan_utils.data import InMemoryLoader, mnist_tensors
from gan_utils.gan import GAN, HISTORY_KEYS, fixed_samples, sample_columns
from gan_utils.guard import check_health
from gan_utils.models import is_conditional
from gan_utils.plotting import save_grid
from gan_utils.steps import train_step


def train(
    gan: GAN,
    epochs: int | None = None,
    out_dir: str | Path | None = None,
    images: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    on_epoch_end: Callable[[GAN, torch.Tensor], None] | None = None,
    progress: bool = True,
    check_every: int = 100,
    interrupt: str = "return",
    time_budget: float | None = None,
) -> dict[str, list]:
    """Train until `gan.epoch == epochs` (default: config.epochs), saving after every epoch (notebook 05).

    In `out_dir` (if given): checkpoint.pt (atomic, resumable), samples/epoch_NNN.png of the fixed noise.
    `on_epoch_end(gan, samples)` runs after every epoch, before the checkpoint is written: a live
    plot, or `gan_utils.evaluation.MetricCallback` for the metric.
    `time_budget` (default: config.time_budget) stops training once that many seconds have passed,
    at the end of a step; that last epoch is shorter, and is saved like the others.
    Interrupting (Ctrl+C, or the stop button in Jupyter) says which epoch is on disk and returns
    (interrupt="raise": re-raises KeyboardInterrupt). Losses that blow up raise TrainingDiverged.
    """
    if interrupt not in ("return", "raise"):
        raise ValueError(f'interrupt must be "return" or "raise", got {interrupt!r}.')
    cfg = gan.config
    epochs = cfg.epochs if epochs is None else epochs
    budget = cfg.time_budget if time_budget is None else time_budget
    out_dir = Path(out_dir) if out_dir is not None else None
    conditional = is_conditional(gan.G)
    if images is None:
        images, labels = mnist_tensors(
            train=True, root=cfg.data_root, device=gan.device, limit=cfg.limit
        )
    elif conditional and labels is None:
        raise ValueError("A conditional GAN trains on images and their labels: pass labels=.")
    loader = InMemoryLoader(  # each step takes d_steps batches: one per D update
        images.to(gan.device),
        cfg.batch_size * gan.d_steps,
        shuffle=True,
        generator=gan.shuffle,
        labels=labels if conditional else None,
    )
    if gan.epoch >= epochs:
        return gan.history
    bar = tqdm(
        total=(epochs - gan.epoch) * len(loader), disable=not progress, unit="step", desc="training"
    )
    deadline = time.perf_counter() + budget if budget is not None else math.inf
    # bfloat16: convolutions and matrix products run in bfloat16 (faster only on some hardware and
    # designs); weights, optimiser state, losses and EMA stay float32.
    autocast = torch.autocast(
        gan.device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bfloat16"
    )
    try:
        while gan.epoch < epochs and time.perf_counter() < deadline:
            start = time.perf_counter()
            sums = torch.zeros(4, device=gan.device)  # loss_d, loss_g, D(x), D(G(z)) summed
            checked, checked_step = sums.clone(), 0
            for step, batch in enumerate(loader, 1):
                with autocast:
                    sums += train_step(gan, *batch) if conditional else train_step(gan, batch)
                out_of_time = time.perf_counter() >= deadline
                if step % check_every == 0 or step == len(loader) or out_of_time:
                    check_health(sums - checked, step - checked_step, gan, step)
                    checked, checked_step = sums.clone(), step
                bar.update()
                if out_of_time:  # a shorter last epoch: end on this finished step
                    break
            gan.epoch += 1
            means = (sums / step).tolist()
            row = [*means, time.perf_counter() - start, step]
            for key, value in zip(HISTORY_KEYS, row, strict=True):
                gan.history[key].append(value)
            samples = fixed_samples(gan)
            try:  # the callback first, so what it logs is in the checkpoint
                if on_epoch_end is not None:
                    on_epoch_end(gan, samples)
            finally:  # the finished epoch is saved even when the callback is interrupted
                if out_dir is not None:
                    grid = out_dir / "samples" / f"epoch_{gan.epoch:03d}.png"
                    save_grid(samples, grid, nrow=sample_columns(gan))
                    save_checkpoint(training_state(gan), out_dir / "checkpoint.pt")
                    gan.saved_epoch = gan.epoch
            bar.set_postfix(epoch=gan.epoch, loss_d=f"{means[0]:.3f}", loss_g=f"{means[1]:.3f}")
    except KeyboardInterrupt:
        if interrupt == "raise":
            raise
        if out_dir is None:
            print(
                f"Interrupted: the run stops after epoch {gan.epoch} (nothing is saved).",
                flush=True,
            )
        elif gan.saved_epoch:
            print(
                f"Interrupted: {out_dir / 'checkpoint.pt'} holds epoch {gan.saved_epoch}.",
                flush=True,
            )
        else:
            print("Interrupted before the first epoch was saved: nothing was kept.", flush=True)
    finally:
        bar.close()
    return gan.history

"""The training loop: fast in-memory batches, per-epoch history, fixed-noise samples, safe resumable
checkpoints and a divergence guard. Introduced in notebook 05_training; also `python -m gan_utils train`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from gan_utils.checkpoints import save_checkpoint
from gan_utils.config import TrainConfig
from gan_utils.data import InMemoryLoader, mnist_tensors
from gan_utils.designs import build_players
from gan_utils.ema import EMA
from gan_utils.losses import discriminator_loss, generator_loss
from gan_utils.models import cycle_labels, generate_images, is_conditional, make_noise
from gan_utils.plotting import save_grid
from gan_utils.runtime import get_device, set_seed

HISTORY_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "seconds")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint on disk is untouched."""


@dataclass
class GAN:
    """The two players, their optimisers and everything needed to continue a run (notebook 05)."""

    config: TrainConfig
    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    fixed_noise: torch.Tensor
    shuffle: torch.Generator  # CPU generator for the batch order
    noise: torch.Generator  # generator on the device for the training noise
    device: torch.device
    epoch: int = 0
    history: dict[str, list] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    #: The last epoch whose checkpoint is on disk (None: none yet); what an interruption keeps.
    saved_epoch: int | None = None
    #: The moving average of G's weights (config.ema_decay > 0): what samples and generator.pt use.
    ema: EMA | None = None
    #: The digits asked for with the fixed noise (conditional designs): 0, 1, ..., 9 in turn.
    fixed_labels: torch.Tensor | None = None


def make_optimizer(model: nn.Module, config: TrainConfig, device: torch.device) -> torch.optim.Adam:
    """Adam with the DCGAN settings; the fused kernel where the device supports it (notebook 05)."""
    fused = device.type in ("cuda", "cpu")  # one kernel per step instead of a dozen small ones
    return torch.optim.Adam(
        model.parameters(), lr=config.lr, betas=(config.beta1, config.beta2), fused=fused
    )


def build_gan(config: TrainConfig) -> GAN:
    """Fresh models, optimisers and fixed noise for `config`, all seeded (notebook 05)."""
    device = get_device(config.device)
    shuffle = set_seed(config.seed)
    G, D = build_players(config.design, config.latent_dim)
    G, D = G.to(device), D.to(device)
    fixed_noise = make_noise(config.n_fixed, config.latent_dim, device, generator=shuffle)
    # The run owns its random streams, so two GANs in one notebook do not disturb each other.
    noise = torch.Generator(device=device).manual_seed(config.seed + 1)
    return GAN(
        config,
        G,
        D,
        make_optimizer(G, config, device),
        make_optimizer(D, config, device),
        fixed_noise,
        shuffle,
        noise,
        device,
        ema=EMA(G, config.ema_decay) if config.ema_decay else None,
        fixed_labels=cycle_labels(config.n_fixed, G.n_classes, device)
        if is_conditional(G)
        else None,
    )


def discriminator_step(
    D: nn.Module,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One discriminator update: real -> 1, fake -> 0 (notebook 05); returns (loss_d, real_logits,
    fake_logits). `fake` is detached, so this loss never reaches the generator. A conditional D
    (notebook 09) also gets the `labels` (B,), the digit of each real image and of each fake.

    D has no batch statistics, so one forward pass over both halves equals two separate passes.
    """
    B = real.shape[0]
    both = torch.cat([real, fake.detach()])  # (2B, ...)
    logits = D(both) if labels is None else D(both, torch.cat([labels, labels]))  # -> (2B, 1)
    real_logits, fake_logits = logits[:B], logits[B:]
    loss_d = discriminator_loss(real_logits, fake_logits)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    return loss_d, real_logits, fake_logits


def generator_step(
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    fake: torch.Tensor,
    loss: Callable[[torch.Tensor], torch.Tensor] = generator_loss,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """One generator update: make D call `fake` (still attached to G) real (notebook 05).

    D's weights get no gradients here. `loss` is the non-saturating loss unless given (notebook 04
    compares `losses.saturating_generator_loss`). Returns loss_g.
    """
    D.requires_grad_(False)
    try:
        loss_g = loss(D(fake) if labels is None else D(fake, labels))
    finally:
        D.requires_grad_(True)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return loss_g


def train_step(gan: GAN, real: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """One discriminator step and one generator step on a real batch (notebook 05).

    A conditional GAN (notebook 09) also takes the batch's `labels`; its fakes are asked for the same
    digits, so real and fake images come with the same mix of labels.
    Returns (loss_d, loss_g, D(x), D(G(z))) as one tensor on the device, so the caller need not wait
    for the GPU after every step.
    """
    if (labels is not None) != is_conditional(gan.G):
        raise ValueError(
            "a conditional GAN needs the batch's labels, an unconditional one takes none "
            f"(design {gan.config.design!r}, labels {'given' if labels is not None else 'missing'})."
        )
    z = torch.randn(real.shape[0], gan.config.latent_dim, device=real.device, generator=gan.noise)
    fake = gan.G(z) if labels is None else gan.G(z, labels)  # (B, 100) -> (B, 1, 28, 28)
    loss_d, real_logits, fake_logits = discriminator_step(gan.D, gan.opt_d, real, fake, labels)
    loss_g = generator_step(gan.D, gan.opt_g, fake, labels=labels)  # against the just-updated D
    if gan.ema is not None:
        gan.ema.update(gan.G)

    with torch.no_grad():
        d_real = torch.sigmoid(real_logits).mean()
        d_fake = torch.sigmoid(fake_logits).mean()
        return torch.stack([loss_d.detach(), loss_g.detach(), d_real, d_fake])


def drawing_generator(gan: GAN) -> nn.Module:
    """The generator to draw with: the EMA when the run keeps one, else the raw G (notebook 05)."""
    return gan.ema.generator() if gan.ema is not None else gan.G


def fixed_samples(gan: GAN) -> torch.Tensor:
    """The generator's images for the run's fixed noise batch, in eval mode (notebook 05)."""
    return generate_images(drawing_generator(gan), z=gan.fixed_noise, labels=gan.fixed_labels)


def sample_columns(gan: GAN) -> int:
    """Images per row of the saved sample grids: 10 for a conditional GAN (a column per digit)."""
    return 10 if gan.fixed_labels is not None else 8


def checkpoint_state(gan: GAN) -> dict[str, Any]:
    """Everything needed to continue the run exactly, as plain types (weights_only-safe)."""
    state = {
        "kind": "training",
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "generator_config": gan.G.config,
        "generator": gan.G.state_dict(),
        "discriminator_config": gan.D.config,
        "discriminator": gan.D.state_dict(),
        "opt_g": gan.opt_g.state_dict(),
        "opt_d": gan.opt_d.state_dict(),
        "fixed_noise": gan.fixed_noise.cpu(),
        "history": gan.history,
        "rng_shuffle": gan.shuffle.get_state(),
        "rng_noise": gan.noise.get_state().cpu(),
    }
    if gan.ema is not None:  # a run without EMA keeps the keys it always had
        state["ema"] = gan.ema.state_dict()
    return state


#: Divergence rule: a loss whose mean over a check window (100 steps, or the end of an epoch) is not
#: finite, or above LOSS_LIMIT. Healthy runs stay near ln 2 ~ 0.69; even the shipped collapsed "mlp"
#: run, whose discriminator wins outright, peaked at an epoch mean of 16.8 (images/losses_mlp.png). A
#: mean BCE of 1,000 needs logits of about +-1,000: the weights have blown up (lr 1e3 gives ~1e26).
LOSS_LIMIT = 1_000.0


def _check_health(window: torch.Tensor, steps: int, gan: GAN, step: int) -> None:
    """Raise TrainingDiverged if the mean losses of the last `steps` steps broke the rule above."""
    loss_d, loss_g = (window[:2] / steps).tolist()
    if all(math.isfinite(v) and v <= LOSS_LIMIT for v in (loss_d, loss_g)):
        return
    kept = (
        f"the last good checkpoint (epoch {gan.saved_epoch}) was kept"
        if gan.saved_epoch
        else "no checkpoint of this run was written"
    )
    what = (
        "not finite"
        if not all(map(math.isfinite, (loss_d, loss_g)))
        else f"above {LOSS_LIMIT:,.0f}"
    )
    raise TrainingDiverged(
        f"training diverged in epoch {gan.epoch + 1} by step {step}: mean losses over the last {steps} "
        f"steps are {what} (loss_d={loss_d:.3g}, loss_g={loss_g:.3g}); {kept}. Try a smaller "
        f"learning rate (now {gan.config.lr:g}) or another seed, then resume or restart."
    )


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
    (interrupt="raise": re-raises KeyboardInterrupt, for the CLI). Losses that are not finite or far
    past healthy values (LOSS_LIMIT) raise TrainingDiverged; the last good checkpoint stays.
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
    loader = InMemoryLoader(
        images.to(gan.device),
        cfg.batch_size,
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
    # designs: benchmarks/bench_precision.py); weights, optimiser state, losses and EMA stay float32.
    autocast = torch.autocast(
        gan.device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bfloat16"
    )
    try:
        while gan.epoch < epochs and time.perf_counter() < deadline:
            start = time.perf_counter()
            sums = torch.zeros(4, device=gan.device)
            checked, checked_step = sums.clone(), 0
            for step, batch in enumerate(loader, 1):
                with autocast:
                    sums += train_step(gan, *batch) if conditional else train_step(gan, batch)
                out_of_time = time.perf_counter() >= deadline
                if step % check_every == 0 or step == len(loader) or out_of_time:
                    _check_health(sums - checked, step - checked_step, gan, step)
                    checked, checked_step = sums.clone(), step
                bar.update()
                if out_of_time:  # a shorter last epoch: end on this finished step
                    break
            means = (sums / step).tolist()
            gan.history.setdefault("steps", [None] * len(gan.history["loss_d"])).append(step)
            gan.epoch += 1
            for key, value in zip(HISTORY_KEYS, [*means, time.perf_counter() - start], strict=True):
                gan.history[key].append(value)
            samples = fixed_samples(gan)
            try:  # the callback first, so what it logs is in the checkpoint
                if on_epoch_end is not None:
                    on_epoch_end(gan, samples)
            finally:  # the finished epoch is saved even when the callback is interrupted
                if out_dir is not None:
                    save_grid(
                        samples,
                        out_dir / "samples" / f"epoch_{gan.epoch:03d}.png",
                        nrow=sample_columns(gan),
                    )
                    save_checkpoint(checkpoint_state(gan), out_dir / "checkpoint.pt")
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


__all__ = [
    "GAN",
    "LOSS_LIMIT",
    "TrainConfig",
    "TrainingDiverged",
    "build_gan",
    "checkpoint_state",
    "discriminator_step",
    "drawing_generator",
    "fixed_samples",
    "train",
    "generator_step",
    "sample_columns",
    "train_step",
]

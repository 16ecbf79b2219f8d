"""The training loop: fast in-memory batches, per-epoch history, fixed-noise samples, safe resumable
checkpoints and a NaN guard. Introduced in notebook 05_training; also `python -m gan_utils train`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from gan_utils.checkpoints import CheckpointError, load_checkpoint, save_checkpoint, save_generator
from gan_utils.data import InMemoryLoader, mnist_tensors
from gan_utils.losses import discriminator_loss, generator_loss
from gan_utils.models import Discriminator, Generator, make_noise
from gan_utils.plotting import save_grid
from gan_utils.runtime import get_device, set_seed

HISTORY_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "seconds")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint on disk is untouched."""


@dataclass
class TrainConfig:
    """Every knob of a run, as plain values (stored in checkpoints) (notebook 05)."""

    design: str = "block"  # "block", "mlp" or "mlp_bn": see gan_utils.models
    latent_dim: int = 100
    batch_size: int = 64
    lr: float = 2e-4
    beta1: float = (
        0.5  # Adam's momentum; 0.5 instead of 0.9 keeps the two players from overshooting
    )
    beta2: float = 0.999
    epochs: int = 20
    seed: int = 0
    limit: int | None = None  # train on the first N images only (quick runs)
    n_fixed: int = 64  # fixed noise vectors whose samples are saved every epoch
    device: str | None = None  # None: cuda, then mps, then cpu
    data_root: str | None = None  # None: GAN_DATA_DIR, then data/
    eval_every: int = 0  # compute the classifier metric every N epochs (0: never)
    eval_samples: int = 2000

    def __post_init__(self) -> None:
        for name in ("latent_dim", "batch_size", "epochs", "n_fixed"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive int, got {getattr(self, name)!r}.")
        if not (self.lr > 0 and 0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError(
                f"need lr > 0 and 0 <= betas < 1, got lr={self.lr}, betas=({self.beta1}, {self.beta2})."
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class GAN:
    """The two players, their optimisers and everything needed to continue a run (notebook 05)."""

    config: TrainConfig
    G: Generator
    D: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    fixed_noise: torch.Tensor
    shuffle: torch.Generator  # CPU generator for the batch order
    noise: torch.Generator  # generator on the device for the training noise
    device: torch.device
    epoch: int = 0
    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})


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
    G = Generator(latent_dim=config.latent_dim, design=config.design).to(device)
    D = Discriminator(design=config.design).to(device)
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
    )


def train_step(gan: GAN, real: torch.Tensor) -> torch.Tensor:
    """One discriminator step and one generator step on a real batch (notebook 05).

    Returns (loss_d, loss_g, D(x), D(G(z))) as one tensor on the device, so the caller need not wait
    for the GPU after every step.
    """
    G, D, B = gan.G, gan.D, real.shape[0]
    z = torch.randn(B, gan.config.latent_dim, device=real.device, generator=gan.noise)
    fake = G(z)  # (B, 100) -> (B, 1, 28, 28)

    # Discriminator: real -> 1, fake -> 0. `detach` stops this loss from reaching the generator.
    # D has no batch statistics, so one forward pass over both halves equals two separate passes.
    logits = D(torch.cat([real, fake.detach()]))  # (2B, 1, 28, 28) -> (2B, 1)
    real_logits, fake_logits = logits[:B], logits[B:]
    loss_d = discriminator_loss(real_logits, fake_logits)
    gan.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    gan.opt_d.step()

    # Generator: make the (just updated) D call the fakes real. D's weights get no gradients here.
    D.requires_grad_(False)
    loss_g = generator_loss(D(fake))
    D.requires_grad_(True)
    gan.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    gan.opt_g.step()

    with torch.no_grad():
        d_real = torch.sigmoid(real_logits).mean()
        d_fake = torch.sigmoid(fake_logits).mean()
        return torch.stack([loss_d.detach(), loss_g.detach(), d_real, d_fake])


@torch.no_grad()
def fixed_samples(gan: GAN) -> torch.Tensor:
    """The generator's images for the fixed noise batch, in eval mode (notebook 05)."""
    was_training = gan.G.training
    gan.G.eval()
    images = gan.G(gan.fixed_noise).cpu()
    gan.G.train(was_training)
    return images


def checkpoint_state(gan: GAN) -> dict[str, Any]:
    """Everything needed to continue the run exactly, as plain types (weights_only-safe)."""
    return {
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


def resume_gan(path: str | Path, device: str | None = None) -> GAN:
    """Rebuild a run from its checkpoint so that training continues as if never stopped (notebook 05)."""
    state = load_checkpoint(path)
    if state.get("kind") != "training":
        raise CheckpointError(
            f"{path} is a {state.get('kind', 'unknown')!r} checkpoint, not a training one."
        )
    config = TrainConfig(**{**state["config"], **({"device": device} if device else {})})
    gan = build_gan(config)
    try:
        gan.G.load_state_dict(state["generator"])
        gan.D.load_state_dict(state["discriminator"])
        gan.opt_g.load_state_dict(state["opt_g"])
        gan.opt_d.load_state_dict(state["opt_d"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"{path} does not match the models its config describes: {str(exc)[:300]}"
        ) from None
    gan.epoch, gan.history = state["epoch"], state["history"]
    gan.fixed_noise = state["fixed_noise"].to(gan.device)
    gan.shuffle.set_state(state["rng_shuffle"])
    gan.noise.set_state(state["rng_noise"])
    return gan


def _check_finite(sums: torch.Tensor, gan: GAN, step: int) -> None:
    if not torch.isfinite(sums).all():
        loss_d, loss_g = sums[0].item(), sums[1].item()
        raise TrainingDiverged(
            f"Training diverged in epoch {gan.epoch + 1} by step {step}: loss_d={loss_d}, loss_g={loss_g}. "
            f"The last good checkpoint (epoch {gan.epoch}) was kept. Try a smaller learning rate "
            f"(now {gan.config.lr}) or another seed, then resume or restart."
        )


def train(
    gan: GAN,
    epochs: int | None = None,
    out_dir: str | Path | None = None,
    images: torch.Tensor | None = None,
    on_epoch_end: Callable[[GAN, torch.Tensor], None] | None = None,
    progress: bool = True,
    check_every: int = 100,
) -> dict[str, list[float]]:
    """Train until `gan.epoch == epochs` (default: config.epochs), saving after every epoch (notebook 05).

    In `out_dir` (if given): checkpoint.pt (atomic, resumable), samples/epoch_NNN.png of the fixed noise.
    Interrupting (Ctrl+C, or the stop button in Jupyter) keeps the last finished epoch and returns.
    """
    cfg = gan.config
    epochs = cfg.epochs if epochs is None else epochs
    out_dir = Path(out_dir) if out_dir is not None else None
    if images is None:
        images, _ = mnist_tensors(
            train=True, root=cfg.data_root, device=gan.device, limit=cfg.limit
        )
    loader = InMemoryLoader(
        images.to(gan.device), cfg.batch_size, shuffle=True, generator=gan.shuffle
    )
    if gan.epoch >= epochs:
        return gan.history
    bar = tqdm(
        total=(epochs - gan.epoch) * len(loader), disable=not progress, unit="step", desc="training"
    )
    try:
        while gan.epoch < epochs:
            start = time.perf_counter()
            sums = torch.zeros(4, device=gan.device)
            for step, real in enumerate(loader, 1):
                sums += train_step(gan, real)
                if step % check_every == 0:
                    _check_finite(sums, gan, step)
                bar.update()
            _check_finite(sums, gan, len(loader))
            means = (sums / len(loader)).tolist()
            gan.epoch += 1
            for key, value in zip(HISTORY_KEYS, [*means, time.perf_counter() - start], strict=True):
                gan.history[key].append(value)
            if cfg.eval_every and gan.epoch % cfg.eval_every == 0:
                _evaluate(gan, out_dir)
            samples = fixed_samples(gan)
            if out_dir is not None:
                save_grid(samples, out_dir / "samples" / f"epoch_{gan.epoch:03d}.png")
                save_checkpoint(checkpoint_state(gan), out_dir / "checkpoint.pt")
            bar.set_postfix(epoch=gan.epoch, loss_d=f"{means[0]:.3f}", loss_g=f"{means[1]:.3f}")
            if on_epoch_end is not None:
                on_epoch_end(gan, samples)
    except KeyboardInterrupt:
        print(f"Interrupted: keeping the last finished epoch ({gan.epoch}).", flush=True)
    finally:
        bar.close()
    return gan.history


def _evaluate(gan: GAN, out_dir: Path | None) -> None:
    """Log the classifier metric (gan_utils.evaluation) in the history; keep the best generator.

    The generator with the lowest Fréchet distance so far is saved as OUT/best_generator.pt.
    """
    from gan_utils.evaluation import evaluate_generator  # loads the shipped classifier on first use

    scores = evaluate_generator(gan.G, n=gan.config.eval_samples, seed=0, device=gan.device)
    best = min(gan.history.get("eval_fd", [math.inf]))
    for key in ("fd", "digits_covered", "kl_to_uniform", "seconds"):
        gan.history.setdefault(f"eval_{key}", []).append(float(scores[key]))
    gan.history.setdefault("eval_epoch", []).append(float(gan.epoch))
    if out_dir is not None and scores["fd"] < best:
        save_generator(
            gan.G,
            out_dir / "best_generator.pt",
            epoch=gan.epoch,
            fd=float(scores["fd"]),
            eval_samples=gan.config.eval_samples,
        )


def make_gif(frames: list[Path], path: str | Path, seconds_per_frame: float = 0.25) -> Path:
    """An animated GIF of the saved sample grids, holding the last frame (notebook 05)."""
    from PIL import Image

    if not frames:
        raise ValueError("make_gif needs at least one frame.")
    pictures = [Image.open(f).convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    ms = int(seconds_per_frame * 1000)
    durations = [ms] * (len(pictures) - 1) + [ms * 8]  # pause on the final result before looping
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures[0].save(
        path, save_all=True, append_images=pictures[1:], loop=0, duration=durations, optimize=True
    )
    return path


__all__ = [
    "GAN",
    "TrainConfig",
    "TrainingDiverged",
    "build_gan",
    "checkpoint_state",
    "fixed_samples",
    "make_gif",
    "resume_gan",
    "save_generator",
    "train",
    "train_step",
]

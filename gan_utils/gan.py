"""A GAN run's state: the two players, their optimisers, the loss, the noise (notebook 05_training).

`build_gan(config)` makes a fresh run of the design the config names; `build_gan(config, G=..., D=...)`
takes ready-made players instead (notebooks 08 and 09 swap one). `change_options` changes a run's
settings on the way, and `drawing_generator` is the generator to draw with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gan_utils.config import TrainConfig
from gan_utils.designs import build_players
from gan_utils.ema import EMA
from gan_utils.losses import GANLoss, get_loss
from gan_utils.models import cycle_labels, generate_images, is_conditional, make_noise
from gan_utils.runtime import get_device, set_seed

HISTORY_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "seconds", "steps")


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

    @property
    def loss(self) -> GANLoss:
        """The objective the config names (gan_utils.losses.LOSSES)."""
        return get_loss(self.config.loss)

    @property
    def d_steps(self) -> int:
        """D updates per G update: the config's, else the loss's own."""
        return self.config.d_steps or self.loss.d_steps


def make_optimizer(model: nn.Module, config: TrainConfig, device: torch.device) -> torch.optim.Adam:
    """Adam with the config's settings; the fused kernel where the device supports it (notebook 05)."""
    fused = device.type in ("cuda", "cpu")  # one kernel per step instead of a dozen small ones
    return torch.optim.Adam(
        model.parameters(), lr=config.lr, betas=(config.beta1, config.beta2), fused=fused
    )


def _check_players(G: nn.Module, D: nn.Module, config: TrainConfig) -> None:
    loss = get_loss(config.loss)
    if loss.check_critic is not None:
        loss.check_critic(D)  # e.g. WGAN-GP refuses a critic with BatchNorm
    if getattr(G, "latent_dim", None) != config.latent_dim:
        raise ValueError(
            f"G takes noise of size {getattr(G, 'latent_dim', '?')} but config.latent_dim is "
            f"{config.latent_dim}: build G with latent_dim={config.latent_dim} or change the config."
        )
    if is_conditional(G) != is_conditional(D):
        raise ValueError(
            "G and D must both be conditional (take labels) or both not: got a "
            f"{'conditional' if is_conditional(G) else 'plain'} G and a "
            f"{'conditional' if is_conditional(D) else 'plain'} D."
        )


def build_gan(config: TrainConfig, G: nn.Module | None = None, D: nn.Module | None = None) -> GAN:
    """A fresh run for `config`, all seeded (notebook 05).

    The players are the design config.design names, or the ready-made `G` and/or `D` given. The
    fixed noise and the batch order depend on the config only, so a run with a swapped player
    sees the same noise and batches as the run it is compared with.
    """
    device = get_device(config.device)
    shuffle = set_seed(config.seed)
    G_default, D_default = build_players(config.design, config.latent_dim)
    G, D = G if G is not None else G_default, D if D is not None else D_default
    _check_players(G, D, config)
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
        ema=EMA(G, config.ema_decay, config.ema_gamma) if config.ema_decay else None,
        fixed_labels=cycle_labels(config.n_fixed, G.n_classes, device)
        if is_conditional(G)
        else None,
    )


#: What a run's checkpoint holds; a resumed run cannot change them (start a new run instead).
FIXED_OPTIONS = ("design", "latent_dim", "n_fixed", "seed")


def change_options(gan: GAN, **new: Any) -> dict[str, tuple[Any, Any]]:
    """Apply changed options to a (resumed) run and record them in its history (notebook 05).

    lr and the betas go into both optimisers, ema_decay into the moving average, the rest into the
    config. Changing one of FIXED_OPTIONS is an error. Returns {option: (old, new)} for what changed.
    """
    cfg = gan.config
    changed = {k: (getattr(cfg, k), v) for k, v in new.items() if getattr(cfg, k) != v}
    for name in FIXED_OPTIONS:
        if name in changed:
            old, value = changed[name]
            raise ValueError(
                f"{name} cannot change when resuming: the checkpoint holds a run with {name}={old!r}, "
                f"not {value!r}. Start a new run (another --out, or --overwrite) to change it."
            )
    if not changed:
        return {}
    config = TrainConfig(**{**cfg.to_dict(), **{k: v for k, (_, v) in changed.items()}})
    _check_players(gan.G, gan.D, config)
    gan.config = config
    if {"ema_decay", "ema_gamma"} & changed.keys():  # from here on; ema_decay 0 switches it off
        if not gan.config.ema_decay:
            gan.ema = None
        elif gan.ema is None:
            gan.ema = EMA(gan.G, gan.config.ema_decay, gan.config.ema_gamma)
        else:
            gan.ema.decay, gan.ema.gamma = gan.config.ema_decay, gan.config.ema_gamma
    for opt in (gan.opt_g, gan.opt_d):
        for group in opt.param_groups:
            group["lr"] = gan.config.lr
            group["betas"] = (gan.config.beta1, gan.config.beta2)
    record = gan.history.setdefault("changes", [])
    for name, (old, value) in changed.items():
        record.append({"epoch": gan.epoch, "option": name, "old": old, "new": value})
    return changed


def drawing_generator(gan: GAN) -> nn.Module:
    """The generator to draw with: the EMA when the run keeps one, else the raw G (notebook 05)."""
    return gan.ema.generator() if gan.ema is not None else gan.G


def fixed_samples(gan: GAN) -> torch.Tensor:
    """The generator's images for the run's fixed noise batch, in eval mode (notebook 05)."""
    return generate_images(drawing_generator(gan), z=gan.fixed_noise, labels=gan.fixed_labels)


def sample_columns(gan: GAN) -> int:
    """Images per row of the saved sample grids: 10 for a conditional GAN (a column per digit)."""
    return 10 if gan.fixed_labels is not None else 8

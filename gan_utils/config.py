"""Every knob of a training run in one dataclass, `TrainConfig` (notebook 05).

The trainer reads it, checkpoints store it, and `python -m gan_utils train` makes one flag per field.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from gan_utils.designs import DESIGNS
from gan_utils.losses import LOSSES

#: Number formats for the training maths (`TrainConfig.precision`); see `training.train`.
PRECISIONS = ("float32", "bfloat16")


def _option(default: Any, help: str, **extra: Any) -> Any:
    """A TrainConfig field whose help text (and choices) the CLI turns into a flag."""
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class TrainConfig:
    """Every knob of a run, as plain values (stored in checkpoints) (notebook 05).

    The defaults are the recipe that reached good digits fastest on a 2-core CPU in our measurements:
    batch 32, lr 5e-4 and a power-function EMA of the generator (gamma 7). The recipe of PyTorch-GAN's
    gan.py, which notebooks 04 and 05 use to teach, is CLASSIC.

    `python -m gan_utils train` makes one flag per field (--batch-size for batch_size), with this
    default and help text: a new option is added here and nowhere else.
    """

    design: str = _option("block", "generator and discriminator design", choices=DESIGNS)
    latent_dim: int = _option(100, "size of the noise vector z")
    batch_size: int = _option(32, "images per training step")
    lr: float = _option(5e-4, "Adam's learning rate, both players")
    # beta1 0.5 instead of Adam's 0.9: the DCGAN paper found 0.9 made training oscillate
    beta1: float = _option(0.5, "Adam's beta1 (momentum)")
    beta2: float = _option(0.999, "Adam's beta2")
    epochs: int = _option(20, "train until this epoch")
    seed: int = _option(0, "seed for weights, noise and batch order")
    limit: int | None = _option(None, "train on the first N images only")
    n_fixed: int = _option(64, "fixed noise vectors drawn every epoch (samples/, GIF)")
    device: str | None = _option(None, "cpu, cuda or mps (default: the best available)")
    data_root: str | None = _option(
        None, "folder holding MNIST/raw (default: $GAN_DATA_DIR, then data/)"
    )
    loss: str = _option(
        "non-saturating", "the GAN objective (gan_utils.losses.LOSSES)", choices=LOSSES
    )
    d_steps: int | None = _option(
        None, "discriminator updates per generator update (default: the loss's)"
    )
    # The moving average (EMA) of G's weights that samples and generator.pt use: a power-function
    # EMA by default, whose window grows with the run, so it suits a slow CPU and a fast GPU alike
    # (experiments/ema_window, benchmarks/README.md).
    ema_gamma: float = _option(
        7.0,
        "the EMA's decay after t steps is (1 - 1/t)^(gamma + 1): an average that lags by "
        "1/(gamma + 2) of the run (0: the fixed ema_decay instead)",
    )
    ema_decay: float = _option(
        0.999, "the EMA's fixed decay, used when ema_gamma is 0 (0: no EMA at all)"
    )
    time_budget: float | None = _option(
        None, "stop after this many seconds of training, on a finished step (--epochs caps it)"
    )
    precision: str = _option(
        "float32",
        "number format of the layers' maths; bfloat16 can be faster where the hardware supports it; "
        "weights stay float32",
        choices=PRECISIONS,
    )

    def __post_init__(self) -> None:
        limits = {"latent_dim": 4096, "batch_size": 60_000, "epochs": 100_000, "n_fixed": 1024}
        for name, most in limits.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
                raise ValueError(f"{name} must be an int from 1 to {most:,}, got {value!r}.")
        if self.d_steps is not None and (
            not isinstance(self.d_steps, int)
            or isinstance(self.d_steps, bool)
            or not 1 <= self.d_steps <= 100
        ):
            raise ValueError(
                f"d_steps must be None (the loss's) or an int from 1 to 100, got {self.d_steps!r}."
            )
        if self.batch_size < 2:
            raise ValueError(
                "batch_size must be at least 2: BatchNorm normalises each feature over the batch, "
                "which needs more than one image."
            )
        if (
            not isinstance(self.seed, int)
            or isinstance(self.seed, bool)
            or not 0 <= self.seed < 2**63
        ):
            raise ValueError(f"seed must be an int from 0 to 2**63 - 1, got {self.seed!r}.")
        if self.limit is not None and (
            not isinstance(self.limit, int) or not self.batch_size <= self.limit <= 60_000
        ):
            raise ValueError(
                f"limit (images to train on) must be at least batch_size ({self.batch_size}) and at "
                f"most 60,000 (the MNIST training set), got {self.limit!r}."
            )
        if not (
            math.isfinite(self.lr) and self.lr > 0 and 0 <= self.beta1 < 1 and 0 <= self.beta2 < 1
        ):
            raise ValueError(
                f"need lr > 0 and 0 <= betas < 1, got lr={self.lr}, betas=({self.beta1}, {self.beta2})."
            )
        if not (self.ema_decay == 0 or 0 < self.ema_decay < 1):
            raise ValueError(
                f"ema_decay must be 0 (off) or between 0 and 1, got {self.ema_decay!r}."
            )
        if not (isinstance(self.ema_gamma, (int, float)) and 0 <= self.ema_gamma <= 1000):
            raise ValueError(f"ema_gamma must be from 0 (off) to 1,000, got {self.ema_gamma!r}.")
        if self.time_budget is not None and not (
            math.isfinite(self.time_budget) and self.time_budget > 0
        ):
            raise ValueError(
                f"time_budget must be a positive number of seconds, got {self.time_budget!r}."
            )
        for option in dataclasses.fields(self):  # design, loss, precision: the CLI's choices
            choices, value = option.metadata.get("choices"), getattr(self, option.name)
            if choices is not None and value not in choices:
                raise ValueError(f"{option.name} must be one of {tuple(choices)}, got {value!r}.")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: The recipe of PyTorch-GAN's gan.py (eriklindernoren/PyTorch-GAN): batch 64, lr 2e-4 and Adam betas
#: (0.5, 0.999) as in the DCGAN paper (which used batch 128), no weight average. Notebooks 04 and 05
#: teach with it.
CLASSIC = {"batch_size": 64, "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "ema_decay": 0.0}

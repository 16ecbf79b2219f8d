"""A conditional GAN (Mirza & Osindero, 2014): both players are told which digit, so the generator
can be asked for a 7 (notebook 09).

- The generator gets the label as a one-hot vector beside the noise: (z, one_hot(y)) -> the "block"
  network of notebook 02. (An nn.Embedding followed by the first linear layer computes the same
  family of functions as a one-hot input to that layer, so the one-hot input is all it needs.)
- The discriminator must judge "is this a real image *of digit y*?". Two ways are built, and notebook
  09 compares them: "concat" appends one_hot(y) to the pixels; "projection" (Miyato & Koyama, 2018)
  adds the inner product of a learned class embedding with D's last features to the logit.

Labels are int64 tensors (B,) with values 0..9. The samplers default to the digits 0, 1, ..., 9 in
turn (`gan_utils.models.cycle_labels`), so n images hold every digit equally often.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from gan_utils.models import DISCRIMINATOR_HIDDEN, GENERATOR_HIDDEN, LEAKY_SLOPE, block, check_noise

N_CLASSES = 10
Conditioning = Literal["projection", "concat"]
CONDITIONINGS: tuple[str, ...] = ("projection", "concat")


def check_labels(labels: torch.Tensor, batch: int, n_classes: int = N_CLASSES) -> None:
    """Raise a clear error unless `labels` are `batch` class numbers from 0 to n_classes - 1."""
    if (
        not isinstance(labels, torch.Tensor)
        or labels.shape != (batch,)
        or labels.dtype not in (torch.int64, torch.int32, torch.uint8)
    ):
        got = (
            f"{tuple(labels.shape)} {labels.dtype}"
            if isinstance(labels, torch.Tensor)
            else type(labels).__name__
        )
        raise ValueError(
            f"labels must be an integer tensor of shape ({batch},) (one digit per image), got {got}."
        )
    if len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < n_classes:
        raise ValueError(
            f"labels must be digits from 0 to {n_classes - 1}, got {labels.tolist()[:10]}..."
        )


class ConditionalGenerator(nn.Module):
    """(noise (B, latent_dim), labels (B,)) -> images (B, 1, 28, 28) in [-1, 1] showing those digits."""

    design = "cgan"

    def __init__(
        self,
        latent_dim: int = 100,
        hidden: tuple[int, ...] | None = None,
        n_classes: int = N_CLASSES,
    ) -> None:
        super().__init__()
        hidden = tuple(hidden) if hidden is not None else GENERATOR_HIDDEN["block"]
        self.latent_dim, self.hidden, self.n_classes = latent_dim, hidden, n_classes
        self.image_shape = (1, 28, 28)
        widths = (latent_dim + n_classes, *hidden)
        layers: list[nn.Module] = [
            block(w_in, w_out, normalize=i > 0)
            for i, (w_in, w_out) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        ]
        layers += [nn.Linear(widths[-1], 784), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    @property
    def config(self) -> dict:
        return {
            "design": self.design,
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "n_classes": self.n_classes,
        }

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        check_noise(z, self.latent_dim)
        check_labels(labels, z.shape[0], self.n_classes)
        y = F.one_hot(labels.long(), self.n_classes).to(z.dtype)  # (B,) -> (B, 10)
        return self.net(torch.cat([z, y], dim=1)).view(-1, 1, 28, 28)  # (B, 110) -> (B, 1, 28, 28)


class ConditionalDiscriminator(nn.Module):
    """(images (B, 1, 28, 28), labels (B,)) -> one logit per image: "a real image of this digit?"."""

    design = "cgan"

    def __init__(
        self,
        hidden: tuple[int, ...] | None = None,
        n_classes: int = N_CLASSES,
        conditioning: Conditioning = "projection",
    ) -> None:
        super().__init__()
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}.")
        hidden = tuple(hidden) if hidden is not None else DISCRIMINATOR_HIDDEN["block"]
        self.hidden, self.n_classes, self.conditioning = hidden, n_classes, conditioning
        extra = n_classes if conditioning == "concat" else 0
        widths = (784 + extra, *hidden)
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(w_in, w_out), nn.LeakyReLU(LEAKY_SLOPE)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1], 1)
        # projection: logit = head(h) + <embed(y), h>
        self.embed = nn.Embedding(n_classes, widths[-1]) if conditioning == "projection" else None
        if self.embed is not None:
            nn.init.uniform_(
                self.embed.weight, -1 / math.sqrt(widths[-1]), 1 / math.sqrt(widths[-1])
            )

    @property
    def config(self) -> dict:
        return {
            "design": self.design,
            "hidden": list(self.hidden),
            "n_classes": self.n_classes,
            "conditioning": self.conditioning,
        }

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(
                f"ConditionalDiscriminator expected images of shape (batch, 1, 28, 28), got {tuple(x.shape)}."
            )
        check_labels(labels, x.shape[0], self.n_classes)
        flat = x.reshape(x.shape[0], 784)
        if self.embed is None:  # concat
            y = F.one_hot(labels.long(), self.n_classes).to(x.dtype)
            return self.head(self.features(torch.cat([flat, y], dim=1)))
        h = self.features(flat)  # (B, 256)
        return self.head(h) + (self.embed(labels.long()) * h).sum(dim=1, keepdim=True)

"""The generator and the discriminator, in the two designs the series compares.

- design "mlp": fully connected layers with ReLU; the generator ends in tanh (notebooks 02 and 03).
- design "mlp_bn": "mlp" with one change, BatchNorm1d in the generator's hidden layers (all but the
  first). The plain "mlp" GAN collapses onto one digit; this is the smallest change notebook 05
  found that lets it draw all ten.
- design "block": the generator stacks `block`s (Linear -> BatchNorm1d -> LeakyReLU) and the
  discriminator uses LeakyReLU (notebooks 02 and 03). This is the default: with the same settings it
  draws all ten digits, and notebook 07's metric scores it well ahead of "mlp".

The discriminator returns a *logit* (any real number) by default; `output="probability"` appends a
sigmoid. Notebook 04 explains why training works on logits.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

Design = Literal["mlp", "mlp_bn", "block"]
MLP_DESIGNS: tuple[str, ...] = ("mlp", "mlp_bn", "block")

#: Hidden widths used when `hidden` is not given, per design.
GENERATOR_HIDDEN = {
    "mlp": (256, 512, 1024),
    "mlp_bn": (256, 512, 1024),
    "block": (128, 256, 512, 1024),
}
DISCRIMINATOR_HIDDEN = {"mlp": (512, 256), "mlp_bn": (512, 256), "block": (512, 256)}

LEAKY_SLOPE = 0.2


def _check_design(design: str) -> None:
    if design not in MLP_DESIGNS:
        raise ValueError(
            f"design must be one of {MLP_DESIGNS}, got {design!r}. Every design, the convolutional "
            "and conditional ones included, is built by gan_utils.designs.build_players."
        )


def block(in_features: int, out_features: int, normalize: bool = True) -> nn.Sequential:
    """Linear -> BatchNorm1d -> LeakyReLU(0.2), the generator's building block (notebook 02).

    Popular code writes `nn.BatchNorm1d(n, 0.8)`, which sets eps=0.8 (not momentum); we keep the
    defaults (eps=1e-5, momentum=0.1).
    """
    layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
    if normalize:
        layers.append(nn.BatchNorm1d(out_features))
    layers.append(nn.LeakyReLU(LEAKY_SLOPE))
    return nn.Sequential(*layers)


def make_noise(
    n: int,
    latent_dim: int = 100,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """n noise vectors z ~ N(0, I), shape (n, latent_dim) (notebook 02).

    With a `generator` (a seeded torch.Generator on the CPU) the same seed gives the same noise on
    every device.
    """
    if n < 1 or latent_dim < 1:
        raise ValueError(f"n and latent_dim must be positive, got n={n}, latent_dim={latent_dim}.")
    return torch.randn(n, latent_dim, generator=generator).to(device)


def check_noise(z: torch.Tensor, latent_dim: int) -> None:
    """Raise a clear error unless z is a batch of noise vectors (B, latent_dim)."""
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != latent_dim:
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(
            f"Generator expected noise of shape (batch, {latent_dim}), got {got}. "
            f"Make it with make_noise(batch, {latent_dim}) or torch.randn(batch, {latent_dim})."
        )


class Generator(nn.Module):
    """Noise (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1] (notebook 02)."""

    def __init__(
        self,
        latent_dim: int = 100,
        hidden: tuple[int, ...] | None = None,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        design: Design = "block",
    ) -> None:
        super().__init__()
        _check_design(design)
        hidden = tuple(hidden) if hidden is not None else GENERATOR_HIDDEN[design]
        self.latent_dim, self.hidden, self.image_shape, self.design = (
            latent_dim,
            hidden,
            tuple(image_shape),
            design,
        )
        widths = (latent_dim, *hidden)
        layers: list[nn.Module] = []
        for i, (w_in, w_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            if design == "block":
                # No BatchNorm in the first block, as in the popular implementation (PyTorch-GAN).
                layers.append(block(w_in, w_out, normalize=i > 0))
            elif design == "mlp_bn" and i > 0:
                layers += [nn.Linear(w_in, w_out), nn.BatchNorm1d(w_out), nn.ReLU()]
            else:
                layers += [nn.Linear(w_in, w_out), nn.ReLU()]
        layers += [nn.Linear(widths[-1], math.prod(image_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    @property
    def config(self) -> dict:
        """Everything needed to rebuild this architecture (stored in checkpoints)."""
        return {
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "image_shape": list(self.image_shape),
            "design": self.design,
        }

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_noise(z, self.latent_dim)
        return self.net(z).view(
            z.shape[0], *self.image_shape
        )  # (B, latent) -> (B, 784) -> (B, 1, 28, 28)


class Discriminator(nn.Module):
    """Images (B, 1, 28, 28) -> one logit per image, > 0 meaning "real" (notebook 03)."""

    def __init__(
        self,
        hidden: tuple[int, ...] | None = None,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        design: Design = "block",
        output: Literal["logit", "probability"] = "logit",
    ) -> None:
        super().__init__()
        _check_design(design)
        if output not in ("logit", "probability"):
            raise ValueError(f"output must be 'logit' or 'probability', got {output!r}.")
        hidden = tuple(hidden) if hidden is not None else DISCRIMINATOR_HIDDEN[design]
        self.hidden, self.image_shape, self.design, self.output = (
            hidden,
            tuple(image_shape),
            design,
            output,
        )
        widths = (math.prod(image_shape), *hidden)
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            act = nn.LeakyReLU(LEAKY_SLOPE) if design == "block" else nn.ReLU()
            layers += [nn.Linear(w_in, w_out), act]
        layers.append(nn.Linear(widths[-1], 1))
        if output == "probability":
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)

    @property
    def config(self) -> dict:
        """Everything needed to rebuild this architecture (stored in checkpoints)."""
        return {
            "hidden": list(self.hidden),
            "image_shape": list(self.image_shape),
            "design": self.design,
            "output": self.output,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_pixels = math.prod(self.image_shape)
        if not (x.shape[1:] == self.image_shape or (x.ndim == 2 and x.shape[1] == n_pixels)):
            raise ValueError(
                f"Discriminator expected images of shape (batch, {', '.join(map(str, self.image_shape))}) "
                f"or (batch, {n_pixels}), got {tuple(x.shape)}."
            )
        return self.net(x.reshape(x.shape[0], n_pixels))  # (B, 1, 28, 28) -> (B, 784) -> (B, 1)


def is_conditional(model: object) -> bool:
    """True for a player that takes labels beside its input (`gan_utils.conditional`, notebook 09)."""
    return isinstance(getattr(model, "n_classes", None), int)


def cycle_labels(n: int, n_classes: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """The labels 0, 1, ..., n_classes - 1, 0, 1, ... (n of them): every digit equally often."""
    return torch.arange(n, device=device) % n_classes


def check_generator(G: object) -> int:
    """Raise a clear error unless G is a gan_utils Generator; return its latent size (notebook 06)."""
    latent_dim = getattr(G, "latent_dim", None)
    if not isinstance(G, nn.Module) or not isinstance(latent_dim, int):
        raise TypeError(
            f"G must be a gan_utils Generator (an nn.Module with .latent_dim), got "
            f"{type(G).__name__}. Load one with gan_utils.checkpoints.load_generator()."
        )
    return latent_dim


@torch.no_grad()
def generate_images(
    G: nn.Module,
    n: int | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    batch_size: int = 500,
    *,
    z: torch.Tensor | None = None,
    labels: torch.Tensor | int | None = None,
) -> torch.Tensor:
    """Images (N, 1, 28, 28) in [-1, 1], on the CPU, from G in eval mode (notebooks 05-09).

    The one way the package draws from a generator. Give `n` and a `seed` (the noise is drawn on the
    CPU, so a seed means the same images on every device), or the noise `z` (N, latent_dim) itself.
    A conditional generator (notebook 09) also takes `labels`: one digit for all, or one per image
    (N,); by default the digits 0, 1, ..., 9 in turn. BatchNorm uses its running statistics, as at
    generation time; G's train/eval mode is restored.
    """
    latent_dim = check_generator(G)
    if z is None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}.")
        rng = torch.Generator().manual_seed(seed)
        batches = [
            make_noise(min(batch_size, n - start), latent_dim, generator=rng)
            for start in range(0, n, batch_size)
        ]
    else:
        if n is not None:
            raise ValueError("Give either n (with a seed) or the noise z, not both.")
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != latent_dim or not len(z):
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must be noise of shape (N, {latent_dim}), got {got}.")
        batches = list(z.split(batch_size))
    label_batches = _label_batches(G, labels, sum(len(b) for b in batches), batch_size)
    device = torch.device(device) if device is not None else next(G.parameters()).device
    was_training = G.training
    G.eval()
    try:
        if label_batches is None:
            return torch.cat(
                [G(b.to(device)).cpu() for b in batches]
            )  # (B, latent) -> (B, 1, 28, 28)
        return torch.cat(
            [
                G(b.to(device), y.to(device)).cpu()
                for b, y in zip(batches, label_batches, strict=True)
            ]
        )
    finally:
        G.train(was_training)


def _label_batches(
    G: nn.Module, labels: torch.Tensor | int | None, n: int, batch_size: int
) -> list[torch.Tensor] | None:
    """The labels for `generate_images`, cut like its noise batches; None for an unconditional G."""
    if not is_conditional(G):
        if labels is not None:
            raise ValueError(
                f"This generator (design {getattr(G, 'design', '?')!r}) is not conditional: it cannot "
                "be asked for a digit. Train a conditional one (design 'cgan', notebook 09)."
            )
        return None
    if labels is None:
        labels = cycle_labels(n, G.n_classes)
    elif isinstance(labels, int) and not isinstance(labels, bool):
        if not 0 <= labels < G.n_classes:
            raise ValueError(f"digit must be from 0 to {G.n_classes - 1}, got {labels}.")
        labels = torch.full((n,), labels)
    if not isinstance(labels, torch.Tensor) or labels.shape != (n,):
        got = tuple(labels.shape) if isinstance(labels, torch.Tensor) else repr(labels)
        raise ValueError(
            f"labels must be one digit or a tensor of {n} digits (one per image), got {got}."
        )
    return list(labels.split(batch_size))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (notebook 02)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

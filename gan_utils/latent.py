"""Walking a generator's noise space: seeded noise, morphs between two noises (notebook 06).

A seed names a grid of noise vectors (`seeded_noise`), `interpolate` walks from one noise to
another in a straight line or along the sphere, and `latent_batch` combines the two into the noise
behind one picture of the slider explorer (`gan_utils.widgets`) for given slider values:

    z = latent_batch(seed=3, n=4, seed_to=7, t=0.5, path="slerp")  # (16, 100)
"""

from __future__ import annotations

from typing import Literal

import torch

from gan_utils.models import make_noise

MorphPath = Literal["linear", "slerp"]
PATHS: tuple[str, ...] = ("linear", "slerp")

#: Largest grid the explorer shows (MAX_GRID x MAX_GRID digits); a seed always draws this many.
MAX_GRID = 10


def seeded_noise(seed: int, count: int, latent_dim: int = 100) -> torch.Tensor:
    """`count` noise vectors z ~ N(0, I), shape (count, latent_dim), fixed by `seed` (notebook 06).

    Drawn on the CPU with a seeded torch.Generator, so a seed means the same digits on every device.
    Always MAX_GRID**2 vectors are drawn and the first `count` kept: a bigger grid adds new digits
    after the ones a smaller grid showed, it does not change them.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    if not isinstance(count, int) or not 1 <= count <= MAX_GRID**2:
        raise ValueError(
            f"count must be an int from 1 to {MAX_GRID**2} "
            f"(a {MAX_GRID}x{MAX_GRID} grid), got {count!r}."
        )
    generator = torch.Generator().manual_seed(seed)
    return make_noise(MAX_GRID**2, latent_dim, generator=generator)[:count]  # (count, latent_dim)


def interpolate(
    z0: torch.Tensor, z1: torch.Tensor, t: float, path: MorphPath = "linear"
) -> torch.Tensor:
    """The point a fraction `t` of the way from z0 to z1, row by row (notebook 06).

    path="linear" walks the straight line (1 - t) z0 + t z1. Its midpoint is *shorter* than both
    ends (about 0.71x for independent Gaussian vectors), i.e. less typical noise. path="slerp"
    walks along the sphere instead and keeps the length, the usual choice for Gaussian latents
    (White, 2016, "Sampling generative networks").
    """
    if z0.shape != z1.shape:
        raise ValueError(
            f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}."
        )
    if not 0.0 <= float(t) <= 1.0:
        raise ValueError(f"t must be between 0 and 1 (0 = z0, 1 = z1), got {t!r}.")
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}.")
    linear = torch.lerp(z0, z1, float(t))
    if path == "linear":
        return linear
    cos = torch.nn.functional.cosine_similarity(z0, z1, dim=-1).clamp(-1.0, 1.0).unsqueeze(-1)
    omega = torch.acos(cos)  # (B, 1): angle between each pair
    sin = torch.sin(omega)
    slerp = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / sin
    return torch.where(
        sin.abs() < 1e-6, linear, slerp
    )  # (anti)parallel pairs: no sphere to walk on


def latent_batch(
    seed: int,
    n: int = 8,
    scale: float = 1.0,
    latent_dim: int = 100,
    seed_to: int | None = None,
    t: float = 0.0,
    path: MorphPath = "linear",
    target: int | None = None,
) -> torch.Tensor:
    """Noise for an n x n grid: seed's, morphed toward seed_to's by t, times scale (notebook 06).

    Each digit walks toward the digit in the same place of seed_to's grid; with `target` (the index
    of one digit of that n x n grid, 0 to n*n - 1, row by row) every digit walks toward that one.
    This is exactly the noise behind the explorer's picture for the same slider values.
    """
    if not isinstance(n, int) or not 1 <= n <= MAX_GRID:
        raise ValueError(f"n (grid size) must be an int from 1 to {MAX_GRID}, got {n!r}.")
    if not isinstance(scale, (int, float)) or not 0 <= scale <= 10:
        raise ValueError(
            f"scale multiplies the noise and must be a number from 0 to 10, got {scale!r}."
        )
    if target is not None and (
        not isinstance(target, int) or isinstance(target, bool) or not 0 <= target < n * n
    ):
        raise ValueError(
            f"target must be the index of a digit of the {n}x{n} grid (0 to {n * n - 1}, row by "
            f"row), or None for 'the same place', got {target!r}."
        )
    if target is not None and seed_to is None:
        raise ValueError("target picks a digit of seed_to's grid: give seed_to too.")
    z = seeded_noise(seed, n * n, latent_dim)  # (n*n, latent_dim)
    if seed_to is not None:
        z_to = seeded_noise(seed_to, n * n, latent_dim)  # (n*n, latent_dim)
        if target is not None:
            z_to = z_to[target].expand_as(z)  # every digit walks toward the same one
        z = interpolate(z, z_to, t, path)
    return scale * z

"""The lab's 2-D data (notebook 10): a ring of 8 Gaussians, two moons, a spiral, one Gaussian, or
points you draw (`DRAW`: `sample_drawn` draws near them).

`sample_data` draws points of any of them; `ring_coverage` and `modes_covered` count how many of the
ring's 8 modes a set of points (the fakes, say) reaches. `EXTENT` is the plane the view shows.
"""

from __future__ import annotations

import math

import torch

DATASETS: tuple[str, ...] = ("ring", "moons", "spiral", "gaussian")
#: The ring: 8 Gaussians of standard deviation RING_STD on a circle of radius RING_RADIUS.
RING_RADIUS, RING_STD = 2.0, 0.1
#: The plane the view shows: x and y from -EXTENT to EXTENT.
EXTENT = 3.0
#: The dataset you draw yourself (the lab widget's pad, or `Lab.set_points`); real points are drawn
#: points plus Gaussian noise of standard deviation DRAW_STD.
DRAW, DRAW_STD = "draw", 0.08


def ring_modes() -> torch.Tensor:
    """The centres of the ring's 8 Gaussians, (8, 2) (notebook 10)."""
    angle = torch.arange(8) * (2 * math.pi / 8)
    return RING_RADIUS * torch.stack([angle.cos(), angle.sin()], dim=1)


def sample_data(name: str, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """`n` points (n, 2) of the 2-D dataset `name`, one of DATASETS (notebook 10)."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}.")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n (number of points) must be a positive int, got {n!r}.")
    noise = torch.randn(n, 2, generator=generator)
    u = torch.rand(n, generator=generator)
    if name == "ring":
        which = (u * 8).long().clamp(max=7)  # one of the 8 modes, uniformly
        return ring_modes()[which] + RING_STD * noise
    if name == "gaussian":
        return torch.tensor([1.0, 1.0]) + 0.4 * noise
    if name == "moons":
        t = math.pi * torch.rand(n, generator=generator)
        upper = u < 0.5
        x = torch.where(upper, t.cos(), 1 - t.cos())
        y = torch.where(upper, t.sin(), 0.5 - t.sin())
        return 1.6 * (torch.stack([x, y], dim=1) - torch.tensor([0.5, 0.25])) + 0.08 * noise
    t = 3 * math.pi * u.sqrt()  # spiral: sqrt spreads the points evenly along the arm
    r = 2.6 * t / (3 * math.pi)
    return torch.stack([r * t.cos(), r * t.sin()], dim=1) + 0.06 * noise


def ring_coverage(points: torch.Tensor, radius: float = 3 * RING_STD) -> torch.Tensor:
    """How many of `points` (n, 2) lie within `radius` of each ring mode: (8,) counts (notebook 10)."""
    distance = torch.cdist(points.float(), ring_modes())  # (n, 8)
    nearest, mode = distance.min(dim=1)
    return torch.bincount(mode[nearest <= radius], minlength=8)


def modes_covered(points: torch.Tensor, share: float = 0.25) -> int:
    """Ring modes holding at least `share` of a fair 1/8 of the points (notebook 10)."""
    return int((ring_coverage(points) >= share * len(points) / 8).sum())


def sample_drawn(
    points: torch.Tensor, n: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """`n` points (n, 2) near drawn `points` (k, 2): one of them, picked uniformly, plus noise of
    standard deviation DRAW_STD (notebook 10)."""
    if points.ndim != 2 or points.shape[1] != 2 or not len(points):
        raise ValueError(
            "The draw dataset has no points yet: drag in the lab's drawing square (or call "
            f"lab.set_points(points) with points of shape (k, 2)); got shape {tuple(points.shape)}."
        )
    which = torch.randint(len(points), (n,), generator=generator)
    return points[which] + DRAW_STD * torch.randn(n, 2, generator=generator)

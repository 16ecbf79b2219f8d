"""Can the generator draw your digit? Inversion: search the noise for G's closest image (notebook 12).

G maps noise z to an image. Inverting it means finding the z whose image G(z) is closest to a target
(your drawing, a test digit): gradient descent on z, with G's weights fixed. `invert` starts from
several noise vectors at once (the search can stall in a poor valley) and keeps the best. The distance
is the root mean square pixel difference on [-1, 1] images: 0 is a perfect copy, 2 is white where
the target is black everywhere.

With `classifier_weight` > 0 the loss also compares the metric classifier's features (notebook 07),
so G looks for an image that reads like the target, not only one whose pixels overlap it.

    result = invert(G, canvas.digit())
    result.image, result.distance       # G's closest image, and how close it is
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from gan_utils.models import check_generator, is_conditional

#: Noise vectors searched at once; the closest one is kept.
STARTS = 16


@dataclass
class Inversion:
    """The result of `invert`: the best noise (1, latent_dim), its image (1, 28, 28), its distance,
    and the best distance after each step (the search's progress)."""

    z: torch.Tensor
    image: torch.Tensor
    distance: float
    distances: list[float] = field(default_factory=list)


def pixel_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Root mean square difference per image: a (N, 1, 28, 28) against b (1 or N, 1, 28, 28) -> (N,)."""
    return (a - b).pow(2).flatten(1).mean(1).sqrt()


def _check_targets(targets: torch.Tensor) -> torch.Tensor:
    """Targets as (N, 1, 28, 28) in [-1, 1]; one image may come as (1, 28, 28)."""
    if not isinstance(targets, torch.Tensor):
        raise TypeError(
            f"target must be a tensor (1, 28, 28) in [-1, 1], got {type(targets).__name__}."
        )
    if targets.ndim == 3:
        targets = targets.unsqueeze(0)
    if targets.ndim != 4 or targets.shape[1:] != (1, 28, 28) or not len(targets):
        raise ValueError(
            "target must be an image of shape (1, 28, 28), or images (N, 1, 28, 28), got "
            f"{tuple(targets.shape)}."
        )
    if targets.min() < -1.001 or targets.max() > 1.001:
        raise ValueError(
            "target must be in [-1, 1] like the generator's images (gan_utils.data normalises MNIST "
            f"this way), got values from {targets.min().item():.2f} to {targets.max().item():.2f}."
        )
    return targets.float()


def invert_many(
    G: nn.Module,
    targets: torch.Tensor,
    steps: int = 200,
    lr: float = 0.05,
    starts: int = STARTS,
    classifier: nn.Module | None = None,
    classifier_weight: float = 0.0,
    seed: int = 0,
    on_step: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Search G's noise for each of `targets` (N, 1, 28, 28) at once (notebook 12).

    Adam on `starts` noise vectors per target, `steps` steps at learning rate `lr`; G's weights are
    not changed. The loss is the squared pixel difference, plus `classifier_weight` times the squared
    difference of the classifier's features when a classifier is given. After every step,
    `on_step(step, best_images, best_distances)` may watch the search. Returns the best noise
    (N, latent_dim), its images (N, 1, 28, 28) and their distances (N,), all on the CPU.
    """
    latent_dim = check_generator(G)
    if is_conditional(G):
        raise ValueError(
            "invert searches an unconditional generator's noise; this one needs labels."
        )
    if G.training:
        raise ValueError(
            "G is in training mode (BatchNorm would mix the searches): call G.eval() first."
        )
    for name, value in (("steps", steps), ("starts", starts)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    if classifier_weight and classifier is None:
        raise ValueError(
            "classifier_weight > 0 needs a classifier, e.g. gan_utils.evaluation.default_classifier()."
        )
    device = next(G.parameters()).device
    targets = _check_targets(targets).to(device)
    n = len(targets)
    wanted = targets.repeat_interleave(starts, dim=0)  # (n * starts, 1, 28, 28)
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n * starts, latent_dim, generator=rng).to(device).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    features = classifier.features(wanted).detach() if classifier_weight else None
    G.requires_grad_(False)  # gradients for z only: G stays as it is

    def best(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        distance = pixel_distance(images, wanted).reshape(n, starts)
        value, index = distance.min(dim=1)
        return value, torch.arange(n, device=device) * starts + index

    try:
        for step in range(1, steps + 1):
            images = G(z)  # (n * starts, latent_dim) -> (n * starts, 1, 28, 28)
            loss = (images - wanted).pow(2).flatten(1).mean(1)
            if features is not None:
                found = classifier.features(images)
                loss = loss + classifier_weight * (found - features).pow(2).mean(1)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()  # each search's loss depends on its own z only
            opt.step()
            if on_step is not None:
                with torch.no_grad():
                    images = G(z)
                    distance, pick = best(images)
                    on_step(step, images[pick].cpu(), distance.cpu())
        with torch.no_grad():
            images = G(z)
            distance, pick = best(images)
    finally:
        G.requires_grad_(True)
    return z[pick].detach().cpu(), images[pick].cpu(), distance.cpu()


def invert(
    G: nn.Module,
    target: torch.Tensor,
    steps: int = 200,
    lr: float = 0.05,
    starts: int = STARTS,
    classifier: nn.Module | None = None,
    classifier_weight: float = 0.0,
    seed: int = 0,
    every: int = 0,
    on_step: Callable[[int, torch.Tensor, float], None] | None = None,
) -> Inversion:
    """Search G's noise for the image closest to one `target` (1, 28, 28) (notebook 12).

    `invert_many` with one target; the result keeps the best distance after every step. Every
    `every` steps (and at the last), `on_step(step, best_image, best_distance)` is called: a notebook
    shows the search as it goes.
    """
    if _check_targets(target).shape[0] != 1:
        raise ValueError(f"invert takes one image (1, 28, 28); for {len(target)} use invert_many.")
    history: list[float] = []

    def watch(step: int, images: torch.Tensor, distances: torch.Tensor) -> None:
        history.append(distances[0].item())
        if on_step is not None and every and (step % every == 0 or step == steps):
            on_step(step, images[0], history[-1])

    z, images, distance = invert_many(
        G, target, steps, lr, starts, classifier, classifier_weight, seed, on_step=watch
    )
    return Inversion(z, images[0], distance.item(), history)


def nearest_image(target: torch.Tensor, images: torch.Tensor) -> tuple[int, float]:
    """The index of the image in `images` (N, 1, 28, 28) closest to `target` in pixels, and its
    distance (the same root mean square as `invert`'s)."""
    target = _check_targets(target)[:1].to(images.device)
    distances = torch.cat([pixel_distance(chunk, target) for chunk in images.split(4096)])
    index = int(distances.argmin())
    return index, distances[index].item()

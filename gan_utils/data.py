"""MNIST for a tanh generator: images scaled to [-1, 1], and fast in-memory batches (notebook 01).

`load_mnist` gives torchvision's dataset, `mnist_tensors` all of a split as one tensor, and
`InMemoryLoader` cuts shuffled batches from it. `check_images` says what an image batch must look
like everywhere in the package: floats (N, 1, 28, 28) in [-1, 1]. Finding and checking the files on
disk is `gan_utils.mnist_files`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import torch
from torchvision import datasets, transforms

from gan_utils.mnist_files import prepare_mnist

__all__ = [
    "IMAGE_SHAPE",
    "InMemoryLoader",
    "check_images",
    "load_mnist",
    "mnist_tensors",
    "mnist_transform",
]

#: Channels, height and width of one MNIST image.
IMAGE_SHAPE = (1, 28, 28)


def check_images(images: Any, name: str = "images", signed: bool = False) -> torch.Tensor:
    """Raise a clear error unless `images` is a float tensor (N, 1, 28, 28) in [-1, 1] (notebook 07).

    signed=True (the metric) also refuses images with no value below 0: [0, 1] images by mistake.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (N, 1, 28, 28), got {type(images)}."
        )
    if images.ndim != 4 or tuple(images.shape[1:]) != IMAGE_SHAPE or len(images) == 0:
        hint = " Reshape with images.view(-1, 1, 28, 28)." if images.numel() % 784 == 0 else ""
        raise ValueError(f"{name} must have shape (N, 1, 28, 28), got {tuple(images.shape)}.{hint}")
    if not images.is_floating_point():
        raise TypeError(
            f"{name} must be floats in [-1, 1], got dtype {images.dtype}. "
            "Scale uint8 pixels with images.float() / 127.5 - 1."
        )
    lo, hi = images.min().item(), images.max().item()
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < -1.001 or hi > 1.001:
        raise ValueError(
            f"{name} must lie in [-1, 1] (a tanh generator's range), "
            f"got values in [{lo:.3g}, {hi:.3g}]. "
            "Images in [0, 1] become [-1, 1] with images * 2 - 1."
        )
    if signed and lo >= 0:
        raise ValueError(
            f"{name} have no value below 0, so they look like images in [0, 1]; this expects [-1, 1] "
            "(a tanh generator's range, real MNIST from mnist_tensors). Convert with images * 2 - 1."
        )
    return images


def mnist_transform() -> transforms.Compose:
    """PIL image -> tensor (1, 28, 28) in [-1, 1], the range of a tanh generator (notebook 01)."""
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def load_mnist(
    train: bool = True, root: str | os.PathLike | None = None, download: bool = True
) -> datasets.MNIST:
    """torchvision's MNIST dataset, images scaled to [-1, 1] per item (notebook 01)."""
    return datasets.MNIST(
        str(prepare_mnist(root, download)), train=train, download=False, transform=mnist_transform()
    )


def mnist_tensors(
    train: bool = True,
    root: str | os.PathLike | None = None,
    device: torch.device | str = "cpu",
    limit: int | None = None,
    download: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """All of MNIST as one tensor: images (N, 1, 28, 28) in [-1, 1] and labels (N,) (notebook 01).

    `limit` keeps the first N images (quick mode and tests).
    """
    ds = datasets.MNIST(str(prepare_mnist(root, download)), train=train, download=False)
    images, labels = ds.data, ds.targets  # uint8 (N, 28, 28), int64 (N,)
    if limit is not None:
        if not 0 < limit <= len(images):
            raise ValueError(f"limit must be between 1 and {len(images)}, got {limit}.")
        images, labels = images[:limit], labels[:limit]
    # One vectorised conversion instead of 60,000 PIL -> ToTensor -> Normalize calls.
    images = (
        images.to(device).unsqueeze(1).float().div_(127.5).sub_(1.0)
    )  # (N, 28, 28) -> (N, 1, 28, 28)
    return images, labels.to(device)


class InMemoryLoader:
    """Shuffled mini-batches cut from one tensor that already sits on the training device (notebook 01).

    Each epoch draws one permutation and slices it; no per-image Python work. The last incomplete
    batch is dropped so every batch has `batch_size` images (BatchNorm needs more than one).
    With `labels` (N,) it yields (images, labels) pairs, cut by the same permutation (notebook 09).
    """

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
        labels: torch.Tensor | None = None,
    ) -> None:
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}.")
        if not 0 < batch_size <= len(images):
            raise ValueError(
                f"batch_size must be between 1 and {len(images)} (the number of images), got {batch_size}."
            )
        if labels is not None and labels.shape != (len(images),):
            raise ValueError(
                f"labels must have shape ({len(images)},), one per image, got {tuple(labels.shape)}."
            )
        self.images, self.labels = images, labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        # The permutation is drawn on the CPU so a run is reproducible whatever the device.
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return len(self.images) // self.batch_size

    def __iter__(self) -> Iterator[torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        n = len(self) * self.batch_size
        if self.shuffle:
            order = torch.randperm(len(self.images), generator=self.generator)[:n]
        else:
            order = torch.arange(n)
        # One gather per epoch, then batches are free slices of it: one synchronisation per epoch,
        # not one per batch.
        order = order.to(self.images.device)
        shuffled = self.images.index_select(0, order)  # (n, C, H, W)
        if self.labels is None:
            yield from shuffled.split(self.batch_size)
        else:
            labels = self.labels.to(self.images.device).index_select(0, order)
            yield from zip(
                shuffled.split(self.batch_size), labels.split(self.batch_size), strict=True
            )

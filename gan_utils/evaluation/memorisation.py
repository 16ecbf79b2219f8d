"""Memorisation: is a generated digit a copy of a training image? The nearest one, in pixels (nb 07)."""

from __future__ import annotations

import torch

from gan_utils.data import check_images

#: A generated image counts as a "copy" when it is closer to a training image (L2 in [-1, 1]
#: pixels) than 99 % of real MNIST test images are to theirs: the 1 % quantile of the distances
#: from each of the 10,000 test images to its nearest training image (2.578). So 1 % of real test
#: images count as copies.
COPY_QUANTILE = 0.01
COPY_DISTANCE = 2.58


@torch.no_grad()
def nearest_neighbours(
    images: torch.Tensor, train_images: torch.Tensor, k: int = 1, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """L2 distances and indices (N, k) of each image's k nearest `train_images` (notebook 07).

    Pixels in [-1, 1], 784 of them: an all-black and an all-white image are 56 apart.
    One matrix product per batch ranks candidates; the k distances returned are recomputed exactly,
    so an exact copy has distance 0.
    """
    check_images(images, signed=True)
    check_images(train_images, "train_images", signed=True)
    if not 1 <= k <= len(train_images):
        raise ValueError(f"k must be between 1 and {len(train_images)}, got {k}.")
    train = train_images.flatten(1).float()  # (M, 784)
    train_sq = train.square().sum(dim=1)  # (M,)
    dists, indices = [], []
    for batch in images.split(batch_size):
        x = batch.flatten(1).to(train.device, torch.float32)  # (B, 784)
        # ||x - t||^2 = ||x||^2 + ||t||^2 - 2 x.t ; ||x||^2 is the same for every t, so skip it
        score = train_sq - 2 * x @ train.T  # (B, M)
        idx = score.topk(k, dim=1, largest=False).indices  # (B, k)
        exact = (x.unsqueeze(1) - train[idx]).norm(dim=2)  # (B, k)
        exact, order = exact.sort(dim=1)
        dists.append(exact.cpu())
        indices.append(idx.gather(1, order).cpu())
    return torch.cat(dists), torch.cat(indices)

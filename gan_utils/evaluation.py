"""How good is a generator, measured offline: three questions, three measurements.

1. Do its digits look like real ones? The Fréchet distance (FD) between generated and real images in
   the 128-d feature space of a small MNIST classifier that ships with the repository (FID needs
   Inception weights, which must be downloaded; this needs nothing but the repository).
2. Does it draw all ten digits, or has it collapsed onto a few? The classifier's digit histogram.
3. Are its digits copies of training images? The distance to the nearest training image, in pixels.

Introduced in notebook 07_evaluation; `evaluate_generator` is cheap enough to call during training.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from gan_utils.checkpoints import CheckpointError, load_checkpoint, shipped_file
from gan_utils.data import IMAGE_SHAPE, mnist_tensors
from gan_utils.models import make_noise

#: The classifier that ships with the package, in gan_utils/weights/ (scripts/train_classifier.py).
CLASSIFIER_FILE = "mnist_classifier.pt"
#: Tag stored in the classifier checkpoint, so a generator checkpoint is not mistaken for it.
CLASSIFIER_KIND = "mnist_classifier"

#: Sample size of the headline score. The FD estimate is biased upwards at small n, so scores are
#: comparable only at the same n; the reference is always the full MNIST test set (10,000 images).
DEFAULT_N = 10_000
#: A cheaper sample size for checks during training (notebook 05's trainer).
TRAINING_N = 2_000
#: A digit counts as "covered" when it gets at least this share of the samples: half of the fair
#: 10 %. Real MNIST digits get 8.9-11.4 % each; a collapsed generator leaves some digits far below.
MIN_DIGIT_SHARE = 0.05
#: A generated image counts as a "copy" when it is closer to a training image (L2 in [-1, 1]
#: pixels) than 99 % of real MNIST test images are to theirs: the 1 % quantile of the test -> train
#: nearest-neighbour distances, measured by scripts/calibrate_metric.py. Real test images: 1 %.
COPY_QUANTILE = 0.01
COPY_DISTANCE = 2.58  # 2.578 with the full test set (results/calibration.json)


class MNISTClassifier(nn.Module):
    """A small CNN: images (B, 1, 28, 28) in [-1, 1] -> 10 digit logits (notebook 07).

    `features(x)` returns the 128-d penultimate layer: the space the Fréchet distance lives in.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64), feature_dim: int = 128) -> None:
        super().__init__()
        self.channels, self.feature_dim = tuple(channels), feature_dim
        layers: list[nn.Module] = []
        side, c_in = IMAGE_SHAPE[1], IMAGE_SHAPE[0]
        for c_out in self.channels:  # each block halves the side: 28 -> 14 -> 7 -> 3
            layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            side, c_in = side // 2, c_out
        self.conv = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c_in * side * side, feature_dim), nn.ReLU())
        self.dropout = nn.Dropout(p=0.3)  # only active in train mode
        self.out = nn.Linear(feature_dim, 10)
        self.reference: FeatureStats | None = (
            None  # MNIST test-set statistics, set by load_classifier
        )

    @property
    def config(self) -> dict:
        """Everything needed to rebuild this architecture (stored in the checkpoint)."""
        return {"channels": list(self.channels), "feature_dim": self.feature_dim}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features: (B, 1, 28, 28) -> (B, feature_dim)."""
        return self.fc(self.conv(x))  # (B, 1, 28, 28) -> (B, 64, 3, 3) -> (B, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.features(x)))  # (B, 128) -> (B, 10)


@dataclass(frozen=True)
class FeatureStats:
    """Mean (D,) and covariance (D, D) of classifier features of n images, float64 (notebook 07)."""

    mu: torch.Tensor
    sigma: torch.Tensor
    n: int


# ----------------------------------------------------------------------------------------------
# The classifier: loading it, and checking what it is given


def load_classifier(
    path: str | os.PathLike | None = None, device: str | torch.device = "cpu"
) -> MNISTClassifier:
    """The shipped MNIST classifier (or the one at `path`) in eval mode (notebook 07).

    The checkpoint also carries the reference feature statistics of the MNIST test set, which
    `reference_statistics` returns without reading MNIST.
    """
    path = shipped_file(CLASSIFIER_FILE) if path is None else path
    state = load_checkpoint(path)
    if state.get("kind") != CLASSIFIER_KIND:
        raise CheckpointError(
            f"{path} holds a {state.get('kind', 'untagged')!r} checkpoint, "
            "not the MNIST classifier. "
            f"Leave path=None for the shipped {CLASSIFIER_FILE}, or train one with "
            "scripts/train_classifier.py."
        )
    try:
        model = MNISTClassifier(**state["config"])
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} does not match MNISTClassifier: {str(exc).splitlines()[0][:300]}. "
            "Retrain it with scripts/train_classifier.py."
        ) from None
    ref = state.get("reference")
    model.reference = FeatureStats(ref["mu"], ref["sigma"], int(ref["n"])) if ref else None
    return model.to(device).eval()


_CLASSIFIERS: dict[str, MNISTClassifier] = {}


def default_classifier(device: str | torch.device = "cpu") -> MNISTClassifier:
    """The shipped classifier, loaded once per device and then reused (notebook 07)."""
    key = str(torch.device(device))
    if key not in _CLASSIFIERS:
        _CLASSIFIERS[key] = load_classifier(device=device)
    return _CLASSIFIERS[key]


def check_images(images: Any, name: str = "images") -> torch.Tensor:
    """Raise a clear error unless `images` is a float tensor (N, 1, 28, 28) in [-1, 1] (nb 07)."""
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
    return images


@torch.no_grad()
def classify(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, 128) and digit probabilities (N, 10) of images, on the CPU (notebook 07)."""
    check_images(images)
    classifier = classifier if classifier is not None else default_classifier()
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    feats, probs = [], []
    for batch in images.split(batch_size):
        f = classifier.features(batch.to(device))  # (B, 1, 28, 28) -> (B, 128)
        feats.append(f.cpu())
        probs.append(classifier.out(f).softmax(dim=1).cpu())  # (B, 128) -> (B, 10)
    classifier.train(was_training)
    return torch.cat(feats), torch.cat(probs)


# ----------------------------------------------------------------------------------------------
# 1. Realism: the Fréchet distance between two Gaussians fitted to features


def _as_float64(x: Any, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a tensor or numpy array, got {type(x)}.")
    return x.detach().to("cpu", torch.float64)


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """FD = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) between two Gaussians (notebook 07).

    Computed in float64. (S1 S2)^(1/2) is not symmetric, but its trace equals that of the symmetric
    matrix (S1^(1/2) S2 S1^(1/2))^(1/2), whose eigenvalues `eigh` finds stably; tiny negative
    eigenvalues from rounding are clamped to 0.
    """
    mu1, mu2 = _as_float64(mu1, "mu1"), _as_float64(mu2, "mu2")
    s1, s2 = _as_float64(sigma1, "sigma1"), _as_float64(sigma2, "sigma2")
    d = mu1.shape[0] if mu1.ndim == 1 else -1
    if mu1.ndim != 1 or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            "Expected mu1, mu2 of shape (D,) and sigma1, sigma2 of shape (D, D), got "
            f"{tuple(mu1.shape)}, {tuple(mu2.shape)}, {tuple(s1.shape)}, {tuple(s2.shape)}."
        )
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2
    w, v = torch.linalg.eigh(s1)
    sqrt_s1 = (v * w.clamp(min=0).sqrt()) @ v.T  # S1^(1/2)
    middle = sqrt_s1 @ s2 @ sqrt_s1
    eig = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0)
    fd = (mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * eig.sqrt().sum()
    return max(float(fd), 0.0)


def feature_statistics(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = 500
) -> FeatureStats:
    """Mean and covariance of the classifier features of `images` (N, 1, 28, 28) (notebook 07)."""
    feats, _ = classify(images, classifier, batch_size)
    return stats_from_features(feats)


def stats_from_features(feats: torch.Tensor) -> FeatureStats:
    """Mean and covariance (float64) of features (N, D), N >= 2 (notebook 07)."""
    if len(feats) < 2:
        raise ValueError(f"A covariance needs at least 2 images, got {len(feats)}.")
    f = feats.to(torch.float64)
    return FeatureStats(mu=f.mean(dim=0), sigma=torch.cov(f.T), n=len(f))


def reference_statistics(classifier: MNISTClassifier | None = None) -> FeatureStats:
    """Feature statistics of the 10,000 MNIST test images: what every FD compares to (notebook 07).

    The shipped classifier carries them; another classifier computes them once from MNIST.
    """
    classifier = classifier if classifier is not None else default_classifier()
    if getattr(classifier, "reference", None) is None:
        test_images, _ = mnist_tensors(train=False)
        classifier.reference = feature_statistics(test_images, classifier)
    return classifier.reference


def frechet_classifier_distance(
    images: torch.Tensor,
    classifier: MNISTClassifier | None = None,
    reference: FeatureStats | None = None,
    batch_size: int = 500,
) -> float:
    """FD between `images` (N, 1, 28, 28) in [-1, 1] and the MNIST test set (notebook 07).

    Lower is better; real training images score about 1 at N = 10,000. Biased upwards at small N:
    compare scores only at the same N (DEFAULT_N = 10,000).
    """
    classifier = classifier if classifier is not None else default_classifier()
    reference = reference if reference is not None else reference_statistics(classifier)
    stats = feature_statistics(images, classifier, batch_size)
    return frechet_distance(stats.mu, stats.sigma, reference.mu, reference.sigma)


# ----------------------------------------------------------------------------------------------
# 2. Coverage: which digits does it draw?


def digit_histogram(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = 500
) -> torch.Tensor:
    """How many of `images` the classifier reads as each digit 0-9: (10,) int64 (notebook 07)."""
    _, probs = classify(images, classifier, batch_size)
    return torch.bincount(probs.argmax(dim=1), minlength=10)


def _check_counts(counts: Any) -> torch.Tensor:
    counts = torch.as_tensor(counts, dtype=torch.float64)
    if counts.shape != (10,) or (counts < 0).any() or counts.sum() == 0:
        raise ValueError(
            f"counts must be 10 non-negative numbers, not all 0 (a digit histogram), got {counts}."
        )
    return counts


def digits_covered(counts: Any, min_share: float = MIN_DIGIT_SHARE) -> int:
    """How many digits get at least `min_share` of the samples (10 = all drawn; notebook 07)."""
    counts = _check_counts(counts)
    return int((counts / counts.sum() >= min_share).sum())


def kl_to_uniform(counts: Any) -> float:
    """KL(digit shares || uniform), nats: 0 = ten equal shares, 2.30 = one digit (notebook 07)."""
    p = _check_counts(counts)
    p = p / p.sum()
    p = p[p > 0]  # 0 * log 0 = 0
    return float((p * (p * 10).log()).sum())


# ----------------------------------------------------------------------------------------------
# 3. Memorisation: the nearest training image in pixel space


@torch.no_grad()
def nearest_neighbours(
    images: torch.Tensor, train_images: torch.Tensor, k: int = 1, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """L2 distances and indices (N, k) of each image's k nearest `train_images` (notebook 07).

    Pixels in [-1, 1], 784 of them: an all-black and an all-white image are 56 apart.
    One matrix product per batch ranks candidates; the k distances returned are recomputed exactly,
    so an exact copy has distance 0.
    """
    check_images(images)
    check_images(train_images, "train_images")
    if not 1 <= k <= len(train_images):
        raise ValueError(f"k must be between 1 and {len(train_images)}, got {k}.")
    train = train_images.flatten(1)  # (M, 784)
    train_sq = train.square().sum(dim=1)  # (M,)
    dists, indices = [], []
    for batch in images.split(batch_size):
        x = batch.flatten(1).to(train.device)  # (B, 784)
        # ||x - t||^2 = ||x||^2 + ||t||^2 - 2 x.t ; ||x||^2 is the same for every t, so skip it
        score = train_sq - 2 * x @ train.T  # (B, M)
        idx = score.topk(k, dim=1, largest=False).indices  # (B, k)
        exact = (x.unsqueeze(1) - train[idx]).norm(dim=2)  # (B, k)
        exact, order = exact.sort(dim=1)
        dists.append(exact.cpu())
        indices.append(idx.gather(1, order).cpu())
    return torch.cat(dists), torch.cat(indices)


# ----------------------------------------------------------------------------------------------
# All three at once


@torch.no_grad()
def generate_images(
    G: nn.Module,
    n: int,
    seed: int = 0,
    device: str | torch.device | None = None,
    batch_size: int = 500,
) -> torch.Tensor:
    """n images (n, 1, 28, 28) from G in eval mode, from seeded noise, on the CPU (notebook 07)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}.")
    device = torch.device(device) if device is not None else next(G.parameters()).device
    noise_rng = torch.Generator().manual_seed(seed)  # CPU noise: the same images on every device
    was_training = G.training
    G.eval()  # BatchNorm uses its running statistics, as at generation time
    out = []
    for start in range(0, n, batch_size):
        z = make_noise(min(batch_size, n - start), G.latent_dim, device, noise_rng)  # (B, latent)
        out.append(G(z).cpu())  # (B, latent) -> (B, 1, 28, 28)
    G.train(was_training)
    return torch.cat(out)


def evaluate_images(
    images: torch.Tensor,
    classifier: MNISTClassifier | None = None,
    train_images: torch.Tensor | None = None,
    copy_distance: float | None = None,
    batch_size: int = 500,
) -> dict[str, float | int]:
    """All metrics for a batch of images in [-1, 1], as plain numbers (notebook 07).

    Keys: n, fd, digits_covered, kl_to_uniform, confidence (mean top-class probability), and with
    `train_images` also nn_distance (median distance to the nearest training image) and copy_rate
    (share of images closer than `copy_distance`, default COPY_DISTANCE, to a training image).
    """
    classifier = classifier if classifier is not None else default_classifier()
    feats, probs = classify(images, classifier, batch_size)
    stats, ref = stats_from_features(feats), reference_statistics(classifier)
    counts = torch.bincount(probs.argmax(dim=1), minlength=10)
    result: dict[str, float | int] = {
        "n": len(images),
        "fd": frechet_distance(stats.mu, stats.sigma, ref.mu, ref.sigma),
        "digits_covered": digits_covered(counts),
        "kl_to_uniform": kl_to_uniform(counts),
        "confidence": float(probs.max(dim=1).values.mean()),
    }
    if train_images is not None:
        dist, _ = nearest_neighbours(images, train_images)
        copy_distance = COPY_DISTANCE if copy_distance is None else copy_distance
        result["nn_distance"] = float(dist[:, 0].median())
        result["copy_rate"] = float((dist[:, 0] < copy_distance).double().mean())
    return result


def evaluate_generator(
    G: nn.Module,
    n: int = DEFAULT_N,
    seed: int = 0,
    device: str | torch.device | None = None,
    classifier: MNISTClassifier | None = None,
    train_images: torch.Tensor | None = None,
    copy_distance: float | None = None,
) -> dict[str, float | int]:
    """Sample n images from G (seeded, eval mode): `evaluate_images` + seconds (notebook 07).

    Cheap enough for training loops at n=TRAINING_N (2,000) without `train_images`: 0.4 s on a
    2-core CPU (up to 3 s when other jobs share it). G's train/eval mode is restored afterwards.
    """
    start = time.perf_counter()
    images = generate_images(G, n, seed, device)
    result = evaluate_images(images, classifier, train_images, copy_distance)
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result

"""Realism: the Fréchet distance between Gaussians fitted to classifier features (notebook 07).

The same formula as FID, in the 128-d feature space of our MNIST classifier instead of Inception's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gan_utils.data import mnist_tensors
from gan_utils.evaluation.classifier import (
    FeatureStats,
    MNISTClassifier,
    classify,
    default_classifier,
)


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

"""Coverage: which digits does a generator draw, and how evenly? (notebook 07)"""

from __future__ import annotations

from typing import Any

import torch

from gan_utils.evaluation.classifier import MNISTClassifier, classify

#: A digit counts as "covered" when it gets at least this share of the samples: half of the fair
#: 10 %. Real MNIST digits get 8.9-11.4 % each; a collapsed generator leaves some digits far below.
MIN_DIGIT_SHARE = 0.05


def digit_histogram(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = 500
) -> torch.Tensor:
    """How many of `images` the classifier reads as each digit 0-9: (10,) int64 (notebook 07)."""
    _, probs = classify(images, classifier, batch_size)
    return torch.bincount(probs.argmax(dim=1), minlength=10)


def _check_counts(counts: Any) -> torch.Tensor:
    counts = torch.as_tensor(counts, dtype=torch.float64)
    if (
        counts.shape != (10,)
        or not torch.isfinite(counts).all()
        or (counts < 0).any()
        or counts.sum() == 0
    ):
        raise ValueError(
            f"counts must be 10 finite, non-negative numbers, not all 0 (a digit histogram), got {counts}."
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

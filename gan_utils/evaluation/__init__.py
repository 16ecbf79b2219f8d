"""How good is a generator, measured offline: one measurement per question (notebook 07).

1. Do its digits look like real ones? `frechet`: the Fréchet distance (FD) between generated and real
   images in the 128-d feature space of a small MNIST classifier (`classifier`) that ships with the
   package (FID needs Inception weights, which must be downloaded; this needs nothing more).
2. Does it draw all ten digits, or has it collapsed onto a few? `coverage`: the digit histogram.
3. Are its digits copies of training images? `memorisation`: the nearest training image, in pixels.
4. For a conditional generator (notebook 09): does it draw the digit it is asked for?
   `digit_accuracy`: the share of images asked for K that the classifier reads as K.

This module puts the first three together (`evaluate_images`, `evaluate_generator`) and offers them
to the trainer as an epoch-end callback (`MetricCallback`); the trainer itself knows nothing of them.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_utils.checkpoints import save_generator
from gan_utils.evaluation.classifier import (
    CLASSIFIER_FILE,
    CLASSIFIER_KIND,
    FeatureStats,
    MNISTClassifier,
    classify,
    default_classifier,
    load_classifier,
)
from gan_utils.evaluation.coverage import (
    MIN_DIGIT_SHARE,
    digit_histogram,
    digits_covered,
    kl_to_uniform,
)
from gan_utils.evaluation.digit_accuracy import per_digit_accuracy
from gan_utils.evaluation.frechet import (
    feature_statistics,
    frechet_classifier_distance,
    frechet_distance,
    reference_statistics,
    stats_from_features,
)
from gan_utils.evaluation.memorisation import COPY_DISTANCE, COPY_QUANTILE, nearest_neighbours
from gan_utils.gan import drawing_generator
from gan_utils.models import generate_images

#: Sample size of the headline score. The FD estimate is biased upwards at small n, so scores are
#: comparable only at the same n; the reference is always the full MNIST test set (10,000 images).
DEFAULT_N = 10_000
#: A cheaper sample size for checks during training (MetricCallback).
TRAINING_N = 2_000


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

    Cheap enough to run during training at n=TRAINING_N (2,000) without `train_images` (see
    MetricCallback). G's train/eval mode is restored afterwards.
    """
    start = time.perf_counter()
    images = generate_images(G, n, seed, device)
    result = evaluate_images(images, classifier, train_images, copy_distance)
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


class MetricCallback:
    """The metric during training: `train(gan, on_epoch_end=MetricCallback(out_dir=OUT))` (notebook 05).

    Every `every` epochs it scores the generator on `n` samples and appends eval_fd,
    eval_digits_covered, eval_kl_to_uniform, eval_seconds and eval_epoch to the run's history (so
    they are saved in its checkpoint). With `out_dir`, the generator with the lowest FD so far is
    saved as OUT/best_generator.pt.
    """

    def __init__(self, every: int = 1, n: int = TRAINING_N, out_dir: str | Path | None = None):
        if not isinstance(every, int) or every < 1:
            raise ValueError(
                f"every (epochs between scores) must be a positive int, got {every!r}."
            )
        self.every, self.n = every, n
        self.out_dir = Path(out_dir) if out_dir is not None else None

    def __call__(self, gan: Any, samples: torch.Tensor | None = None) -> None:
        if gan.epoch % self.every:
            return
        G = drawing_generator(gan)  # the EMA when the run keeps one, as shipped
        scores = evaluate_generator(G, n=self.n, seed=0, device=gan.device)
        best = min(gan.history.get("eval_fd", [math.inf]))
        for key in ("fd", "digits_covered", "kl_to_uniform", "seconds"):
            gan.history.setdefault(f"eval_{key}", []).append(float(scores[key]))
        gan.history.setdefault("eval_epoch", []).append(float(gan.epoch))
        if self.out_dir is not None and scores["fd"] < best:
            save_generator(
                G,
                self.out_dir / "best_generator.pt",
                epoch=gan.epoch,
                fd=float(scores["fd"]),
                eval_samples=self.n,
            )


__all__ = [
    "CLASSIFIER_FILE",
    "CLASSIFIER_KIND",
    "COPY_DISTANCE",
    "COPY_QUANTILE",
    "DEFAULT_N",
    "MIN_DIGIT_SHARE",
    "TRAINING_N",
    "FeatureStats",
    "MNISTClassifier",
    "MetricCallback",
    "classify",
    "default_classifier",
    "digit_histogram",
    "digits_covered",
    "evaluate_generator",
    "evaluate_images",
    "feature_statistics",
    "frechet_classifier_distance",
    "frechet_distance",
    "kl_to_uniform",
    "load_classifier",
    "nearest_neighbours",
    "per_digit_accuracy",
    "reference_statistics",
    "stats_from_features",
]

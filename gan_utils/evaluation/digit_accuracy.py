"""Does a conditional generator draw the digit it is asked for? (notebook 09)

For each digit K it draws `n_per_digit` images asked for K and lets the shipped classifier read them:
the share read as K is that digit's accuracy.
"""

from __future__ import annotations

from torch import nn

from gan_utils.evaluation.classifier import MNISTClassifier, classify
from gan_utils.models import generate_images, is_conditional


def per_digit_accuracy(
    G: nn.Module,
    n_per_digit: int = 1000,
    seed: int = 0,
    classifier: MNISTClassifier | None = None,
) -> list[float]:
    """For K = 0..9: the share of `n_per_digit` images asked for K that the classifier reads as K."""
    if not is_conditional(G):
        raise ValueError(
            "per_digit_accuracy needs a conditional generator (design 'cgan', notebook 09): an "
            "unconditional one cannot be asked for a digit."
        )
    if not isinstance(n_per_digit, int) or n_per_digit < 1:
        raise ValueError(f"n_per_digit must be a positive int, got {n_per_digit!r}.")
    shares = []
    for digit in range(G.n_classes):
        images = generate_images(G, n_per_digit, seed=seed + digit, labels=digit)
        _, probs = classify(images, classifier)
        shares.append(float((probs.argmax(dim=1) == digit).float().mean()))
    return shares

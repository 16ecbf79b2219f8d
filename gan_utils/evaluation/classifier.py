"""The small MNIST classifier whose features and digit readings the metric is built on (notebook 07).

It ships inside the package (gan_utils/weights/mnist_classifier.pt, with the feature statistics of
the MNIST test set); gan_utils/weights/README.md says how it was trained.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

from gan_utils.checkpoints import CheckpointError, load_checkpoint, shipped_file
from gan_utils.data import IMAGE_SHAPE, check_images

#: The classifier that ships with the package, in gan_utils/weights/.
CLASSIFIER_FILE = "mnist_classifier.pt"
#: Tag stored in the classifier checkpoint, so a generator checkpoint is not mistaken for it.
CLASSIFIER_KIND = "mnist_classifier"


@dataclass(frozen=True)
class FeatureStats:
    """Mean (D,) and covariance (D, D) of classifier features of n images, float64 (notebook 07)."""

    mu: torch.Tensor
    sigma: torch.Tensor
    n: int


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
            f"Leave path=None for the shipped {CLASSIFIER_FILE}, or give a file saved in its "
            "format (the gan-mnist repository's scripts/train_classifier.py writes one)."
        )
    try:
        model = MNISTClassifier(**state["config"])
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} does not match MNISTClassifier: {str(exc).splitlines()[0][:300]}. "
            "Leave path=None for the shipped classifier; if that is the file that fails, reinstall "
            "gan_utils (in Colab: restart the session and run the notebook's first cell again)."
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


@torch.no_grad()
def classify(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, 128) and digit probabilities (N, 10) of images, on the CPU (notebook 07)."""
    check_images(images, signed=True)
    classifier = classifier if classifier is not None else default_classifier()
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    feats, probs = [], []
    for batch in images.split(batch_size):
        f = classifier.features(batch.to(device, torch.float32))  # (B, 1, 28, 28) -> (B, 128)
        feats.append(f.cpu())
        probs.append(classifier.out(f).softmax(dim=1).cpu())  # (B, 128) -> (B, 10)
    classifier.train(was_training)
    return torch.cat(feats), torch.cat(probs)

"""Train the MNIST classifier behind gan_utils.evaluation; save gan_utils/weights/mnist_classifier.pt.

    GAN_DATA_DIR=path/to/data python scripts/train_classifier.py | tee results/classifier.txt

Real MNIST, a fixed seed, a few minutes on a 2-core CPU. The checkpoint also stores the feature
statistics of the 10,000 test images, the reference every Fréchet distance compares to. The log of
the run that made the shipped file is results/classifier.txt.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_utils.checkpoints import save_checkpoint
from gan_utils.data import InMemoryLoader, mnist_tensors
from gan_utils.evaluation import (
    CLASSIFIER_FILE,
    CLASSIFIER_KIND,
    MNISTClassifier,
    classify,
    stats_from_features,
)
from gan_utils.runtime import REPO_ROOT, set_seed


def shift(images: torch.Tensor, generator: torch.Generator, pixels: int = 2) -> torch.Tensor:
    """Mild augmentation: move each image by up to `pixels` in x and y (zero = black background)."""
    n = len(images)
    padded = F.pad(images, (pixels,) * 4, value=-1.0)  # (B, 1, 28, 28) -> (B, 1, 32, 32)
    dx, dy = torch.randint(0, 2 * pixels + 1, (2, n), generator=generator)
    rows = (dy[:, None] + torch.arange(28))[:, :, None]  # (B, 28, 1)
    cols = (dx[:, None] + torch.arange(28))[:, None, :]  # (B, 1, 28)
    return padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)  # (B, 1, 28, 28)


def accuracy(model: MNISTClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    _, probs = classify(images, model)
    return (probs.argmax(dim=1) == labels).double().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out",
        type=Path,
        default=(REPO_ROOT or Path.cwd()) / "gan_utils" / "weights" / CLASSIFIER_FILE,
    )
    args = parser.parse_args()

    rng = set_seed(args.seed)
    train_x, train_y = mnist_tensors(train=True)
    test_x, test_y = mnist_tensors(train=False)
    # Shuffle images and labels together: the loader shuffles indices into one stacked tensor.
    labelled = torch.cat([train_x.flatten(1), train_y[:, None].float()], dim=1)  # (N, 785)
    loader = InMemoryLoader(labelled[:, :, None, None], batch_size=args.batch_size, generator=rng)

    model = MNISTClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * len(loader))
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in loader:
            batch = batch.flatten(1)  # (B, 785)
            x, y = batch[:, :784].view(-1, 1, 28, 28), batch[:, 784].long()
            loss = F.cross_entropy(model(shift(x, rng)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model.eval(), test_x, test_y)
        print(
            f"epoch {epoch}/{args.epochs}: loss {loss.item():.4f}, test accuracy {acc:.2%}, "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )

    model.eval()
    feats, probs = classify(test_x, model)
    acc = (probs.argmax(dim=1) == test_y).double().mean().item()
    ref = stats_from_features(feats)
    save_checkpoint(
        {
            "kind": CLASSIFIER_KIND,
            "config": model.config,
            "model": model.state_dict(),
            "reference": {"mu": ref.mu, "sigma": ref.sigma, "n": ref.n, "split": "test"},
            "meta": {
                "test_accuracy": acc,
                "epochs": args.epochs,
                "seed": args.seed,
                "torch": str(torch.__version__),  # a str subclass weights_only refuses
                "script": "scripts/train_classifier.py",
            },
        },
        args.out,
    )
    size_kb = args.out.stat().st_size / 1024
    print(f"test accuracy {acc:.2%} on all 10,000 MNIST test images ({test_y.numel()} labels)")
    print(
        f"saved {args.out.name} ({size_kb:.0f} KB), seed {args.seed}, {args.epochs} epochs, "
        f"{time.perf_counter() - start:.0f} s of training on {torch.get_num_threads()} CPU threads"
    )


if __name__ == "__main__":
    main()

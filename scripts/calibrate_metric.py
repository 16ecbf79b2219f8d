"""Calibrate gan_utils.evaluation: score things whose quality we know, at one sample size n.

    GAN_DATA_DIR=path/to/data python scripts/calibrate_metric.py  # n = 10,000
    GAN_DATA_DIR=path/to/data python scripts/calibrate_metric.py --n 2000 --out /tmp/cal  # quicker

Rows: real training images (the best a generator can hope for), blurred and noised training
images, uniform noise, an untrained generator of each design, and every shipped generator under
gan_utils/weights/ (the conditional one asked for the digits 0-9 in turn). Writes
results/calibration.json and results/calibration.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torchvision.transforms.functional import gaussian_blur

from gan_utils.checkpoints import load_generator
from gan_utils.data import mnist_tensors
from gan_utils.evaluation import (
    COPY_QUANTILE,
    default_classifier,
    evaluate_images,
    generate_images,
    nearest_neighbours,
)
from gan_utils.models import Generator
from gan_utils.runtime import REPO_ROOT, set_seed

ROOT = REPO_ROOT or Path.cwd()
TRAINED = {  # every shipped generator, gan_utils/weights/generator_<design>.pt
    f"trained generator, {path.stem.removeprefix('generator_')} design": str(path.relative_to(ROOT))
    for path in sorted((ROOT / "gan_utils" / "weights").glob("generator_*.pt"))
}


def candidates(n: int, train: torch.Tensor) -> dict[str, torch.Tensor | str]:
    """Name -> images (n, 1, 28, 28) in [-1, 1], or a string saying why a row is missing."""
    g = torch.Generator().manual_seed(0)
    real = train[torch.randperm(len(train), generator=g)[:n]]
    noise = torch.randn(real.shape, generator=g)
    rows: dict[str, torch.Tensor | str] = {f"real training images ({n} drawn at random)": real}
    for sigma in (0.5, 1.0):
        rows[f"training images blurred (Gaussian, sigma {sigma})"] = gaussian_blur(real, 9, sigma)
    for std in (0.2, 0.5):
        rows[f"training images + Gaussian noise (std {std})"] = (real + std * noise).clamp(-1, 1)
    rows["uniform noise in [-1, 1]"] = torch.rand(real.shape, generator=g) * 2 - 1
    for design in ("block", "mlp"):
        set_seed(0)
        rows[f"untrained generator, {design} design"] = generate_images(Generator(design=design), n)
    for name, rel in TRAINED.items():
        path = ROOT / rel
        rows[name] = (
            generate_images(load_generator(path), n) if path.is_file() else f"{rel} not found"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="images per row (default 10,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args()
    start = time.perf_counter()
    train, _ = mnist_tensors(train=True)
    test, _ = mnist_tensors(train=False)
    clf = default_classifier()

    # The copy threshold: closer to a training image than 99 % of real test images are.
    test_nn, _ = nearest_neighbours(test, train)
    copy_distance = torch.quantile(test_nn[:, 0], COPY_QUANTILE).item()
    print(
        f"real test -> nearest training image: median {test_nn.median():.2f}, "
        f"{COPY_QUANTILE:.0%} quantile {copy_distance:.3f} (the copy threshold), "
        f"min {test_nn.min():.2f}"
    )

    results = []
    for name, images in candidates(args.n, train).items():
        if isinstance(images, str):
            print(f"{name}: skipped, {images}")
            results.append({"name": name, "missing": images})
            continue
        t = time.perf_counter()
        row = {"name": name, **evaluate_images(images, clf, train, copy_distance)}
        row["seconds"] = round(time.perf_counter() - t, 1)
        results.append(row)
        print(
            f"{name}: "
            + ", ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                for k, v in row.items()
                if k != "name"
            ),
            flush=True,
        )

    args.out.mkdir(parents=True, exist_ok=True)
    info = {
        "n": args.n,
        "reference": "all 10,000 MNIST test images",
        "copy_distance": copy_distance,
        "test_nn_median": test_nn.median().item(),
        "rows": results,
    }
    (args.out / "calibration.json").write_text(json.dumps(info, indent=1) + "\n")
    lines = [
        f"# Calibration of the classifier FD (n = {args.n:,} images per row)",
        "",
        "Reference: all 10,000 MNIST test images. fd: Fréchet distance in the classifier's "
        "128-d features (lower is better). covered: digits with at least 5 % of the samples. "
        "kl: KL(digit shares || uniform) in nats (0 = balanced, 2.30 = one digit). "
        "confidence: mean top-class probability. nn: median L2 pixel distance to the nearest "
        f"training image. copies: share closer to a training image than {copy_distance:.2f}, "
        "which 99 % of real test images are not.",
        "",
        "| images | fd | covered | kl | confidence | nn | copies |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "missing" in r:
            lines.append(f"| {r['name']} | {r['missing']} | | | | | |")
        else:
            lines.append(
                f"| {r['name']} | {r['fd']:.2f} | {r['digits_covered']} | {r['kl_to_uniform']:.3f} "
                f"| {r['confidence']:.3f} | {r['nn_distance']:.2f} | {r['copy_rate']:.2%} |"
            )
    (args.out / "calibration.md").write_text("\n".join(lines) + "\n")
    print(
        f"wrote {args.out / 'calibration.json'} and calibration.md "
        f"in {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()

"""Draw images/gan_overview.png: the whole GAN on one page, and which notebook builds which part.

    python scripts/draw_overview.py            # needs MNIST (GAN_DATA_DIR or data/) and the shipped generator

The real digits are the first training images of MNIST; the fake ones come from the shipped generator
(gan_utils/weights/generator_block.pt), so the picture shows what the series actually produces.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to a file, no display needed

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from gan_utils.checkpoints import load_generator  # noqa: E402
from gan_utils.data import mnist_tensors  # noqa: E402
from gan_utils.models import make_noise  # noqa: E402
from gan_utils.plotting import image_grid  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "gan_overview.png"

FORWARD = "#333333"  # data flowing forward
D_GRAD = "#c0392b"  # gradient of D's loss: updates D
G_GRAD = "#1f6fb2"  # gradient of G's loss: flows back through D into G, updates G
TAG = "#7d3c98"  # notebook numbers
BOX = {"G": "#fdebd0", "D": "#d6eaf8", "loss": "#f2f3f4", "io": "#ffffff"}


def box(ax, x, y, w, h, text, color, size=11, weight="normal"):
    """A rounded box with centred text; (x, y) is its lower-left corner."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            fc=color,
            ec="#555555",
            lw=1.2,
        )
    )
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight)


def arrow(ax, start, end, color=FORWARD, dashed=False, rad=0.0, lw=1.8):
    """An arrow from start to end; dashed for gradients."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=16,
            color=color,
            lw=lw,
            linestyle=(0, (5, 3)) if dashed else "-",
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )


def digits(ax, images, x, y, w, h):
    """Place a grid of images in [-1, 1] at (x, y) with width w and height h (data units)."""
    grid = image_grid(images, nrow=4, padding=2).permute(1, 2, 0).numpy()  # (3, H, W) -> (H, W, 3)
    ax.imshow(grid, extent=(x, x + w, y, y + h), interpolation="nearest", aspect="auto", zorder=2)


def dashed_path(ax, points, color):
    """A dashed polyline through `points` whose last segment ends in an arrowhead."""
    xs, ys = zip(*points[:-1], strict=True)
    ax.plot(xs, ys, color=color, lw=1.8, linestyle=(0, (5, 3)), solid_capstyle="butt")
    arrow(ax, points[-2], points[-1], color=color, dashed=True)


def main() -> Path:
    real, _ = mnist_tensors(train=True, limit=8)  # (8, 1, 28, 28) in [-1, 1]
    G = load_generator()  # the shipped generator, design (b), eval mode
    with torch.no_grad():
        fake = G(make_noise(8, generator=torch.Generator().manual_seed(3)))  # (8, 1, 28, 28)

    fig = plt.figure(figsize=(10, 5.6), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5.6)
    ax.set_axis_off()

    ax.text(
        0.15,
        5.3,
        "A GAN on MNIST, and the notebook that builds each part",
        fontsize=13,
        weight="bold",
    )
    ax.text(
        0.15,
        4.95,
        "05 training loop: one D step, then one G step, per batch   ·   "
        "06 generation: G alone draws new digits   ·   07 evaluation: scores them",
        fontsize=9,
        color=TAG,
    )

    # Inputs, generator, images.
    box(ax, 0.15, 1.45, 1.25, 0.9, "noise z\n~ N(0, I)\n100 numbers", BOX["io"], size=10)
    box(ax, 1.85, 1.45, 1.1, 0.9, "G\ngenerator", BOX["G"], size=11, weight="bold")
    digits(ax, fake, 3.45, 1.5, 1.5, 0.75)
    ax.text(4.2, 2.32, "fake images", ha="center", va="bottom", fontsize=10)
    digits(ax, real, 3.45, 3.55, 1.5, 0.75)
    ax.text(4.2, 4.37, "real images (MNIST)", ha="center", va="bottom", fontsize=10)

    # The discriminator and its verdict.
    box(ax, 5.45, 2.45, 1.3, 0.9, "D\ndiscriminator", BOX["D"], size=11, weight="bold")
    box(ax, 7.05, 2.5, 1.15, 0.8, "P(real)\nreal or fake?", BOX["io"], size=10)
    box(ax, 8.5, 3.55, 1.4, 0.95, "D's loss\nreal → 1\nfake → 0", BOX["loss"], size=10)
    box(ax, 8.5, 1.25, 1.4, 0.95, "G's loss\nmake D call\nfakes real", BOX["loss"], size=10)

    # Forward: data and scores.
    arrow(ax, (1.4, 1.9), (1.85, 1.9))
    arrow(ax, (2.95, 1.9), (3.45, 1.9))
    arrow(ax, (4.95, 1.9), (5.45, 2.65), rad=0.2)
    arrow(ax, (4.95, 3.9), (5.45, 3.15), rad=-0.2)
    arrow(ax, (6.75, 2.9), (7.05, 2.9))
    arrow(ax, (8.2, 3.1), (8.5, 3.85), rad=0.2)
    arrow(ax, (8.2, 2.7), (8.5, 1.95), rad=-0.2)

    # Gradients (dashed): D's loss updates D; G's loss flows back through D into G.
    arrow(ax, (8.9, 4.5), (6.5, 3.35), color=D_GRAD, dashed=True, rad=0.35)
    dashed_path(ax, [(9.2, 1.25), (9.2, 0.75), (6.4, 0.75), (6.4, 2.45)], G_GRAD)
    dashed_path(ax, [(5.8, 2.45), (5.8, 0.75), (2.4, 0.75), (2.4, 1.45)], G_GRAD)
    ax.text(
        5.15,
        0.35,
        "G's gradient flows back through D (D's weights stay fixed) into G",
        color=G_GRAD,
        fontsize=9.5,
        ha="center",
    )

    # Legend, in the empty top-left corner.
    for y, color, dashed, text in [
        (4.35, FORWARD, False, "images and scores"),
        (4.0, D_GRAD, True, "gradient of D's loss: updates D"),
        (3.65, G_GRAD, True, "gradient of G's loss: updates G"),
    ]:
        arrow(ax, (0.2, y), (0.75, y), color=color, dashed=dashed, lw=1.6)
        ax.text(0.85, y, text, va="center", fontsize=9)

    # Which notebook builds which part.
    for x, y, text in [
        (4.2, 4.62, "01 data"),
        (2.4, 2.42, "02 G"),
        (5.85, 3.42, "03 D"),
        (9.2, 2.75, "04 losses"),
    ]:
        ax.text(x, y, text, ha="center", va="bottom", fontsize=9, color=TAG, weight="bold")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=100, facecolor="white")
    plt.close(fig)
    return OUT


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, no options
    path = main()
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1000:.0f} kB)")

"""Pictures: image grids, saved grids and loss curves, built on torchvision and matplotlib.

Introduced in notebook 01 (grids) and notebook 05 (loss curves, the progress GIF).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid, save_image

from gan_utils.data import check_images
from gan_utils.files import atomic_write


def _as_batch(images: torch.Tensor) -> torch.Tensor:
    """(B, 28, 28) or (B, 1, 28, 28) in [-1, 1] -> a checked (B, 1, 28, 28) batch on the CPU."""
    if isinstance(images, torch.Tensor) and images.ndim == 3:
        images = images.unsqueeze(1)  # (B, 28, 28) -> (B, 1, 28, 28)
    return check_images(images).detach().cpu()


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> torch.Tensor:
    """Images in [-1, 1] -> one (3, H, W) grid in [0, 1], white digits on black (notebook 01)."""
    images = _as_batch(images)
    return make_grid(images, nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1))


def show_images(
    images: torch.Tensor,
    nrow: int = 8,
    title: str | None = None,
    ax: plt.Axes | None = None,
    size: float = 4.0,
) -> plt.Axes:
    """Draw images in [-1, 1] as a grid on `ax` (a new figure when None) (notebook 01)."""
    grid = image_grid(images, nrow=nrow)
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size * grid.shape[1] / grid.shape[2]))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")  # (3, H, W) -> (H, W, 3)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def save_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int = 8) -> Path:
    """Save images in [-1, 1] as one PNG grid, atomically, creating the folder (notebook 05)."""
    batch = _as_batch(images)
    return atomic_write(
        path,
        lambda f: save_image(
            batch, f, format="png", nrow=nrow, padding=2, normalize=True, value_range=(-1, 1)
        ),
    )


def plot_losses(
    history: Mapping[str, Sequence[float]],
    ax: plt.Axes | None = None,
    keys: Sequence[str] = ("loss_d", "loss_g"),
    xlabel: str = "epoch",
    ylabel: str | None = None,
) -> plt.Axes:
    """Plot the loss curves stored in a training history (notebook 05)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    labels = {
        "loss_d": "discriminator",
        "loss_g": "generator",
        "d_real": "D(x)",
        "d_fake": "D(G(z))",
    }
    for key in keys:
        if key not in history:
            raise KeyError(f"history has no {key!r}; it has {sorted(history)}.")
        values = list(history[key])
        ax.plot(range(1, len(values) + 1), values, label=labels.get(key, key))
    if ylabel is None:
        is_loss = all(key.startswith("loss") for key in keys)
        ylabel = "loss (epoch mean)" if is_loss else "epoch mean"
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


class LivePlot:
    """One figure (loss curves + the latest fixed-noise samples) redrawn in place each epoch (notebook 05).

    Pass it as `on_epoch_end` to gan_utils.training.train. It updates a single display instead of
    stacking a new figure per epoch, in JupyterLab and Colab alike.
    """

    def __init__(self, size: tuple[float, float] = (10, 4)) -> None:
        self.fig, (self.ax_loss, self.ax_img) = plt.subplots(1, 2, figsize=size)
        plt.close(self.fig)  # displayed by us below, not again when the cell ends
        self.handle = None

    def __call__(self, gan, samples: torch.Tensor) -> None:
        from IPython.display import display

        self.ax_loss.clear()
        plot_losses(gan.history, ax=self.ax_loss)
        self.ax_img.clear()
        show_images(samples, ax=self.ax_img, title=f"fixed noise after epoch {gan.epoch}")
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)


def make_gif(frames: list[Path], path: str | Path, seconds_per_frame: float = 0.25) -> Path:
    """An animated GIF of the saved sample grids, holding the last frame (notebook 05)."""
    from PIL import Image

    if not frames:
        raise ValueError("make_gif needs at least one frame.")
    pictures = [Image.open(f).convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    ms = int(seconds_per_frame * 1000)
    durations = [ms] * (len(pictures) - 1) + [ms * 8]  # pause on the final result before looping
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures[0].save(
        path, save_all=True, append_images=pictures[1:], loop=0, duration=durations, optimize=True
    )
    return path

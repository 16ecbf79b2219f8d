"""gan_utils.plotting: grids, saved PNGs and loss curves (drawn with matplotlib's Agg backend)."""

from __future__ import annotations

import matplotlib.pyplot as plt  # conftest.py selects the Agg backend
import pytest
import torch
from PIL import Image

from gan_utils.plotting import image_grid, plot_losses, save_grid, show_images


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_image_grid_shape_and_range():
    images = torch.linspace(-1, 1, 16 * 28 * 28).view(16, 1, 28, 28)
    grid = image_grid(images, nrow=8)
    # 8 columns and 2 rows of 28-pixel images with 2-pixel padding around each.
    assert grid.shape == (3, 2 + 2 * 30, 2 + 8 * 30)
    assert grid.min() >= 0 and grid.max() <= 1
    # [-1, 1] maps onto [0, 1]: the darkest pixel is black, the brightest white.
    torch.testing.assert_close(grid[:, 2, 2], torch.zeros(3))
    torch.testing.assert_close(grid[:, 2 + 30 + 27, 2 + 7 * 30 + 27], torch.ones(3))


def test_image_grid_accepts_images_without_a_channel_and_on_any_device():
    images = torch.zeros(4, 28, 28, requires_grad=True) * 1  # a non-leaf tensor that needs grad
    grid = image_grid(images, nrow=2)
    assert grid.shape == (3, 62, 62) and not grid.requires_grad


@pytest.mark.parametrize("shape", [(28, 28), (4, 2, 28, 28), (2, 1, 1, 28, 28)])
def test_bad_shapes_are_rejected_with_the_expected_shape(shape):
    with pytest.raises(ValueError, match=r"must have shape \(N, 1, 28, 28\)"):
        image_grid(torch.zeros(shape))


def test_show_images_draws_on_given_axes():
    fig, ax = plt.subplots()
    out = show_images(torch.zeros(8, 1, 28, 28), nrow=4, title="zeros", ax=ax)
    assert out is ax and ax.get_title() == "zeros"
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (62, 122, 3)
    new_ax = show_images(torch.zeros(2, 1, 28, 28))
    assert new_ax.figure is not fig


def test_save_grid_writes_a_png(tmp_path):
    images = torch.rand(10, 1, 28, 28) * 2 - 1
    path = save_grid(images, tmp_path / "nested" / "grid.png", nrow=5)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        assert img.size == (2 + 5 * 30, 2 + 2 * 30)
    with pytest.raises(ValueError):
        save_grid(torch.zeros(3, 5, 28, 28), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_plot_losses_draws_one_line_per_key():
    history = {"loss_d": [0.7, 0.6, 0.5], "loss_g": [0.8, 1.0, 1.2], "d_real": [0.5, 0.6, 0.7]}
    ax = plot_losses(history)
    assert [line.get_label() for line in ax.get_lines()] == ["discriminator", "generator"]
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert list(ax.get_lines()[1].get_ydata()) == [0.8, 1.0, 1.2]
    ax = plot_losses(history, keys=("d_real",), xlabel="step")
    assert ax.get_xlabel() == "step" and ax.get_lines()[-1].get_label() == "D(x)"


def test_plot_losses_labels_both_axes():
    history = {"loss_d": [0.7, 0.6], "loss_g": [0.8, 1.0], "d_real": [0.5, 0.6]}
    assert plot_losses(history).get_ylabel() == "loss (epoch mean)"
    assert plot_losses(history, keys=("d_real",)).get_ylabel() == "epoch mean"
    assert plot_losses(history, ylabel="BCE").get_ylabel() == "BCE"


def test_plot_losses_names_missing_keys():
    with pytest.raises(KeyError, match="history has no 'loss_g'"):
        plot_losses({"loss_d": [1.0]})

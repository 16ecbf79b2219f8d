"""gan_utils.latent (noise, morphs) and gan_utils.widgets (PNG grids, the slider explorer)."""

from __future__ import annotations

import io

import ipywidgets as widgets
import pytest
import torch
from PIL import Image

from gan_utils.latent import MAX_GRID, interpolate, latent_batch, seeded_noise
from gan_utils.models import Generator
from gan_utils.widgets import (
    SAME_PLACE,
    LatentExplorer,
    latent_explorer,
    render_grid_png,
    sample_grid,
)


@pytest.fixture(scope="module")
def G() -> Generator:
    """A small untrained generator in eval mode: its digits are noise, but deterministic noise."""
    torch.manual_seed(0)
    return Generator(latent_dim=16, hidden=(32, 64)).eval()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()  # decodes the whole file: a truncated PNG fails here
        return picture.size


def test_render_returns_a_png_of_the_expected_size(G):
    z = latent_batch(0, n=4, latent_dim=16)  # (16, 16)
    # 4 columns of 28-pixel digits with 2-pixel padding: 2 + 4 * 30 = 122 pixels, times the upscale.
    assert png_size(render_grid_png(G, z, nrow=4, upscale=2)) == (244, 244)
    assert png_size(render_grid_png(G, z[:8], nrow=4, upscale=1)) == (122, 62)
    # By default the picture is upscaled to at least 600 pixels wide: 5 x 122 = 610.
    assert png_size(render_grid_png(G, z, nrow=4)) == (610, 610)


def test_same_seed_gives_the_same_bytes_and_another_seed_different_bytes(G):
    def png(seed: int) -> bytes:
        return render_grid_png(G, latent_batch(seed, n=3, latent_dim=16), nrow=3)

    assert png(7) == png(7)
    assert png(7) != png(8)


def test_seeded_noise_is_reproducible_and_a_bigger_grid_keeps_the_first_digits():
    a, b = seeded_noise(3, 4, latent_dim=16), seeded_noise(3, 9, latent_dim=16)
    assert a.shape == (4, 16) and b.shape == (9, 16)
    torch.testing.assert_close(a, b[:4])
    assert not torch.equal(seeded_noise(4, 4, latent_dim=16), a)
    # A seed does not depend on (or disturb) torch's global random state.
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    seeded_noise(3, 4)
    assert torch.equal(torch.rand(1), before)


def test_sample_grid_matches_the_explorer_noise_and_range(G):
    images = sample_grid(G, seed=2, n=3, scale=0.5)
    assert images.shape == (9, 1, 28, 28) and images.device.type == "cpu"
    assert images.min() >= -1 and images.max() <= 1
    with torch.inference_mode():
        expected = G(latent_batch(2, 3, 0.5, latent_dim=16))
    torch.testing.assert_close(images, expected)


def test_interpolation_ends_and_lengths():
    z0, z1 = seeded_noise(0, 64), seeded_noise(1, 64)
    for path in ("linear", "slerp"):
        torch.testing.assert_close(interpolate(z0, z1, 0.0, path), z0)
        torch.testing.assert_close(interpolate(z0, z1, 1.0, path), z1)
    mid_linear = interpolate(z0, z1, 0.5, "linear").norm(dim=1).mean()
    ends = (z0.norm(dim=1).mean() + z1.norm(dim=1).mean()) / 2
    # Independent Gaussian vectors are nearly orthogonal: the straight midpoint is ~0.71x as long.
    assert 0.6 < mid_linear / ends < 0.8
    # On equal-length vectors slerp keeps the length all the way.
    u0, u1 = z0 / z0.norm(dim=1, keepdim=True), z1 / z1.norm(dim=1, keepdim=True)
    torch.testing.assert_close(interpolate(u0, u1, 0.3, "slerp").norm(dim=1), torch.ones(64))
    # Parallel vectors have no arc between them: slerp falls back to the straight line.
    torch.testing.assert_close(interpolate(u0, 2 * u0, 0.5, "slerp"), 1.5 * u0)


def test_changing_a_slider_updates_the_image_widget(G):
    explorer = latent_explorer(G, seed=0, n=3)
    assert isinstance(explorer, widgets.Widget)
    first = explorer.image.value
    assert png_size(first) == (92 * 7, 92 * 7)  # 2 + 3 * 30 = 92 pixels, upscaled 7x to >= 600

    explorer.sliders["seed"].value = 5
    assert explorer.image.value != first
    assert explorer.image.value == render_grid_png(G, latent_batch(5, 3, latent_dim=16), nrow=3)

    explorer.sliders["n"].value = 4
    assert png_size(explorer.image.value) == (610, 610)

    # The morph: at t = 1 the grid shows seed_to's digits, whichever path is walked.
    explorer.sliders["seed_to"].value = 9
    explorer.sliders["path"].value = "slerp"
    explorer.sliders["t"].value = 1.0
    assert explorer.image.value == render_grid_png(G, latent_batch(9, 4, latent_dim=16), nrow=4)

    explorer.sliders["scale"].value = 0.0  # every digit from z = 0: all the same
    assert explorer.noise().abs().max() == 0
    assert "16 digits" in explorer.status.value


def test_morph_toward_one_picked_digit(G):
    # latent_batch: with a target, every digit walks toward that one digit of seed_to's grid.
    z_to = seeded_noise(9, 9, latent_dim=16)  # (9, 16): seed 9's 3 x 3 grid
    towards_5 = latent_batch(0, 3, latent_dim=16, seed_to=9, t=1.0, target=5)  # (9, 16)
    torch.testing.assert_close(towards_5, z_to[5].expand(9, 16))
    half = latent_batch(0, 3, latent_dim=16, seed_to=9, t=0.5, path="slerp", target=5)
    torch.testing.assert_close(
        half, interpolate(seeded_noise(0, 9, 16), z_to[[5] * 9], 0.5, "slerp")
    )

    explorer = latent_explorer(G, seed=2, n=3)
    target = explorer.sliders["target"]
    assert target.value == SAME_PLACE and target.description == "morph toward"
    assert len(target.options) == 1 + 9 and target.options[6] == ("row 2, column 3", 5)
    same_place = explorer.image.value
    # Morph seed 2's grid toward its own digit in row 2, column 3: at t = 1 all nine are that digit.
    explorer.sliders["seed_to"].value = 2
    target.value = 5
    explorer.sliders["t"].value = 1.0
    one_digit = render_grid_png(G, seeded_noise(2, 9, latent_dim=16)[[5] * 9], nrow=3)
    assert explorer.image.value == one_digit != same_place
    # A bigger grid offers its own digits and keeps the choice; a smaller one without it resets.
    explorer.sliders["n"].value = 4
    assert len(target.options) == 1 + 16 and target.value == 5
    assert explorer.image.value == render_grid_png(
        G, seeded_noise(2, 16, latent_dim=16)[[5] * 16], nrow=4
    )
    explorer.sliders["n"].value = 2
    assert len(target.options) == 1 + 4 and target.value == SAME_PLACE
    assert explorer.image.value == render_grid_png(G, latent_batch(2, 2, latent_dim=16), nrow=2)
    with pytest.raises(ValueError, match="index of a digit"):
        latent_batch(0, 3, seed_to=1, t=0.5, target=9)
    with pytest.raises(ValueError, match="give seed_to"):
        latent_batch(0, 3, target=1)


def test_explorer_uses_only_core_widgets_and_says_what_it_is_where_widgets_cannot_render(G):
    explorer = LatentExplorer(G, n=2)
    # Core widgets exist in ipywidgets 7.7 (Colab) and 8 and need no custom widget manager.
    stack = [explorer]
    while stack:
        widget = stack.pop()
        assert widget._model_module in ("@jupyter-widgets/controls", "@jupyter-widgets/base")
        stack += list(getattr(widget, "children", ()))
    assert "run the notebook" in repr(explorer)
    # Sliders that jump (seeds, grid size) redraw on release, smooth ones (morph, scale) as dragged.
    assert not explorer.sliders["seed"].continuous_update
    assert explorer.sliders["t"].continuous_update
    assert not LatentExplorer(G, n=2, continuous_update=False).sliders["scale"].continuous_update


def test_bad_arguments_say_what_was_expected(G):
    z = latent_batch(0, 2, latent_dim=16)
    with pytest.raises(ValueError, match="G.eval"):
        render_grid_png(Generator(latent_dim=16, hidden=(32,)), z, nrow=2)  # still in training mode
    with pytest.raises(TypeError, match="load_generator"):
        render_grid_png(torch.nn.Linear(16, 784).eval(), z, nrow=2)
    with pytest.raises(ValueError, match=r"shape \(N, 16\)"):
        render_grid_png(G, torch.zeros(4, 100), nrow=2)
    with pytest.raises(ValueError, match="nrow"):
        render_grid_png(G, z, nrow=0)
    with pytest.raises(ValueError, match="upscale"):
        render_grid_png(G, z, nrow=2, upscale=0)
    with pytest.raises(ValueError, match="non-negative"):
        seeded_noise(-1, 4)
    with pytest.raises(ValueError, match=f"1 to {MAX_GRID}"):
        latent_batch(0, n=MAX_GRID + 1)
    with pytest.raises(ValueError, match="scale"):
        latent_batch(0, n=2, scale=-1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        interpolate(z, z, 1.5)
    with pytest.raises(ValueError, match="path"):
        interpolate(z, z, 0.5, path="cubic")
    with pytest.raises(ValueError, match="same shape"):
        interpolate(z, z[:1], 0.5)
    with pytest.raises(ValueError, match="G.eval"):
        latent_explorer(Generator(latent_dim=16, hidden=(32,)))
    with pytest.raises(ValueError, match="from 2 to"):
        latent_explorer(G, n=1)
    with pytest.raises(ValueError, match="slider's range"):
        latent_explorer(G, seed=10_000)


def test_digit_picker_keeps_the_noise_and_the_noise_sliders_keep_the_digit(G):
    from gan_utils.conditional import ConditionalGenerator
    from gan_utils.widgets import ALL_DIGITS

    assert "digit" not in latent_explorer(G, n=2).sliders  # an unconditional G has no picker
    torch.manual_seed(0)
    Gc = ConditionalGenerator(latent_dim=16, hidden=(32, 64)).eval()
    explorer = latent_explorer(Gc, seed=0, n=3)
    picker = explorer.sliders["digit"]
    assert picker.value == ALL_DIGITS and picker in explorer.children
    z, before = explorer.noise(), explorer.image.value

    picker.value = 7  # a new digit, the same noise
    assert torch.equal(explorer.noise(), z) and explorer.image.value != before
    assert explorer.image.value == render_grid_png(Gc, z, nrow=3, digit=7)
    assert "all 7s" in explorer.status.value

    explorer.sliders["seed"].value = 4  # new noise, the same digit
    assert picker.value == 7
    assert explorer.image.value == render_grid_png(
        Gc, latent_batch(4, 3, latent_dim=16), nrow=3, digit=7
    )
    with pytest.raises(ValueError, match="conditional"):
        render_grid_png(G, latent_batch(0, 2, latent_dim=16), nrow=2, digit=3)

"""Sliders over a trained generator's noise, with one picture that follows them (notebook 06).

The noise behind the picture comes from `gan_utils.latent` (seeds, morphs, scale); this module
draws it and builds the widget. The picture is a `widgets.Image` whose `value` is replaced by fresh
PNG bytes on every change. That updates in place in JupyterLab and in Colab alike (a matplotlib
figure redrawn by `interact` stacks new plots in Colab, and ipympl does not run there), and it needs
only core widgets, so ipywidgets 7.7 (Colab) and 8 both work.

    G = load_generator()
    latent_explorer(G)          # in a notebook cell: sliders + picture

The morph walks every digit toward the digit in the same place of a second seed, or, with the
"morph toward" control, every digit toward one digit of that seed's grid that you pick (notebook 06's
exercise 1: morph a doubtful digit toward a clear one).

A conditional generator (notebook 09) also gets a digit picker: the noise sliders keep the digit, and
a new digit keeps the noise, so the same noise draws the same style of each digit.

Every change redraws through `render_grid_png`: one forward pass (`gan_utils.models.generate_images`),
torchvision's `make_grid`, a nearest-neighbour upscale and a PIL PNG encode. It uses no matplotlib,
so a redraw is quick enough to follow a dragged slider.
"""

from __future__ import annotations

import io
import math
import time

import ipywidgets as widgets
import torch
from PIL import Image
from torch import nn

from gan_utils.latent import MAX_GRID, PATHS, latent_batch
from gan_utils.models import check_generator, generate_images, is_conditional
from gan_utils.plotting import image_grid

#: Largest seed on the sliders (any non-negative int works in the functions).
MAX_SEED = 999
#: The digit picker's value for "every digit in turn" (0, 1, ..., 9 along each row).
ALL_DIGITS = -1
#: The "morph toward" control's value for "each digit toward the one in the same place of seed_to".
SAME_PLACE = -1
#: Pictures are upscaled (nearest neighbour: pixels stay sharp) to at least this many pixels wide.
DISPLAY_WIDTH = 600


def _check_generator(G: nn.Module) -> int:
    latent_dim = check_generator(G)
    if G.training:
        raise ValueError(
            "G is in training mode: BatchNorm would use this batch's statistics (each digit would "
            "depend on the others) and update its running averages. Call G.eval() first."
        )
    return latent_dim


def _labels(G: nn.Module, digit: int | None) -> int | None:
    """`generate_images`' labels for the picker's `digit` (None or ALL_DIGITS: 0-9 in turn)."""
    if digit is None or digit == ALL_DIGITS:
        return None
    if not is_conditional(G):
        raise ValueError(
            "digit needs a conditional generator (design 'cgan', notebook 09); this one draws "
            "whatever digit its noise gives."
        )
    return digit


def sample_grid(
    G: nn.Module, seed: int = 0, n: int = 8, scale: float = 1.0, digit: int | None = None
) -> torch.Tensor:
    """n*n digits (n*n, 1, 28, 28) in [-1, 1] on the CPU: seed's noise times scale (notebook 06).

    `digit` asks a conditional generator for one digit (notebook 09); by default it draws 0-9 in turn.
    """
    latent_dim = _check_generator(G)
    z = latent_batch(seed, n, scale, latent_dim)
    return generate_images(G, z=z, labels=_labels(G, digit))  # (n*n, 1, 28, 28)


def render_grid_png(
    G: nn.Module,
    z: torch.Tensor,
    nrow: int,
    upscale: int | None = None,
    padding: int = 2,
    digit: int | None = None,
) -> bytes:
    """Generate images from noise `z` and return them as one PNG grid, `nrow` per row (notebook 06).

    `upscale` repeats every pixel (nearest neighbour, sharp); None picks the smallest factor that
    makes the picture at least DISPLAY_WIDTH pixels wide. `digit`: as for `sample_grid`.
    """
    _check_generator(G)
    if not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow (images per row) must be a positive int, got {nrow!r}.")
    if upscale is not None and (not isinstance(upscale, int) or not 1 <= upscale <= 32):
        raise ValueError(f"upscale must be None or an int from 1 to 32, got {upscale!r}.")
    images = generate_images(G, z=z, labels=_labels(G, digit))  # (B, latent) -> (B, 1, 28, 28)
    grid = image_grid(images, nrow=nrow, padding=padding)  # (3, H, W) in [0, 1], on the CPU
    pixels = grid[0].mul(255).round().to(torch.uint8).numpy()  # grey: one channel is enough
    picture = Image.fromarray(pixels, mode="L")
    k = upscale or max(1, math.ceil(DISPLAY_WIDTH / picture.width))
    picture = picture.resize((picture.width * k, picture.height * k), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(
        buffer, format="PNG", compress_level=1
    )  # level 1: fast, and a digit grid compresses well
    return buffer.getvalue()


def _target_options(n: int) -> list[tuple[str, int]]:
    """The "morph toward" choices for an n x n grid: the same place, or one digit of seed_to's grid."""
    cells = [(f"row {i // n + 1}, column {i % n + 1}", i) for i in range(n * n)]
    return [("same place", SAME_PLACE), *cells]


class LatentExplorer(widgets.VBox):
    """Sliders over a generator's noise above one picture of its digits (notebook 06).

    `sliders` maps names ("seed", "seed_to", "target", "t", "path", "scale", "n") to the control
    widgets; setting a control's `.value` from code redraws the picture just as dragging it does.
    "target" ("morph toward") is SAME_PLACE or the index of one digit of seed_to's grid, row by row.
    With a conditional generator there is one more control, "digit" (ALL_DIGITS or 0-9, notebook 09).
    """

    def __init__(
        self, G: nn.Module, seed: int = 0, n: int = 8, continuous_update: bool = True
    ) -> None:
        _check_generator(G)
        if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ValueError(
                f"seed must be an int from 0 to {MAX_SEED} (the slider's range), got {seed!r}."
            )
        if not isinstance(n, int) or not 2 <= n <= MAX_GRID:
            raise ValueError(f"n (grid size) must be an int from 2 to {MAX_GRID}, got {n!r}.")
        style = {"description_width": "100px"}
        # Seeds and the grid size jump to other digits: redraw once, when the slider is released.
        # The morph and the scale change digits smoothly: redraw while dragging, to see them move.
        jumps, smooth = {"continuous_update": False}, {"continuous_update": continuous_update}
        self.sliders: dict[str, widgets.ValueWidget] = {
            "seed": widgets.IntSlider(
                value=seed, min=0, max=MAX_SEED, description="seed", style=style, **jumps
            ),
            "seed_to": widgets.IntSlider(
                value=(seed + 1) % (MAX_SEED + 1), min=0, max=MAX_SEED,
                description="morph to seed", style=style, **jumps,
            ),
            "target": widgets.Dropdown(
                options=_target_options(n), value=SAME_PLACE, description="morph toward",
                style=style,
            ),
            "t": widgets.FloatSlider(
                value=0.0, min=0.0, max=1.0, step=0.05, description="morph t", style=style, **smooth
            ),
            "path": widgets.Dropdown(
                options=list(PATHS), value="linear", description="morph path", style=style
            ),
            "scale": widgets.FloatSlider(
                value=1.0, min=0.0, max=2.0, step=0.05, description="noise scale", style=style,
                **smooth,
            ),
            "n": widgets.IntSlider(
                value=n, min=2, max=MAX_GRID, description="grid size", style=style, **jumps
            ),
        }  # fmt: skip
        if is_conditional(G):
            self.sliders["digit"] = widgets.ToggleButtons(
                options=[("0-9", ALL_DIGITS)] + [(str(d), d) for d in range(G.n_classes)],
                value=ALL_DIGITS, description="digit", style={"button_width": "36px", **style},
            )  # fmt: skip
        self.G = G
        # flex-start: shown at its own size (sharp pixels), not stretched to the output's width.
        self.image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start"))
        self.status = widgets.Label()
        self.last_render_s = 0.0
        self._holding = False  # True while one change sets other controls: redraw once, after
        s = self.sliders
        left = widgets.VBox([s["seed"], s["seed_to"], s["target"], s["t"], s["path"]])
        right = widgets.VBox([s["scale"], s["n"], self.status])
        rows = [widgets.HBox([left, right]), self.image]
        if "digit" in s:
            rows.insert(1, s["digit"])
        super().__init__(rows)
        s["n"].observe(self._retarget, names="value")  # first: the target fits before the redraw
        for control in self.sliders.values():
            control.observe(self._redraw, names="value")
        self._redraw()

    def noise(self) -> torch.Tensor:
        """The noise behind the current picture, (n*n, latent_dim)."""
        v = {name: control.value for name, control in self.sliders.items()}
        target = None if v["target"] == SAME_PLACE else v["target"]
        return latent_batch(
            v["seed"], v["n"], v["scale"], self.G.latent_dim,
            seed_to=v["seed_to"], t=v["t"], path=v["path"], target=target,
        )  # fmt: skip

    def _retarget(self, change: dict) -> None:
        """A new grid size: offer its digits as targets, keeping the chosen one while it fits."""
        n, target = change["new"], self.sliders["target"]
        keep = target.value if target.value < n * n else SAME_PLACE
        self._holding = True
        try:
            target.options = _target_options(n)
            target.value = keep
        finally:
            self._holding = False

    def _redraw(self, change: dict | None = None) -> None:
        if self._holding:
            return
        start = time.perf_counter()
        z = self.noise()  # (n*n, latent_dim)
        digit = self.sliders["digit"].value if "digit" in self.sliders else None
        self.image.value = render_grid_png(self.G, z, nrow=self.sliders["n"].value, digit=digit)
        self.last_render_s = time.perf_counter() - start
        asked = (
            "" if digit is None else ("0-9 in turn, " if digit == ALL_DIGITS else f"all {digit}s, ")
        )
        self.status.value = (
            f"{len(z)} digits, {asked}average |z| {z.norm(dim=1).mean():.1f}, "
            f"drawn in {1000 * self.last_render_s:.0f} ms"
        )

    def __repr__(self) -> str:
        # Shown instead of the sliders where widgets cannot render (GitHub, nbconvert, nbval).
        return "LatentExplorer: sliders over the generator's noise (run the notebook to use them)"


def latent_explorer(
    G: nn.Module,
    device: torch.device | str | None = None,
    seed: int = 0,
    n: int = 8,
    continuous_update: bool = True,
) -> LatentExplorer:
    """Sliders over G's noise and one picture that follows them; display it in a cell (notebook 06).

    `device` moves G there (default: where G already is). `continuous_update` redraws the morph and
    scale sliders while they are dragged; set it False on a slow connection.
    """
    _check_generator(G)
    if device is not None:
        G = G.to(device)
    return LatentExplorer(G, seed=seed, n=n, continuous_update=continuous_update)

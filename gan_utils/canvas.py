"""Draw a digit with the mouse (notebook 12): `DrawCanvas`, and `strokes_to_digit`, which prepares a
drawing the way MNIST's digits were prepared.

`DrawCanvas` is an anywidget: its JavaScript (`canvas.js`, beside this file) ships with the package and
imports nothing, so it works offline, in JupyterLab 4, VS Code and Colab. Mouse, pen and finger
strokes all arrive as pointer events. Each finished stroke is sent to Python as a list of [x, y] points
in [0, 1] (x to the right, y down); `canvas.digit()` turns the strokes so far into a 28 x 28 image.

MNIST's preparation (LeCun et al.): each digit was scaled to fit a 20 x 20 box, keeping its aspect
ratio, with anti-aliasing (grey edges), then placed in the 28 x 28 image so that its centre of mass
sits at the centre. `strokes_to_digit` does the same to a drawing, so the players see it the way they
saw the training digits.

    canvas = DrawCanvas()
    canvas                       # in a notebook cell: draw, "clear", pen width
    x = canvas.digit()           # (1, 28, 28) in [-1, 1], ink +1, like a normalised MNIST digit
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets
from PIL import Image, ImageDraw

#: Pixels per side of the picture the strokes are drawn into before the MNIST preparation.
RASTER = 280
#: MNIST's box: a digit is scaled so that its longer side is BOX pixels, inside SIDE x SIDE.
BOX, SIDE = 20, 28


def _check_strokes(strokes: object) -> list[list[list[float]]]:
    """Strokes as lists of [x, y] points in [0, 1]; a clear error for anything else."""
    hint = "strokes must be a list of strokes, each a list of [x, y] points with x and y in [0, 1]"
    if not isinstance(strokes, (list, tuple)):
        raise ValueError(f"{hint}; got {type(strokes).__name__}.")
    checked = []
    for i, stroke in enumerate(strokes):
        if not isinstance(stroke, (list, tuple)) or not stroke:
            raise ValueError(f"{hint}; stroke {i} is {stroke!r}.")
        points = []
        for point in stroke:
            if (
                not isinstance(point, (list, tuple))
                or len(point) != 2
                or not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in point)
            ):
                raise ValueError(f"{hint}; stroke {i} has the point {point!r}.")
            points.append([float(point[0]), float(point[1])])
        checked.append(points)
    return checked


def rasterize(strokes: Sequence, pen: float = 0.1, size: int = RASTER) -> np.ndarray:
    """The strokes drawn white on black with round ends, pen width `pen` (a fraction of the side):
    a (size, size) float array in [0, 1]."""
    if not 0 < pen <= 0.5:
        raise ValueError(f"pen must be a width between 0 and 0.5 of the canvas, got {pen!r}.")
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    width = max(1, round(pen * size))
    r = width / 2
    for stroke in _check_strokes(strokes):
        xy = [(x * (size - 1), y * (size - 1)) for x, y in stroke]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=width, joint="curve")
        for x, y in xy:  # round ends and joints, as the canvas draws them
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(image, dtype=np.float32) / 255


def prepare_digit(ink: np.ndarray) -> torch.Tensor:
    """A drawing (H, W) in [0, 1], ink high, prepared as MNIST's digits were: cropped to its ink,
    scaled (anti-aliased) so its longer side is 20 pixels, and placed in 28 x 28 with its centre of
    mass at the centre (shifted back inside where that would cut ink off). Returns (1, 28, 28) in
    [-1, 1], background -1 and ink +1, like `gan_utils.data`'s normalised digits; an empty drawing
    gives the empty image, all -1."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"ink must be a 2-D array (H, W), got shape {ink.shape}.")
    rows, cols = np.nonzero(ink > 0)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    if len(rows):
        crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        scale = BOX / max(crop.shape)
        h, w = (max(1, round(n * scale)) for n in crop.shape)
        small = np.asarray(Image.fromarray(crop, mode="F").resize((w, h), Image.BOX))
        small = np.clip(small, 0, 1)
        mass = small.sum()
        cy = (small.sum(1) * np.arange(h)).sum() / mass  # centre of mass, in the small image
        cx = (small.sum(0) * np.arange(w)).sum() / mass
        top = int(np.clip(round((SIDE - 1) / 2 - cy), 0, SIDE - h))
        left = int(np.clip(round((SIDE - 1) / 2 - cx), 0, SIDE - w))
        out[top : top + h, left : left + w] = small
    return torch.from_numpy(out * 2 - 1).unsqueeze(0)


def strokes_to_digit(strokes: Sequence, pen: float = 0.1) -> torch.Tensor:
    """Strokes ([x, y] points in [0, 1]) -> a (1, 28, 28) digit in [-1, 1], prepared like MNIST's."""
    return prepare_digit(rasterize(strokes, pen))


class DrawCanvas(anywidget.AnyWidget):
    """A square to draw a digit in, with "clear" and a pen-width slider (notebook 12).

    `strokes` holds what was drawn (set it from Python to show a drawing; [] clears it); `pen` is the
    pen's width as a fraction of the side; `digit()` is the drawing as a (1, 28, 28) MNIST-style
    image. `on_draw(callback)` calls `callback(digit)` after every finished stroke and every clear.
    """

    _esm = Path(__file__).with_name("canvas.js")
    strokes = traitlets.List([]).tag(sync=True)
    pen = traitlets.Float(0.1).tag(sync=True)
    size = traitlets.Int(280).tag(sync=True)

    @traitlets.validate("strokes")
    def _valid_strokes(self, proposal: dict) -> list:
        return _check_strokes(proposal["value"])

    @traitlets.validate("pen")
    def _valid_pen(self, proposal: dict) -> float:
        value = proposal["value"]
        if not 0 < value <= 0.5:
            raise traitlets.TraitError(f"pen must be between 0 and 0.5 of the side, got {value!r}.")
        return value

    def digit(self) -> torch.Tensor:
        """The drawing so far as a (1, 28, 28) digit in [-1, 1], prepared like MNIST's."""
        return strokes_to_digit(self.strokes, self.pen)

    def on_draw(self, callback: Callable[[torch.Tensor], None]) -> None:
        """Call `callback(self.digit())` whenever the strokes change (a stroke ends, or "clear")."""
        self.observe(lambda _: callback(self.digit()), names="strokes")

    def __repr__(self) -> str:
        # Shown instead of the pad where widgets cannot render (GitHub, nbconvert, nbval).
        return f"DrawCanvas: {len(self.strokes)} strokes (run the notebook to draw)"

"""The lab's renderer (notebook 10): the whole view as one PNG, for a `widgets.Image`.

`draw_plane` draws D(x) over the plane with the real points, the fakes and G's push on each;
`draw_lab` adds the charts of the losses and of D's outputs, and the settings; `render_png` encodes
it with PIL and numpy, without matplotlib, so a frame is cheap enough to redraw after every step.

For a loss whose D gives probabilities (`GANLoss.probability`) the heatmap is D(x) from 0 to 1 with
its 0.5 contour, and the charts mark 0.5 and ln 2. A critic's score (wgan-gp, hinge, least-squares)
has no fixed scale and no 0.5: the heatmap spans the score's range over the view, low to high, with
no contour, and both charts scale to their recent values, with a grey line at 0.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

from gan_utils.lab.data import EXTENT
from gan_utils.lab.game import Lab, one_thread

# The view is drawn as one palette ("P") image: a byte per pixel, indices into the palette below.
# The heatmap then needs no colour lookup, and the PNG is much smaller than an RGB one.
PLANE = 360  # pixels per side of the plane
CHART_W, CHART_H = 300, 150
HEAT = 200  # palette indices 0..HEAT-1: D(x) from 0 (purple, "fake") to 1 (green, "real")
BLACK, REAL, FAKE, ARROW, WHITE, FRAME, MARK, BLUE, TEXT, GRID = range(HEAT, HEAT + 10)
_PALETTE = np.zeros((256, 3), dtype=np.uint8)
_PALETTE[:HEAT] = colormaps["PRGn"](np.linspace(0.22, 0.78, HEAT))[:, :3] * 255
_PALETTE[HEAT : HEAT + 10] = [(0, 0, 0), (20, 110, 40), (200, 40, 140), (50, 50, 50), (255, 255, 255),
                              (180, 180, 180), (205, 205, 205), (40, 80, 200), (70, 70, 70),
                              (230, 120, 0)]  # fmt: skip
_PALETTE_BYTES = _PALETTE.tobytes()
# PIL's bitmap font: much cheaper to draw than its default TrueType font.
_FONT = getattr(ImageFont, "load_default_imagefont", ImageFont.load_default)()
#: Arrow length in pixels per unit of gradient; longer arrows are cut at ARROW_MAX pixels.
ARROW_SCALE, ARROW_MAX = 12.0, 40.0


def _to_pixels(points: torch.Tensor) -> np.ndarray:
    """Plane coordinates (n, 2) -> pixel columns and rows (n, 2), y up."""
    p = points.numpy()
    col = (p[:, 0] + EXTENT) / (2 * EXTENT) * (PLANE - 1)
    row = (EXTENT - p[:, 1]) / (2 * EXTENT) * (PLANE - 1)
    return np.stack([col, row], axis=1)


def _dots(canvas: np.ndarray, xy: np.ndarray, index: int, r: int) -> None:
    """Squares of side 2r+1 at pixel positions xy (n, 2), painted into canvas (H, W) in place."""
    xy = np.round(xy).astype(int)
    inside = (xy >= r).all(1) & (xy < PLANE - r).all(1)
    cols, rows = xy[inside, 0], xy[inside, 1]
    for dr in range(-r, r + 1):
        for dc in range(-r, r + 1):
            canvas[rows + dr, cols + dc] = index


def draw_plane(lab: Lab, arrows: bool = True, grid: bool = False) -> Image.Image:
    """The plane: D(x) as a heatmap (green = real) with its 0.5 contour in black, real points
    (green), fakes (pink) and the generator's push on each fake as a line (notebook 10). With
    `grid`, G's image of a regular grid in the noise space, in orange (`Lab.noise_grid`): how G
    bends the noise into the plane.
    For a critic (a loss with probability=False) the heatmap is its score, normalised over the
    view from its lowest (purple) to its highest (green), with no contour: a score has no 0.5."""
    scores = lab.d_map(64).numpy()  # (64, 64): in [0, 1], or a critic's raw scores
    critic = not lab.loss.probability
    if critic:
        low, high = float(scores.min()), float(scores.max())
        scores = (scores - low) / max(high - low, 1e-12)  # the view's lowest score 0, its highest 1
    smooth = np.asarray(Image.fromarray(scores, mode="F").resize((PLANE, PLANE), Image.BILINEAR))
    canvas = (np.clip(smooth, 0, 1) * (HEAT - 1) + 0.5).astype(np.uint8)  # (PLANE, PLANE)
    if not critic:
        above = smooth > 0.5
        edge = np.zeros_like(above)
        edge[:, 1:] |= above[:, 1:] != above[:, :-1]
        edge[1:, :] |= above[1:, :] != above[:-1, :]
        canvas[edge] = BLACK  # the 0.5 contour: where D changes its mind
    _dots(canvas, _to_pixels(lab.real_show), REAL, r=1)
    fake, push = lab.push()
    start = _to_pixels(fake)
    _dots(canvas, start, FAKE, r=2)
    image = Image.fromarray(canvas, mode="P")
    if grid:
        draw = ImageDraw.Draw(image)
        for line in lab.noise_grid():  # (points, 2) each
            draw.line([tuple(p) for p in _to_pixels(line).tolist()], fill=GRID)
    if arrows:
        vec = push.numpy() * ARROW_SCALE * np.array([1, -1])  # y points down in pixels
        length = np.linalg.norm(vec, axis=1, keepdims=True)
        vec = vec * np.minimum(1, ARROW_MAX / np.maximum(length, 1e-12))
        draw = ImageDraw.Draw(image)
        for (x0, y0), (dx, dy) in zip(start.tolist(), vec.tolist(), strict=True):
            draw.line((x0, y0, x0 + dx, y0 + dy), fill=ARROW)
    return image


def _span(*series: list[float]) -> tuple[float, float]:
    """A chart's y range for a critic: the last CHART_W finite values of `series` and 0, plus a
    tenth of the range on each side (at least 0.1)."""
    recent = [v for s in series for v in s[-CHART_W:] if math.isfinite(v)] + [0.0]
    low, high = min(recent), max(recent)
    pad = max(0.1 * (high - low), 0.1)
    return low - pad, high + pad


def _chart(draw: ImageDraw.ImageDraw, left: int, top: int, series: dict[str, tuple[list, int]],
           low: float, high: float, title: str, marks: list[float]) -> None:  # fmt: skip
    """A line chart of the last CHART_W values of each series, y from low to high, at (left, top),
    with a grey line at each of `marks`."""
    y0, y1 = top + 16, top + CHART_H - 4  # the plot area's top and bottom rows
    draw.rectangle((left, y0, left + CHART_W - 1, y1), outline=FRAME)

    def row(v: np.ndarray) -> np.ndarray:
        return y1 - (np.clip(v, low, high) - low) / (high - low) * (y1 - y0)

    for mark in marks:
        y = float(row(np.array(mark)))
        draw.line((left, y, left + CHART_W - 1, y), fill=MARK)
    x_text = left + 4
    for name, (values, index) in series.items():
        v = np.asarray(values[-CHART_W:], dtype=np.float64)
        v = v[np.isfinite(v)]  # the generator's loss is nan until its first update
        if len(v) > 1:
            xs = left + np.linspace(0, CHART_W - 1, len(v))
            draw.line(list(zip(xs.tolist(), row(v).tolist(), strict=True)), fill=index)
        label = f"{name} {values[-1]:.2f}" if values and math.isfinite(values[-1]) else name
        draw.text((x_text, top + 2), label, fill=index, font=_FONT)
        x_text += 10 + int(draw.textlength(label, font=_FONT))
    draw.text(
        (left + CHART_W - 4 - draw.textlength(title, font=_FONT), top + 2),
        title,
        fill=TEXT,
        font=_FONT,
    )


def draw_lab(lab: Lab, arrows: bool = True, grid: bool = False) -> Image.Image:
    """The whole view, a palette image: the plane on the left; on the right the last CHART_W
    updates' losses (grey lines: ln 2 and, for the saturating loss, -ln 2: the values at the
    equilibrium of notebook 04) and D's outputs (grey line: 0.5), and the settings. For a critic
    both charts span their recent values with a grey line at 0, and the text says the heatmap is
    its score."""
    image = Image.new("P", (PLANE + CHART_W + 10, PLANE), WHITE)
    image.putpalette(_PALETTE_BYTES)
    image.paste(draw_plane(lab, arrows, grid), (0, 0))
    draw, h, left = ImageDraw.Draw(image), lab.history, PLANE + 10
    losses = {"loss D": (h["loss_d"], BLUE), "loss G": (h["loss_g"], FAKE)}
    outputs = {"D(x)": (h["d_real"], REAL), "D(G(z))": (h["d_fake"], FAKE)}
    c = lab.config
    # three lines fit under the charts; for a critic the last one also says what the plane shows
    last = (f"noise size {c.noise_dim}, {c.loss} loss" if lab.loss.probability
            else f"noise {c.noise_dim}, {c.loss}: plane = score")  # fmt: skip
    text = (f"step {lab.steps}  (D updates {lab.d_updates}, G updates {lab.g_updates})\n"
            f"{c.dataset}, lr D {c.lr_d:g}, lr G {c.lr_g:g}, {c.d_steps} D per G,\n{last}")  # fmt: skip
    if lab.loss.probability:
        recent = [v for v in h["loss_g"][-CHART_W:] + h["loss_d"][-CHART_W:] if math.isfinite(v)]
        high = min(6.0, max(2.0, *recent)) if recent else 2.0
        low = max(-6.0, min(-1.0, *recent)) if min(recent, default=0) < 0 else 0.0
        marks = [math.log(2), -math.log(2)] if low < 0 else [math.log(2)]
        _chart(draw, left, 0, losses, low, high, "losses", marks)
        _chart(draw, left, CHART_H + 2, outputs, 0.0, 1.0, "D's outputs", [0.5])
    else:  # a critic's score: no fixed scale, no 0.5, no ln 2
        _chart(draw, left, 0, losses, *_span(h["loss_d"], h["loss_g"]), "losses", [0.0])
        scores = _span(h["d_real"], h["d_fake"])
        _chart(draw, left, CHART_H + 2, outputs, *scores, "critic's mean scores", [0.0])
    draw.multiline_text((left + 4, 2 * CHART_H + 10), text, fill=TEXT, font=_FONT)
    return image


def render_png(lab: Lab, arrows: bool = True, grid: bool = False) -> bytes:
    """The lab's view as PNG bytes, for a `widgets.Image` (notebook 10); `grid`: see `draw_plane`."""
    if not isinstance(lab, Lab):
        raise TypeError(f"render_png draws a gan_utils.lab.Lab, got {type(lab).__name__}.")
    buffer = io.BytesIO()
    with one_thread():
        draw_lab(lab, arrows, grid).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()

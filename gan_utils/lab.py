"""A GAN lab in two dimensions: the game of notebooks 04-05, small enough to watch live (notebook 10).

2-D data (a ring of 8 Gaussians, two moons, a spiral, one Gaussian), a small MLP generator and
discriminator, and `Lab`, which trains them with the package's own step: every update is
`gan_utils.training.discriminator_step` or `generator_step`, with the losses of `gan_utils.losses`.
`render_png` draws the state as one PNG (PIL and numpy, no matplotlib: `benchmarks/bench_lab.py`
measured it against matplotlib), and `LabWidget` shows it in a `widgets.Image` updated in place,
like the explorer of notebook 06, so it runs on ipywidgets 7.7 (Colab) and 8 alike.

    lab = Lab(PRESETS["mode collapse"].config)
    lab.run(500)                  # 500 steps: d_steps D updates, then one G update, each
    LabWidget(lab)                # in a notebook cell: play, pause, step, sliders, presets
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont
from torch import nn

from gan_utils.losses import generator_loss, saturating_generator_loss
from gan_utils.training import discriminator_step, generator_step

DATASETS: tuple[str, ...] = ("ring", "moons", "spiral", "gaussian")
LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "non-saturating": generator_loss,
    "saturating": saturating_generator_loss,
}
#: The ring: 8 Gaussians of standard deviation RING_STD on a circle of radius RING_RADIUS.
RING_RADIUS, RING_STD = 2.0, 0.1
#: The plane the view shows: x and y from -EXTENT to EXTENT.
EXTENT = 3.0


# ---------------------------------------------------------------------------------------- data
def ring_modes() -> torch.Tensor:
    """The centres of the ring's 8 Gaussians, (8, 2) (notebook 10)."""
    angle = torch.arange(8) * (2 * math.pi / 8)
    return RING_RADIUS * torch.stack([angle.cos(), angle.sin()], dim=1)


def sample_data(name: str, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """`n` points (n, 2) of the 2-D dataset `name`, one of DATASETS (notebook 10)."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}.")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n (number of points) must be a positive int, got {n!r}.")
    noise = torch.randn(n, 2, generator=generator)
    u = torch.rand(n, generator=generator)
    if name == "ring":
        which = (u * 8).long().clamp(max=7)  # one of the 8 modes, uniformly
        return ring_modes()[which] + RING_STD * noise
    if name == "gaussian":
        return torch.tensor([1.0, 1.0]) + 0.4 * noise
    if name == "moons":
        t = math.pi * torch.rand(n, generator=generator)
        upper = u < 0.5
        x = torch.where(upper, t.cos(), 1 - t.cos())
        y = torch.where(upper, t.sin(), 0.5 - t.sin())
        return 1.6 * (torch.stack([x, y], dim=1) - torch.tensor([0.5, 0.25])) + 0.08 * noise
    t = 3 * math.pi * u.sqrt()  # spiral: sqrt spreads the points evenly along the arm
    r = 2.6 * t / (3 * math.pi)
    return torch.stack([r * t.cos(), r * t.sin()], dim=1) + 0.06 * noise


def ring_coverage(points: torch.Tensor, radius: float = 3 * RING_STD) -> torch.Tensor:
    """How many of `points` (n, 2) lie within `radius` of each ring mode: (8,) counts (notebook 10)."""
    distance = torch.cdist(points.float(), ring_modes())  # (n, 8)
    nearest, mode = distance.min(dim=1)
    return torch.bincount(mode[nearest <= radius], minlength=8)


def modes_covered(points: torch.Tensor, share: float = 0.25) -> int:
    """Ring modes holding at least `share` of a fair 1/8 of the points (notebook 10)."""
    return int((ring_coverage(points) >= share * len(points) / 8).sum())


# -------------------------------------------------------------------------------------- models
@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block, then restore the setting (notebook 10).

    The lab's matrices are tiny (256 x 64): handing them to a second thread costs more than it
    saves, and far more when another program keeps the other core busy (bench_lab.py measures it).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_generator(noise_dim: int = 2, hidden: int = 64) -> nn.Sequential:
    """G: noise (B, noise_dim) -> points (B, 2), an MLP with two hidden ReLU layers (notebook 10)."""
    return nn.Sequential(
        nn.Linear(noise_dim, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 2),
    )  # fmt: skip


def make_discriminator(hidden: int = 64) -> nn.Sequential:
    """D: points (B, 2) -> logits (B, 1), an MLP with two hidden ReLU layers (notebook 10)."""
    return nn.Sequential(
        nn.Linear(2, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 1),
    )  # fmt: skip


@dataclass(frozen=True)
class LabConfig:
    """Everything that decides a lab run; the same config and seed give the same run (notebook 10)."""

    dataset: str = "ring"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    d_steps: int = 1  # D updates per G update
    noise_dim: int = 2  # size of the generator's noise z
    loss: str = "non-saturating"  # the generator's loss, a key of LOSSES
    batch_size: int = 256
    hidden: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {self.dataset!r}.")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {self.loss!r}.")
        for name in ("lr_d", "lr_g"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name} must be a learning rate in (0, 1], got {value!r}.")
        for name, low, high in [("d_steps", 1, 100), ("noise_dim", 1, 64), ("batch_size", 2, 10_000),
                                ("hidden", 1, 1024), ("seed", 0, 2**31 - 1)]:  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be an int from {low} to {high}, got {value!r}.")


HISTORY_KEYS = ("loss_d", "loss_g", "d_real", "d_fake")


class Lab:
    """Two small players and their optimisers, trained one update at a time (notebook 10).

    `step()` is d_steps discriminator updates and one generator update, each the package's own
    `discriminator_step` / `generator_step`; `d_step()` and `g_step()` make one update of one
    player. `history` gets one row per update. The points shown (`real_show`, `z_show`) are fixed,
    so the same fakes can be watched moving.
    """

    def __init__(self, config: LabConfig | None = None, **changes) -> None:
        self.reset(replace(config or LabConfig(), **changes))

    def reset(self, config: LabConfig | None = None) -> None:
        """Fresh players from `config` (default: the current one), seeded; history cleared."""
        self.config = config = config or self.config
        torch.manual_seed(config.seed)  # the initial weights
        self.G = make_generator(config.noise_dim, config.hidden)
        self.D = make_discriminator(config.hidden)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=(0.5, 0.999))
        self.rng = torch.Generator().manual_seed(config.seed + 1)  # batches and noise
        shown = torch.Generator().manual_seed(config.seed + 2)
        self.real_show = sample_data(config.dataset, 256, shown)  # (256, 2)
        self.z_show = torch.randn(256, config.noise_dim, generator=shown)  # (256, noise_dim)
        self.steps = self.d_updates = self.g_updates = 0
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self._last = dict.fromkeys(HISTORY_KEYS, math.nan)

    def set(self, **changes) -> None:
        """Change settings mid-run: learning rates, d_steps, loss and dataset apply from the next
        update; a new noise_dim, hidden size or seed starts fresh players (reset)."""
        new = replace(self.config, **changes)
        if any(getattr(new, k) != getattr(self.config, k) for k in ("noise_dim", "hidden", "seed")):
            return self.reset(new)
        for opt, lr in ((self.opt_d, new.lr_d), (self.opt_g, new.lr_g)):
            for group in opt.param_groups:
                group["lr"] = lr
        if new.dataset != self.config.dataset:
            self.real_show = sample_data(
                new.dataset, 256, torch.Generator().manual_seed(new.seed + 2)
            )
        self.config = new

    def noise(self, n: int | None = None) -> torch.Tensor:
        return torch.randn(n or self.config.batch_size, self.config.noise_dim, generator=self.rng)

    def _record(self, **values: float) -> None:
        self._last.update(values)
        for key in HISTORY_KEYS:
            self.history[key].append(self._last[key])

    def d_step(self) -> float:
        """One discriminator update on a fresh real batch and fresh fakes; returns loss_d."""
        real = sample_data(self.config.dataset, self.config.batch_size, self.rng)  # (B, 2)
        with torch.no_grad():  # D's step detaches the fakes anyway: skip G's graph
            fake = self.G(self.noise())  # (B, noise_dim) -> (B, 2)
        loss_d, real_logits, fake_logits = discriminator_step(self.D, self.opt_d, real, fake)
        self.d_updates += 1
        self._record(
            loss_d=loss_d.item(),
            d_real=torch.sigmoid(real_logits).mean().item(),
            d_fake=torch.sigmoid(fake_logits).mean().item(),
        )
        return self._last["loss_d"]

    def g_step(self) -> float:
        """One generator update against the current D, with the configured loss; returns loss_g."""
        fake = self.G(self.noise())  # (B, noise_dim) -> (B, 2), attached to G
        loss_g = generator_step(self.D, self.opt_g, fake, loss=LOSSES[self.config.loss])
        self.g_updates += 1
        self._record(loss_g=loss_g.item())
        return self._last["loss_g"]

    def step(self) -> None:
        """One round of the game: d_steps discriminator updates, then one generator update."""
        with one_thread():
            for _ in range(self.config.d_steps):
                self.d_step()
            self.g_step()
        self.steps += 1

    def run(self, steps: int) -> None:
        """`steps` rounds of `step()`."""
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
            raise ValueError(f"steps must be a non-negative int, got {steps!r}.")
        with one_thread():
            for _ in range(steps):
                self.step()

    @torch.no_grad()
    def fakes(self, n: int | None = None) -> torch.Tensor:
        """G's points for the fixed display noise (n=None), or for n fresh noise vectors: (n, 2)."""
        if n is None:
            return self.G(self.z_show)
        return self.G(
            torch.randn(n, self.config.noise_dim, generator=torch.Generator().manual_seed(7))
        )

    def push(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed fakes (256, 2) and the way G's loss pushes each: minus its gradient with respect
        to that point (256, 2), per point (the batch mean's gradient times the batch size)."""
        fake = self.fakes().requires_grad_(True)
        (grad,) = torch.autograd.grad(LOSSES[self.config.loss](self.D(fake)), fake)
        return fake.detach(), -grad * len(fake)

    @torch.no_grad()
    def d_map(self, size: int = 64) -> torch.Tensor:
        """D(x), the probability of "real", on a size x size grid over the view; row 0 is the top."""
        axis = torch.linspace(-EXTENT, EXTENT, size)
        y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
        return torch.sigmoid(self.D(torch.stack([x, y], dim=-1).reshape(-1, 2))).reshape(size, size)


# -------------------------------------------------------------------------------------- presets
@dataclass(frozen=True)
class Preset:
    """A lab setting worth watching: its config, how many steps it takes, and what to look for."""

    config: LabConfig
    steps: int
    text: str


RING_FAST_G = LabConfig(lr_g=1e-2, lr_d=1e-4)
D_AHEAD = LabConfig(loss="saturating", lr_d=1e-2, d_steps=5)
SWING = LabConfig(dataset="gaussian", lr_d=3e-3, lr_g=3e-3)
#: Each text was checked by running its preset (scripts/lab_presets.py prints the numbers).
PRESETS: dict[str, Preset] = {
    "mode collapse": Preset(
        RING_FAST_G,
        1500,
        "The generator learns 100 times faster than the discriminator, and all its fakes pile up in "
        "one tight clump (spread 0.01 to 0.13 over the second half of the run; the ring's is 1.4). "
        "D is too slow to tell them apart: it gives real points and fakes about 0.5, and the arrows "
        "almost vanish. The clump wanders across the plane instead of spreading out, and covers at "
        "most one of the 8 modes in the second half.",
    ),
    "mode collapse: fix": Preset(
        replace(RING_FAST_G, lr_g=1e-3, lr_d=1e-3),
        1500,
        "The same ring with both learning rates at 1e-3, so the discriminator keeps up with the "
        "generator. The fakes spread out, cover all 8 modes from step 700 on and stay on all 8 to "
        "the end. D(x) stays a little above D(G(z)) (0.54 against 0.46 on average over the second "
        "half), the healthy band of notebook 05.",
    ),
    "discriminator wins": Preset(
        D_AHEAD,
        500,
        "The discriminator makes 5 updates at learning rate 1e-2 for every generator update, and by "
        "step 50 it has won: D(x) stays near 0.89 and D(G(z)) near 0.11 to the end. From step 50 on "
        "all the fakes sit on a single one of the 8 modes, and the saturating loss does not move them "
        "off it. Those are the best discriminator's numbers against such a generator (notebook 04): "
        "D* = p_data / (p_data + p_g) is (1/8) / (1/8 + 1) = 1/9 on the fakes' mode.",
    ),
    "discriminator wins: fix": Preset(
        replace(D_AHEAD, lr_d=1e-3, d_steps=1),
        1000,
        "The same saturating loss, with one D update per G update at the generator's learning rate "
        "of 1e-3: D no longer runs away (D(x) 0.53 and D(G(z)) 0.47 on average over the second half). "
        "The fakes spread over the ring, cover all 8 modes by step 450 and 7 or 8 of them whenever "
        "measured (every 50 steps) after that.",
    ),
    "oscillation": Preset(
        SWING,
        1500,
        "Both learning rates at 3e-3 on one Gaussian (centre (1, 1), spread 0.4). D(x) and D(G(z)) "
        "stay close to 0.5 and the losses close to ln 2, yet the fakes never settle: over the second "
        "half of the run their centre swings between 0.09 and 0.61 away from the data's, and their "
        "spread between 0.17 and 0.38.",
    ),
    "oscillation: fix": Preset(
        replace(SWING, d_steps=5),
        1500,
        "The same learning rates with 5 D updates per G update, so the discriminator is close to its "
        "best answer whenever the generator moves. Over the second half the fakes' centre stays "
        "within 0.23 of the data's (0.11 on average, against 0.31 without the fix) and their spread "
        "between 0.30 and 0.43, around the data's 0.4.",
    ),
}


def measure(lab: Lab, window: int = 100) -> dict[str, float]:
    """What the presets' texts talk about, measured on the lab's current state (notebook 10).

    d_real, d_fake, loss_d, loss_g: means over the last `window` updates; push: the mean length of
    the generator's push on the shown fakes; spread: the fakes' standard deviation (mean of x and
    y; 2,000 fakes); centre_error: how far the fakes' mean is from the data's; modes: ring modes
    covered by 2,000 fakes (`modes_covered`; ring only).
    """
    with one_thread():
        fakes = lab.fakes(2000)  # (2000, 2), a fixed noise batch
        real = sample_data(lab.config.dataset, 2000, torch.Generator().manual_seed(11))
        _, push = lab.push()
    result = {
        key: float(np.nanmean(values[-window:])) if values else math.nan
        for key, values in lab.history.items()
    }
    result["push"] = push.norm(dim=1).mean().item()
    result["spread"] = fakes.std(dim=0).mean().item()
    result["centre_error"] = (fakes.mean(dim=0) - real.mean(dim=0)).norm().item()
    if lab.config.dataset == "ring":
        result["modes"] = modes_covered(fakes)
    return result


def run_preset(name: str, steps: int | None = None) -> Lab:
    """A fresh lab with preset `name`'s settings, trained for its steps (or `steps`) (notebook 10)."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {name!r}.")
    lab = Lab(PRESETS[name].config)
    lab.run(PRESETS[name].steps if steps is None else steps)
    return lab


# ------------------------------------------------------------------------------------ rendering
# The view is drawn as one palette ("P") image: a byte per pixel, indices into the palette below.
# The heatmap then needs no colour lookup, and PNG encodes a third of the bytes of an RGB image
# (benchmarks/bench_lab.py measured both).
PLANE = 360  # pixels per side of the plane
CHART_W, CHART_H = 300, 150
HEAT = 200  # palette indices 0..HEAT-1: D(x) from 0 (purple, "fake") to 1 (green, "real")
BLACK, REAL, FAKE, ARROW, WHITE, FRAME, MARK, BLUE, TEXT = range(HEAT, HEAT + 9)
_PALETTE = np.zeros((256, 3), dtype=np.uint8)
_PALETTE[:HEAT] = colormaps["PRGn"](np.linspace(0.22, 0.78, HEAT))[:, :3] * 255
_PALETTE[HEAT : HEAT + 9] = [(0, 0, 0), (20, 110, 40), (200, 40, 140), (50, 50, 50), (255, 255, 255),
                             (180, 180, 180), (205, 205, 205), (40, 80, 200), (70, 70, 70)]  # fmt: skip
_PALETTE_BYTES = _PALETTE.tobytes()
# PIL's bitmap font: drawing text with it is ~10x faster than with its default TrueType font.
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


def draw_plane(lab: Lab, arrows: bool = True) -> Image.Image:
    """The plane: D(x) as a heatmap (green = real) with its 0.5 contour in black, real points
    (green), fakes (pink) and the generator's push on each fake as a line (notebook 10)."""
    grid = lab.d_map(64).numpy()  # (64, 64) in [0, 1]
    smooth = np.asarray(Image.fromarray(grid, mode="F").resize((PLANE, PLANE), Image.BILINEAR))
    canvas = (np.clip(smooth, 0, 1) * (HEAT - 1) + 0.5).astype(np.uint8)  # (PLANE, PLANE)
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
    if arrows:
        vec = push.numpy() * ARROW_SCALE * np.array([1, -1])  # y points down in pixels
        length = np.linalg.norm(vec, axis=1, keepdims=True)
        vec = vec * np.minimum(1, ARROW_MAX / np.maximum(length, 1e-12))
        draw = ImageDraw.Draw(image)
        for (x0, y0), (dx, dy) in zip(start.tolist(), vec.tolist(), strict=True):
            draw.line((x0, y0, x0 + dx, y0 + dy), fill=ARROW)
    return image


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


def draw_lab(lab: Lab, arrows: bool = True) -> Image.Image:
    """The whole view, a palette image: the plane on the left; on the right the last CHART_W
    updates' losses (grey lines: ln 2 and, for the saturating loss, -ln 2: the values at the
    equilibrium of notebook 04) and D's outputs (grey line: 0.5), and the settings."""
    image = Image.new("P", (PLANE + CHART_W + 10, PLANE), WHITE)
    image.putpalette(_PALETTE_BYTES)
    image.paste(draw_plane(lab, arrows), (0, 0))
    draw, h, left = ImageDraw.Draw(image), lab.history, PLANE + 10
    recent = [v for v in h["loss_g"][-CHART_W:] + h["loss_d"][-CHART_W:] if math.isfinite(v)]
    high = min(6.0, max(2.0, *recent)) if recent else 2.0
    low = max(-6.0, min(-1.0, *recent)) if min(recent, default=0) < 0 else 0.0
    marks = [math.log(2), -math.log(2)] if low < 0 else [math.log(2)]
    _chart(draw, left, 0, {"loss D": (h["loss_d"], BLUE), "loss G": (h["loss_g"], FAKE)},
           low, high, "losses", marks)  # fmt: skip
    _chart(draw, left, CHART_H + 2, {"D(x)": (h["d_real"], REAL), "D(G(z))": (h["d_fake"], FAKE)},
           0.0, 1.0, "D's outputs", [0.5])  # fmt: skip
    c = lab.config
    text = (f"step {lab.steps}  (D updates {lab.d_updates}, G updates {lab.g_updates})\n"
            f"{c.dataset}, lr D {c.lr_d:g}, lr G {c.lr_g:g}, {c.d_steps} D per G,\n"
            f"noise size {c.noise_dim}, {c.loss} loss")  # fmt: skip
    draw.multiline_text((left + 4, 2 * CHART_H + 10), text, fill=TEXT, font=_FONT)
    return image


def render_png(lab: Lab, arrows: bool = True) -> bytes:
    """The lab's view as PNG bytes, for a `widgets.Image` (notebook 10)."""
    if not isinstance(lab, Lab):
        raise TypeError(f"render_png draws a gan_utils.lab.Lab, got {type(lab).__name__}.")
    buffer = io.BytesIO()
    with one_thread():
        draw_lab(lab, arrows).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------- widget
CUSTOM = "(your own settings)"


class LabWidget(widgets.VBox):
    """The lab in a notebook: play, pause, step, one D or G update, sliders, presets (notebook 10).

    The picture is a `widgets.Image` whose PNG bytes are replaced after every update, as in
    notebook 06. Play is a `widgets.Play`: the browser sends it a tick every `interval` ms and each
    tick trains one step and redraws; the browser sends the next tick only once the kernel is
    idle again, so ticks never pile up. `controls` maps names to the widgets; setting a control's
    `.value` from code acts as the mouse does.
    """

    def __init__(
        self, lab: Lab | None = None, preset: str | None = None, interval: int = 30
    ) -> None:
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"preset must be one of {tuple(PRESETS)} or None, got {preset!r}.")
        if lab is not None and not isinstance(lab, Lab):
            raise TypeError(f"lab must be a gan_utils.lab.Lab or None, got {type(lab).__name__}.")
        self.lab = lab or Lab(PRESETS[preset].config if preset else None)
        c, style = self.lab.config, {"description_width": "110px"}
        log_lr = {"base": 10, "min": -5, "max": -1, "step": 0.25, "readout_format": ".1e",
                  "continuous_update": False, "style": style}  # fmt: skip
        self.play = widgets.Play(value=0, min=0, max=10**9, interval=interval, show_repeat=False)
        self.buttons = {
            "step": widgets.Button(
                description="step", tooltip="d_steps D updates, then one G update"
            ),
            "d_step": widgets.Button(description="one D step"),
            "g_step": widgets.Button(description="one G step"),
            "reset": widgets.Button(description="reset", tooltip="fresh players, same settings"),
        }
        self.controls: dict[str, widgets.ValueWidget] = {
            "preset": widgets.Dropdown(options=[CUSTOM, *PRESETS], value=preset or CUSTOM,
                                       description="preset", style=style),
            "dataset": widgets.Dropdown(options=DATASETS, value=c.dataset, description="data", style=style),
            "lr_d": widgets.FloatLogSlider(value=c.lr_d, description="D learning rate", **log_lr),
            "lr_g": widgets.FloatLogSlider(value=c.lr_g, description="G learning rate", **log_lr),
            "d_steps": widgets.IntSlider(value=c.d_steps, min=1, max=10, description="D steps per G",
                                         continuous_update=False, style=style),
            "noise_dim": widgets.IntSlider(value=c.noise_dim, min=1, max=16, description="noise size",
                                           continuous_update=False, style=style),
            "loss": widgets.ToggleButtons(options=list(LOSSES), value=c.loss, description="G's loss",
                                          style=style),
        }  # fmt: skip
        self.counter = widgets.Label()
        self.counter.add_class("gan-lab-counter")  # the browser test reads the step count here
        self.about = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start"))
        self.last_frame_s = 0.0
        self._syncing = False
        k = self.controls
        row = widgets.HBox([self.play, *self.buttons.values()])
        left = widgets.VBox([k["preset"], k["dataset"], k["loss"]])
        right = widgets.VBox([k["lr_d"], k["lr_g"], k["d_steps"], k["noise_dim"]])
        super().__init__([row, widgets.HBox([left, right]), self.about, self.counter, self.image])
        self.play.observe(self._tick, names="value")
        actions = {"step": self.lab.step, "d_step": self.lab.d_step, "g_step": self.lab.g_step,
                   "reset": self.lab.reset}  # fmt: skip
        for name, button in self.buttons.items():
            button.on_click(lambda _, act=actions[name]: self._act(act))
        for control in self.controls.values():
            control.observe(self._control, names="value")
        self._describe()
        self.redraw()

    def _act(self, action: Callable[[], object]) -> None:
        action()
        self.redraw()

    def _tick(self, change: dict) -> None:
        if change["new"] > change["old"]:  # the stop button sends value back to 0: no step
            self._act(self.lab.step)

    def _control(self, change: dict) -> None:
        if self._syncing:
            return
        key = next(k for k, v in self.controls.items() if v is change["owner"])
        if key == "preset":
            if change["new"] != CUSTOM:
                self.load_preset(change["new"])
            return
        self.lab.set(**{key: change["new"]})
        self._sync(preset=CUSTOM)
        self.redraw()

    def load_preset(self, name: str) -> None:
        """Fresh players with preset `name`'s settings; the controls and text follow."""
        if name not in PRESETS:
            raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {name!r}.")
        self.lab.reset(PRESETS[name].config)
        self._sync(preset=name)
        self.redraw()

    def _sync(self, preset: str) -> None:
        """Set every control to the lab's settings without acting on the change."""
        self._syncing = True
        try:
            for key, control in self.controls.items():
                control.value = preset if key == "preset" else getattr(self.lab.config, key)
        finally:
            self._syncing = False
        self._describe()

    def _describe(self) -> None:
        name = self.controls["preset"].value
        self.about.value = (f"<b>{name}</b>: {PRESETS[name].text}" if name in PRESETS else
                            "Choose a preset, or move the controls: changes apply from the next "
                            "update (a new noise size starts fresh players).")  # fmt: skip

    def redraw(self) -> None:
        """Draw the lab's current state into the picture and the counter."""
        start = time.perf_counter()
        self.image.value = render_png(self.lab)
        lab = self.lab
        self.counter.value = (f"step {lab.steps} (D updates {lab.d_updates}, G updates "
                              f"{lab.g_updates}), drawn in {1000 * self.last_frame_s:.0f} ms")  # fmt: skip
        self.last_frame_s = time.perf_counter() - start

    def __repr__(self) -> str:
        # Shown instead of the controls where widgets cannot render (GitHub, nbconvert, nbval).
        return "LabWidget: the 2-D GAN lab (run the notebook to use it)"


__all__ = [
    "DATASETS",
    "LOSSES",
    "PRESETS",
    "Lab",
    "LabConfig",
    "LabWidget",
    "Preset",
    "draw_lab",
    "make_discriminator",
    "make_generator",
    "measure",
    "modes_covered",
    "one_thread",
    "render_png",
    "ring_coverage",
    "ring_modes",
    "run_preset",
    "sample_data",
]

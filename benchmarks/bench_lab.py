"""Frames per second of the notebook 10 lab: one training step plus one redraw into a widgets.Image.

Ways to draw the same view (D's heatmap and 0.5 contour, real points, fakes with the generator's
push, two charts over time), timed side by side in one run, each on its own lab with the same seed:

- ours: `gan_utils.lab.render_png`: PIL and numpy into a palette image (a byte per pixel), PNG;
- the same picture as an RGB image (three bytes per pixel), PNG;
- matplotlib, a new figure every frame (what `interact` or `plt.show()` in a loop does);
- matplotlib, one figure whose artists are updated (set_data, set_offsets, set_UVC), redrawn;
- matplotlib with blitting: axes, ticks and labels drawn once and restored, only the changing
  artists drawn, then the canvas buffer encoded to PNG with PIL.

Every frame ends with the PNG bytes assigned to a `widgets.Image`, as the lab widget does (the
browser adds its own message round trip). The last row repeats ours without `one_thread`, on
torch's default thread count, to show why the lab trains on one thread. Run from the repository root:

    .venv/bin/python benchmarks/bench_lab.py              # 150 frames per way
    .venv/bin/python benchmarks/bench_lab.py --frames 30  # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import platform
import time
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")  # what the inline backend renders with, without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import PIL  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import gan_utils.lab as lab_module  # noqa: E402
from gan_utils.lab import EXTENT, Lab, LabConfig, draw_lab, render_png  # noqa: E402
from gan_utils.lab import game as lab_game  # noqa: E402
from gan_utils.lab import render as lab_render  # noqa: E402

WINDOW = 300  # updates shown in the charts, as in the lab


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def rgb_png(lab: Lab) -> bytes:
    """Ours, but converted to RGB before the PNG encode."""
    return _png(draw_lab(lab).convert("RGB"))


class MatplotlibView:
    """The lab's view in matplotlib: the plane, and two charts over time."""

    def __init__(self, lab: Lab) -> None:
        self.fig = plt.figure(figsize=(6.7, 3.6), dpi=100)  # ~670 x 360 px, like ours
        self.ax = self.fig.add_axes((0.0, 0.0, 0.54, 1.0))
        self.ax_loss = self.fig.add_axes((0.6, 0.56, 0.38, 0.38))
        self.ax_d = self.fig.add_axes((0.6, 0.08, 0.38, 0.38))
        self.ax.set_axis_off()
        self.ax.set_xlim(-EXTENT, EXTENT)
        self.ax.set_ylim(-EXTENT, EXTENT)
        grid = lab.d_map(64).numpy()
        self.heat = self.ax.imshow(grid, extent=(-EXTENT, EXTENT, -EXTENT, EXTENT), cmap="PRGn",
                                   vmin=0, vmax=1, interpolation="bilinear", animated=True)  # fmt: skip
        self.axis = np.linspace(-EXTENT, EXTENT, 64)
        self.contour = None
        real = lab.real_show.numpy()
        self.real = self.ax.scatter(real[:, 0], real[:, 1], s=3, c="darkgreen", animated=True)
        fake, push = (t.numpy() for t in lab.push())
        self.fake = self.ax.scatter(fake[:, 0], fake[:, 1], s=8, c="m", animated=True)
        self.arrows = self.ax.quiver(fake[:, 0], fake[:, 1], push[:, 0], push[:, 1], angles="xy",
                                     scale_units="xy", scale=8, width=0.003, animated=True)  # fmt: skip
        self.lines = {}
        for ax, keys, high in (
            (self.ax_loss, ("loss_d", "loss_g"), 3),
            (self.ax_d, ("d_real", "d_fake"), 1),
        ):
            for key in keys:
                (self.lines[key],) = ax.plot([], [], lw=1, label=key, animated=True)
            ax.set_xlim(0, WINDOW)
            ax.set_ylim(0, high)
            ax.legend(loc="upper left", fontsize=7)
            ax.tick_params(labelsize=7)
        self.background = None

    def update(self, lab: Lab) -> list:
        """Point every artist at the lab's current state; returns those that changed."""
        grid = lab.d_map(64).numpy()
        self.heat.set_data(grid)
        if self.contour is not None:
            self.contour.remove()
        # contour has no set_data: it is made anew every frame (row 0 of the grid is the top).
        self.contour = self.ax.contour(self.axis, self.axis[::-1], grid, levels=[0.5], colors="k")
        fake, push = (t.numpy() for t in lab.push())
        self.fake.set_offsets(fake)
        self.arrows.set_offsets(fake)
        self.arrows.set_UVC(push[:, 0], push[:, 1])
        for key, line in self.lines.items():
            values = lab.history[key][-WINDOW:]
            line.set_data(np.arange(len(values)), values)
        return [self.heat, self.contour, self.real, self.fake, self.arrows, *self.lines.values()]

    def draw_png(self, lab: Lab) -> bytes:
        """Update the artists and draw the whole figure."""
        self.update(lab)
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def blit_png(self, lab: Lab) -> bytes:
        """Restore the cached background, draw only the changing artists, encode with PIL."""
        canvas = self.fig.canvas
        if self.background is None:
            canvas.draw()  # animated artists are left out: this is the static background
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        changed = self.update(lab)
        canvas.restore_region(self.background)
        for artist in changed:
            self.fig.draw_artist(artist)
        return _png(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]))


def new_figure_png(lab: Lab) -> bytes:
    view = MatplotlibView(lab)
    for artist in view.fig.findobj(lambda a: hasattr(a, "set_animated")):
        artist.set_animated(False)
    png = view.draw_png(lab)
    plt.close(view.fig)
    return png


def grid_png(lab: Lab) -> bytes:
    """Ours with the noise-grid view: G's image of a 9 x 9 grid of noise vectors drawn over it."""
    return render_png(lab, grid=True)


def measure(render: Callable[[Lab], bytes], frames: int, warmup: int,
            threads: contextlib.AbstractContextManager | None = None) -> tuple[float, int]:  # fmt: skip
    """Frames per second of (lab.step(), render, widgets.Image.value = png); and the PNG size."""
    lab = Lab(LabConfig(seed=0))
    image = widgets.Image(format="png")
    with threads or lab_module.one_thread():  # every way draws with torch on one thread
        for i in range(warmup + frames):
            if i == warmup:
                start = time.perf_counter()
            lab.step()
            image.value = render(lab)
    return frames / (time.perf_counter() - start), len(image.value)


@contextlib.contextmanager
def default_threads():
    """Ours without the lab's one_thread: torch's own thread count for training and drawing."""
    # Lab (gan_utils.lab.game) and render_png (gan_utils.lab.render) each look one_thread up in
    # their own module: both must be patched.
    saved = lab_game.one_thread
    lab_game.one_thread = lab_render.one_thread = contextlib.nullcontext
    try:
        with contextlib.nullcontext():
            yield
    finally:
        lab_game.one_thread = lab_render.one_thread = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"torch {torch.__version__}, matplotlib {matplotlib.__version__}, Pillow {PIL.__version__}, "
        f"ipywidgets {widgets.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()} (the lab trains on 1), "
        f"load average {load:.1f} before the run"
    )
    print(f"{args.frames} frames (one training step + one redraw) per way, after {args.warmup}\n")
    view_holder: dict[str, MatplotlibView] = {}

    def view(key: str, lab: Lab) -> MatplotlibView:
        if key not in view_holder:  # one figure for the whole run of this way
            view_holder[key] = MatplotlibView(lab)
        return view_holder[key]

    def reused(lab: Lab) -> bytes:
        return view("draw", lab).draw_png(lab)

    def blitted(lab: Lab) -> bytes:
        return view("blit", lab).blit_png(lab)

    ways = [
        ("PIL palette PNG (gan_utils.lab.render_png)", render_png, None),
        ("PIL, the same picture as RGB PNG", rgb_png, None),
        ("matplotlib, a new figure per frame", new_figure_png, None),
        ("matplotlib, one figure, artists updated", reused, None),
        ("matplotlib, blitting + PIL PNG", blitted, None),
        ("ours on torch's default threads", render_png, default_threads()),
        ("ours with the noise grid on (notebook 10's toggle)", grid_png, None),
    ]
    print(f"{'way':<52} {'frames/s':>8} {'ms/frame':>8} {'PNG kB':>7}")
    results = {}
    for name, render, threads in ways:
        fps, size = measure(render, args.frames, args.warmup, threads)
        results[name] = fps
        print(f"{name:<52} {fps:>8.1f} {1000 / fps:>8.1f} {size / 1000:>7.0f}", flush=True)
    ours = results[ways[0][0]]
    best_mpl = max(v for k, v in results.items() if k.startswith("matplotlib"))
    print(f"\n{ours:.0f} frames/s (ours; {ours / best_mpl:.1f}x the fastest matplotlib way), "
          f"load average {os.getloadavg()[0]:.1f} after the run")  # fmt: skip
    if not math.isfinite(ours):
        raise SystemExit("no frames were measured")


if __name__ == "__main__":
    main()

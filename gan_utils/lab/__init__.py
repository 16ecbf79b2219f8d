"""A GAN lab in two dimensions: the game of notebooks 04-05, small enough to watch live (notebook 10).

One module per idea; every name below is re-exported here, so `from gan_utils.lab import Lab` works:

- `data`: the 2-D data (a ring of 8 Gaussians, two moons, a spiral, one Gaussian; `sample_data`; or
  points you paint, `DRAW`, `sample_drawn`),
  the plane the view shows (`EXTENT`), and the ring modes a set of points covers (`modes_covered`).
- `game`: a small MLP generator and discriminator, and `Lab`, which trains them with the package's
  own step: every update is `gan_utils.steps.discriminator_step` or `generator_step`, with a
  loss of `gan_utils.losses.LOSSES`.
- `presets`: settings worth watching, each with a text that says what to see (`PRESETS`,
  `run_preset`), and `measure`, which reports what the texts talk about.
- `render`: `render_png` draws the state as one PNG (PIL and numpy, no matplotlib, so a frame is
  cheap enough to redraw after every step).
- `widget`: `LabWidget` shows it in a `widgets.Image` updated in place, like the explorer of
  notebook 06, so it runs on ipywidgets 7.7 (Colab) and 8 alike.

Each imports only from the ones before it: data, game, presets, render, widget.

    lab = Lab(PRESETS["mode collapse"].config)
    lab.run(500)                  # 500 steps: d_steps D updates, then one G update, each
    LabWidget(lab)                # in a notebook cell: play, pause, step, sliders, presets
"""

from gan_utils.lab.data import (
    DATASETS,
    DRAW,
    DRAW_STD,
    EXTENT,
    RING_RADIUS,
    RING_STD,
    modes_covered,
    ring_coverage,
    ring_modes,
    sample_data,
    sample_drawn,
)
from gan_utils.lab.game import Lab, LabConfig, make_discriminator, make_generator, one_thread
from gan_utils.lab.presets import PRESETS, Preset, measure, run_preset
from gan_utils.lab.render import CHART_H, CHART_W, PLANE, draw_lab, draw_plane, render_png
from gan_utils.lab.widget import CUSTOM, LabWidget

__all__ = [
    "CHART_H",
    "CHART_W",
    "CUSTOM",
    "DATASETS",
    "DRAW",
    "DRAW_STD",
    "EXTENT",
    "PLANE",
    "PRESETS",
    "RING_RADIUS",
    "RING_STD",
    "Lab",
    "LabConfig",
    "LabWidget",
    "Preset",
    "draw_lab",
    "draw_plane",
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
    "sample_drawn",
]

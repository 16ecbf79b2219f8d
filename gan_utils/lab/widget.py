"""The lab in a notebook (notebook 10): `LabWidget`, its controls around one picture.

The picture is a `widgets.Image` updated in place, like the explorer of notebook 06, so it runs on
ipywidgets 7.7 (Colab) and 8 alike. For the "draw" dataset a small drawing pad (`DrawCanvas`, the pad
of notebook 12) stands for the plane: what you paint there becomes the real data.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as widgets

from gan_utils.canvas import DrawCanvas
from gan_utils.lab.data import DATASETS, DRAW, EXTENT
from gan_utils.lab.game import Lab
from gan_utils.lab.presets import PRESETS
from gan_utils.lab.render import render_png
from gan_utils.losses import LOSSES

CUSTOM = "(your own settings)"
DRAW_HINT = ("Drag in the black square to paint the data: it stands for the whole plane. Each point "
             "you paint is a real point; <b>clear</b> starts again.")  # fmt: skip


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
            "dataset": widgets.Dropdown(options=[*DATASETS, DRAW], value=c.dataset, description="data",
                                        style=style),
            "lr_d": widgets.FloatLogSlider(value=c.lr_d, description="D learning rate", **log_lr),
            "lr_g": widgets.FloatLogSlider(value=c.lr_g, description="G learning rate", **log_lr),
            "d_steps": widgets.IntSlider(value=c.d_steps, min=1, max=10, description="D steps per G",
                                         continuous_update=False, style=style),
            "noise_dim": widgets.IntSlider(value=c.noise_dim, min=1, max=16, description="noise size",
                                           continuous_update=False, style=style),
            # A Dropdown, like preset and data: five ToggleButtons of about 150 px each would not
            # fit beside the sliders on ipywidgets 7.7 (Colab) or 8.
            "loss": widgets.Dropdown(options=list(LOSSES), value=c.loss, description="loss",
                                     style=style),
        }  # fmt: skip
        self.grid = widgets.Checkbox(value=False, description="noise grid", style=style,
                                     tooltip="G's image of a regular grid of noise vectors")  # fmt: skip
        self.pad = DrawCanvas(size=180, pen=0.03)  # the "draw" dataset: the pad is the plane
        self.pad.layout.display = "" if c.dataset == DRAW else "none"
        self.counter = widgets.Label()
        self.counter.add_class("gan-lab-counter")  # the browser test reads the step count here
        self.about = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start"))
        self.last_frame_s = 0.0
        self._syncing = False
        k = self.controls
        row = widgets.HBox([self.play, *self.buttons.values()])
        left = widgets.VBox([k["preset"], k["dataset"], k["loss"], self.grid, self.pad])
        right = widgets.VBox([k["lr_d"], k["lr_g"], k["d_steps"], k["noise_dim"]])
        super().__init__([row, widgets.HBox([left, right]), self.about, self.counter, self.image])
        self.play.observe(self._tick, names="value")
        actions = {"step": self.lab.step, "d_step": self.lab.d_step, "g_step": self.lab.g_step,
                   "reset": self.lab.reset}  # fmt: skip
        for name, button in self.buttons.items():
            button.on_click(lambda _, act=actions[name]: self._act(act))
        for control in self.controls.values():
            control.observe(self._control, names="value")
        self.grid.observe(lambda _: self.redraw(), names="value")
        self.pad.on_draw(lambda _: self._painted())
        self._describe()
        self.redraw()

    def _act(self, action: Callable[[], object]) -> None:
        if not self.lab.ready and action != self.lab.reset:
            self.about.value = DRAW_HINT  # nothing real to learn from yet
            return
        action()
        self.redraw()

    def _painted(self) -> None:
        """The pad's strokes become the "draw" dataset: pad (x, y) in [0, 1], y down -> the plane."""
        points = [[(2 * x - 1) * EXTENT, (1 - 2 * y) * EXTENT]
                  for stroke in self.pad.strokes for x, y in stroke]  # fmt: skip
        self.lab.set_points(points)
        self._describe()
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
        # One control changes one setting: picking a loss leaves D steps per G as they are (a preset's
        # 5 D steps stay when its loss is switched, as in notebook 10's first exercise).
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
        """Set every control to the lab's settings without acting on the change; the drawing pad
        shows for the "draw" dataset only."""
        self.pad.layout.display = "" if self.lab.config.dataset == DRAW else "none"
        self._syncing = True
        try:
            for key, control in self.controls.items():
                control.value = preset if key == "preset" else getattr(self.lab.config, key)
        finally:
            self._syncing = False
        self._describe()

    def _describe(self) -> None:
        name = self.controls["preset"].value
        if self.lab.config.dataset == DRAW and name not in PRESETS:
            self.about.value = f"{DRAW_HINT} Points painted: {len(self.lab.points)}."
            return
        self.about.value = (f"<b>{name}</b>: {PRESETS[name].text}" if name in PRESETS else
                            "Choose a preset, or move the controls: changes apply from the next "
                            "update (a new noise size starts fresh players).")  # fmt: skip

    def redraw(self) -> None:
        """Draw the lab's current state into the picture and the counter."""
        start = time.perf_counter()
        self.image.value = render_png(self.lab, grid=self.grid.value)
        self.last_frame_s = time.perf_counter() - start  # this frame's time, shown just below
        lab = self.lab
        self.counter.value = (f"step {lab.steps} (D updates {lab.d_updates}, G updates "
                              f"{lab.g_updates}), drawn in {1000 * self.last_frame_s:.0f} ms")  # fmt: skip

    def __repr__(self) -> str:
        # Shown instead of the controls where widgets cannot render (GitHub, nbconvert, nbval).
        return "LabWidget: the 2-D GAN lab (run the notebook to use it)"

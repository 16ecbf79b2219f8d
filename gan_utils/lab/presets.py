"""The lab's presets (notebook 10): settings worth watching, each with a text that says what to see.

A `Preset` is a `LabConfig`, a number of steps and a short text. Each failure ("mode collapse",
"discriminator wins", "oscillation") comes with a fix that changes one or two settings.
`run_preset` trains a fresh `Lab` with one, and `measure` reports what the texts talk about.

    lab = run_preset("mode collapse")
    measure(lab)["modes"]      # ring modes the fakes cover
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from gan_utils.lab.data import modes_covered
from gan_utils.lab.game import Lab, LabConfig, one_thread


@dataclass(frozen=True)
class Preset:
    """A lab setting worth watching: its config, how many steps it takes, and what to look for."""

    config: LabConfig
    steps: int
    text: str


RING_FAST_G = LabConfig(lr_g=1e-2, lr_d=1e-4)
D_AHEAD = LabConfig(loss="saturating", lr_d=1e-2, d_steps=5)
SWING = LabConfig(dataset="gaussian", lr_d=3e-3, lr_g=3e-3)
#: The numbers in each text come from `measure`, taken during a run of that preset.
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
        "The same learning rates with 5 D updates per G update. Over the second half the fakes' "
        "centre stays within 0.23 of the data's (0.11 on average, against 0.31 without the fix) and "
        "their spread between 0.30 and 0.42, around the data's 0.4.",
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
        real = lab.real(2000, torch.Generator().manual_seed(11))
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

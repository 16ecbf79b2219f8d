"""An exponential moving average (EMA) of the generator's weights (notebook 05).

A GAN's generator keeps moving: each step answers the discriminator of that moment, so its weights
circle around a good solution instead of settling on it. Averaging them over the last few hundred
steps cancels much of that circling (Yazıcı et al., "The unusual effectiveness of averaging in GAN
training", ICLR 2019). The average is only used to draw: training itself never sees it.

With a fixed decay d the average starts far behind (it remembers the random start for ~1/(1-d)
steps), so the decay warms up: d_t = min(d, (1 + t) / (10 + t)) after t updates, as in TensorFlow's
ExponentialMovingAverage with num_updates.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    """`ema.update(G)` after every generator step; `ema.model` is the averaged copy, in eval mode.

    BatchNorm's running statistics are buffers, not weights: they are copied from the raw model at
    every update, so the averaged weights are used with the statistics of the recent batches.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be between 0 and 1 (e.g. 0.999), got {decay!r}.")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        """The decay of the next update, after the warm-up."""
        t = self.updates + 1
        return min(self.decay, (1 + t) / (10 + t))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        weight = 1.0 - self.current_decay()
        averaged = list(self.model.parameters())
        torch._foreach_lerp_(averaged, [p.detach() for p in model.parameters()], weight)
        for mine, theirs in zip(self.model.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"decay": self.decay, "updates": self.updates, "model": self.model.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.decay, self.updates = float(state["decay"]), int(state["updates"])
        self.model.load_state_dict(state["model"])

"""An exponential moving average (EMA) of the generator's weights (notebook 05).

A GAN's generator keeps moving: each step answers the discriminator of that moment, so its weights
circle around a good solution instead of settling on it. Averaging them over the last few hundred
steps cancels much of that circling (Yazıcı et al., "The unusual effectiveness of averaging in GAN
training", ICLR 2019). The average is only used to draw: training itself never sees it.

With a fixed decay d the average starts far behind (it remembers the random start for ~1/(1-d)
steps), so the decay warms up: d_t = min(d, (1 + t) / (10 + t)) after t updates, as in TensorFlow's
ExponentialMovingAverage with num_updates.

PyTorch has the same average as `torch.optim.swa_utils.AveragedModel(G,
multi_avg_fn=get_ema_multi_avg_fn(decay))`, with `update_bn` for the statistics. This module adds the
warm-up, and recomputes BatchNorm from noise (and labels, for a conditional generator) rather than
from a data loader.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from gan_utils.models import cycle_labels, is_conditional, make_noise

#: Noise batches (of 256) that `EMA.generator()` runs to recompute BatchNorm's statistics.
BN_BATCHES = 20


@torch.no_grad()
def recompute_batchnorm(
    model: nn.Module, batches: int = BN_BATCHES, batch_size: int = 256, seed: int = 0
) -> nn.Module:
    """Recompute a generator's BatchNorm running statistics for its own weights, in place, from
    `batches` seeded noise batches (the same every time); returns the model in eval mode."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if norms:
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches below
        model.train()
        rng = torch.Generator().manual_seed(seed)
        device = next(model.parameters()).device
        labels = (
            cycle_labels(batch_size, model.n_classes, device) if is_conditional(model) else None
        )
        for _ in range(batches):
            z = make_noise(batch_size, model.latent_dim, device, generator=rng)
            model(z) if labels is None else model(z, labels)
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
    return model.eval()


class EMA:
    """`ema.update(G)` after every generator step; `ema.generator()` is the averaged copy, ready to
    draw with (eval mode).

    BatchNorm's running statistics are buffers, not weights: the raw model's statistics describe the
    activations of the raw weights, not of the averaged ones, and drawing with them spoils the
    average. So `generator()` recomputes them for the averaged weights, from a fixed set of noise
    batches (the same every time, so a resumed run draws the same digits).

    With `gamma` > 0 the decay is not fixed but grows with the run, (1 - 1/t)^(gamma + 1) after t
    updates: a power-function EMA (Karras et al. 2024). Step tau weighs about tau^gamma in the
    average, so the average lags the raw weights by about 1/(gamma + 2) of the run, however many
    steps the run makes (`decay` is then unused).
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, gamma: float = 0.0) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be between 0 and 1 (e.g. 0.999), got {decay!r}.")
        if not gamma >= 0:
            raise ValueError(f"EMA gamma must be 0 (a fixed decay) or more, got {gamma!r}.")
        self.decay, self.gamma = decay, gamma
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._fresh_at = -1  # `updates` when the BatchNorm statistics were last recomputed

    def current_decay(self) -> float:
        """The decay of the next update: the fixed decay after a warm-up, or the power function's."""
        t = self.updates + 1
        if self.gamma:
            return (1 - 1 / t) ** (self.gamma + 1)
        return min(self.decay, (1 + t) / (10 + t))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        weight = 1.0 - self.current_decay()
        averaged = list(self.model.parameters())
        torch._foreach_lerp_(averaged, [p.detach() for p in model.parameters()], weight)
        self.updates += 1

    def generator(self) -> nn.Module:
        """The averaged model in eval mode, its BatchNorm statistics recomputed for its own weights."""
        if self._fresh_at != self.updates:
            recompute_batchnorm(self.model)
            self._fresh_at = self.updates
        return self.model.eval()

    def state_dict(self) -> dict[str, Any]:
        return {
            "decay": self.decay,
            "gamma": self.gamma,
            "updates": self.updates,
            "model": self.model.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.decay, self.updates = float(state["decay"]), int(state["updates"])
        self.gamma = float(state["gamma"])
        self.model.load_state_dict(state["model"])
        self._fresh_at = -1

"""The divergence guard: stop a run whose losses blew up, and say what was kept (notebook 05).

A loss whose mean over a check window (100 steps, or the end of an epoch) is not finite, or larger
in absolute value than its loss's `limit` (gan_utils.losses.GANLoss), stops training with
`TrainingDiverged`. The last good checkpoint on disk is untouched.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from gan_utils.gan import GAN


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite, or blew up; the last good checkpoint on disk is untouched."""


def check_health(window: torch.Tensor, steps: int, gan: GAN, step: int) -> None:
    """Raise TrainingDiverged if the mean losses in `window` (summed over `steps` steps) broke the rule."""
    loss_d, loss_g = (window[:2] / steps).tolist()
    limit = gan.loss.limit
    finite = math.isfinite(loss_d) and math.isfinite(loss_g)
    if finite and max(abs(loss_d), abs(loss_g)) <= limit:
        return
    kept = (
        f"the last good checkpoint (epoch {gan.saved_epoch}) was kept"
        if gan.saved_epoch
        else "no checkpoint of this run was written"
    )
    what = "not finite" if not finite else f"above {limit:,.0f} in size"
    raise TrainingDiverged(
        f"training diverged in epoch {gan.epoch + 1} by step {step}: mean losses over the last {steps} "
        f"steps are {what} (loss_d={loss_d:.3g}, loss_g={loss_g:.3g}); {kept}. Try a smaller "
        f"learning rate (now {gan.config.lr:g}) or another seed, then resume or restart."
    )

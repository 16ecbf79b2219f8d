"""The GAN objectives (notebook 04_loss): what D minimises, what G minimises, and D steps per G step.

A `GANLoss` bundles the three. The trainer, the 2-D lab and the notebooks take one by name from
`LOSSES`, so a new objective is one more entry here and nothing else:

    LOSSES["least-squares"] = GANLoss(
        "least-squares",
        d_loss=lambda real, fake: ((real - 1) ** 2).mean() / 2 + (fake**2).mean() / 2,
        g_loss=lambda fake: ((fake - 1) ** 2).mean() / 2,
        probability=False,
    )

Losses are written on D's raw outputs. For BCE these are logits:
`F.binary_cross_entropy_with_logits` computes sigmoid and log together (log-sum-exp form), so it
stays finite where sigmoid + BCELoss would round D's output to exactly 0 or 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

Tensor = torch.Tensor


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Mean of BCE(D(x), 1) and BCE(D(G(z)), 0): "call real images real and fakes fake" (notebook 04)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return (real + fake) / 2


def generator_loss(fake_logits: Tensor) -> Tensor:
    """Non-saturating loss BCE(D(G(z)), 1) = -log D(G(z)): "make D call the fakes real" (notebook 04)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """The original minimax form log(1 - D(G(z))), to be minimised; shown for comparison (notebook 04)."""
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


@dataclass(frozen=True)
class GANLoss:
    """One GAN objective: D's loss, G's loss, and how many D updates come before each G update.

    d_loss(D(x), D(G(z))) and g_loss(D(G(z))) take D's raw outputs, shape (B, 1).
    probability: D's outputs are logits of "real", so sigmoid(output) is a probability and the
      trainer logs its mean as D(x) and D(G(z)). False (a critic's score): it logs the raw mean.
    penalty(D, real, fake, labels): an extra term added to D's loss, or None (a gradient penalty
      needs D itself, not only its outputs).
    limit: the divergence guard stops a run whose mean loss is above this, in absolute value.
    """

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    d_steps: int = 1
    probability: bool = True
    penalty: Callable[[nn.Module, Tensor, Tensor, Tensor | None], Tensor] | None = None
    limit: float = 1_000.0  # BCE of 1,000 needs logits near +-1,000: the weights have blown up

    def __post_init__(self) -> None:
        if not isinstance(self.d_steps, int) or isinstance(self.d_steps, bool) or self.d_steps < 1:
            raise ValueError(f"d_steps must be an int of at least 1, got {self.d_steps!r}.")

    @torch.no_grad()
    def judge(self, outputs: Tensor) -> Tensor:
        """What we log as D's verdict on a batch: mean probability of "real", or mean score."""
        return torch.sigmoid(outputs).mean() if self.probability else outputs.mean()


#: Every objective by name: `TrainConfig(loss=...)`, `train --loss ...`, the lab's loss menu. Both
#: are binary cross-entropy for D; they differ in G's loss (notebook 04).
LOSSES: dict[str, GANLoss] = {
    "non-saturating": GANLoss("non-saturating", discriminator_loss, generator_loss),
    "saturating": GANLoss("saturating", discriminator_loss, saturating_generator_loss),
}


def get_loss(loss: str | GANLoss) -> GANLoss:
    """The GANLoss named `loss` in LOSSES (a GANLoss passes through)."""
    if isinstance(loss, GANLoss):
        return loss
    if loss not in LOSSES:
        raise ValueError(
            f"loss must be one of {tuple(LOSSES)}, got {loss!r}. A new objective is a GANLoss "
            "added to gan_utils.losses.LOSSES."
        )
    return LOSSES[loss]

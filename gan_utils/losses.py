"""The GAN objectives, written on discriminator logits (notebook 04_loss).

`F.binary_cross_entropy_with_logits` computes sigmoid and log together (log-sum-exp form), so it
stays finite where sigmoid + BCELoss would round D's output to exactly 0 or 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Mean of BCE(D(x), 1) and BCE(D(G(z)), 0): "call real images real and fakes fake" (notebook 04)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return (real + fake) / 2


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating loss BCE(D(G(z)), 1) = -log D(G(z)): "make D call the fakes real" (notebook 04)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The original minimax form log(1 - D(G(z))), to be minimised; shown for comparison (notebook 04)."""
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))

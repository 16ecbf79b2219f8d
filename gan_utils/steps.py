"""One move of each player, and one round of the game (notebook 05_training).

`discriminator_step` and `generator_step` update one player against the other with a `GANLoss`
(gan_utils.losses); `train_step` plays one round of a `GAN` (gan_utils.gan): the loss's d_steps
discriminator updates, then one generator update. The trainer and the 2-D lab both use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from gan_utils.losses import GANLoss, get_loss
from gan_utils.models import is_conditional

if TYPE_CHECKING:
    from gan_utils.gan import GAN


def discriminator_step(
    D: nn.Module,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None = None,
    loss: GANLoss | str = "non-saturating",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One discriminator update: real -> "real", fake -> "fake" (notebook 05); returns (loss_d,
    real_outputs, fake_outputs). `fake` is detached, so this loss never reaches the generator. A
    conditional D (notebook 09) also gets the `labels` (B,), the digit of each real image and fake.

    D has no batch statistics, so one forward pass over both halves equals two separate passes.
    A loss with a penalty (WGAN-GP's) adds it to D's loss; `generator` seeds its random draws.
    """
    loss = get_loss(loss)
    B, fake = real.shape[0], fake.detach()
    both = torch.cat([real, fake])  # (2B, ...)
    outputs = D(both) if labels is None else D(both, torch.cat([labels, labels]))  # -> (2B, 1)
    real_out, fake_out = outputs[:B], outputs[B:]
    loss_d = loss.d_loss(real_out, fake_out)
    if loss.penalty is not None:
        loss_d = loss_d + loss.penalty(D, real, fake, labels, generator)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    return loss_d, real_out, fake_out


def generator_step(
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    fake: torch.Tensor,
    loss: GANLoss | str = "non-saturating",
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """One generator update: make D call `fake` (still attached to G) real (notebook 05).

    D's weights get no gradients here. `loss` is the non-saturating one unless given (notebook 04
    compares "saturating"). Returns loss_g.
    """
    loss = get_loss(loss)
    D.requires_grad_(False)
    try:
        loss_g = loss.g_loss(D(fake) if labels is None else D(fake, labels))
    finally:
        D.requires_grad_(True)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return loss_g


def train_step(gan: GAN, real: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """One round: d_steps discriminator updates, then one generator update (notebook 05).

    `real` holds d_steps batches one after the other, so each D update sees its own real images;
    G's update uses fakes of one batch. A conditional GAN (notebook 09) also takes the `labels`; its
    fakes are asked for the same digits, so real and fake images come with the same mix of labels.
    Returns (loss_d, loss_g, D(x), D(G(z))) of the last D update as one tensor on the device, so
    the caller need not wait for the GPU after every step.
    """
    if (labels is not None) != is_conditional(gan.G):
        raise ValueError(
            "a conditional GAN needs the batch's labels, an unconditional one takes none "
            f"(design {gan.config.design!r}, labels {'given' if labels is not None else 'missing'})."
        )
    d_steps = gan.d_steps
    if real.shape[0] % d_steps:
        raise ValueError(
            f"real holds {real.shape[0]} images, not {d_steps} equal batches (one per D step)."
        )
    B = real.shape[0] // d_steps
    for i in range(d_steps):
        y = None if labels is None else labels[i * B : (i + 1) * B]
        z = torch.randn(B, gan.config.latent_dim, device=real.device, generator=gan.noise)
        fake = gan.G(z) if y is None else gan.G(z, y)  # (B, 100) -> (B, 1, 28, 28)
        x = real[i * B : (i + 1) * B]
        loss_d, real_out, fake_out = discriminator_step(
            gan.D, gan.opt_d, x, fake, y, gan.loss, generator=gan.noise
        )
    # against the just-updated D, with the last D step's fakes (as in notebook 05)
    loss_g = generator_step(gan.D, gan.opt_g, fake, gan.loss, y)
    if gan.ema is not None:
        gan.ema.update(gan.G)
    judge = gan.loss.judge
    return torch.stack([loss_d.detach(), loss_g.detach(), judge(real_out), judge(fake_out)])

"""The GAN objectives (notebook 04_loss): what D minimises, what G minimises, and D steps per G step.

A `GANLoss` bundles the three. The trainer, the 2-D lab and the notebooks take one by name from
`LOSSES`, so a new objective is one more entry here and nothing else:

    LOSSES["my-loss"] = GANLoss(
        "my-loss",
        d_loss=lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean(),
        g_loss=lambda fake: F.softplus(-fake).mean(),
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
    penalty(D, real, fake, labels, generator): an extra term added to D's loss, or None (a
      gradient penalty needs D itself, not only its outputs; `generator` seeds its random draws).
    limit: the divergence guard stops a run whose mean loss is above this, in absolute value.
    check_critic(D): raises ValueError with a reason if D does not suit this loss, or None.
    """

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    d_steps: int = 1
    probability: bool = True
    penalty: Callable[..., Tensor] | None = None
    limit: float = 1_000.0  # BCE of 1,000 needs logits near +-1,000: the weights have blown up
    check_critic: Callable[[nn.Module], None] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.d_steps, int) or isinstance(self.d_steps, bool) or self.d_steps < 1:
            raise ValueError(f"d_steps must be an int of at least 1, got {self.d_steps!r}.")

    @torch.no_grad()
    def judge(self, outputs: Tensor) -> Tensor:
        """What we log as D's verdict on a batch: mean probability of "real", or mean score."""
        return torch.sigmoid(outputs).mean() if self.probability else outputs.mean()


# ----------------------------------------------------------------- beyond binary cross-entropy
def wasserstein_critic_loss(real: Tensor, fake: Tensor) -> Tensor:
    """E[D(G(z))] - E[D(x)]: the critic scores real images high and fakes low (Arjovsky et al. 2017)."""
    return fake.mean() - real.mean()


def wasserstein_generator_loss(fake: Tensor) -> Tensor:
    """-E[D(G(z))]: the generator raises the critic's score of its fakes."""
    return -fake.mean()


def gradient_penalty(
    D: nn.Module,
    real: Tensor,
    fake: Tensor,
    labels: Tensor | None = None,
    generator: torch.Generator | None = None,
    weight: float = 10.0,
) -> Tensor:
    """weight * E[(|grad D(x_hat)| - 1)^2] at random points x_hat between real and fake images
    (Gulrajani et al. 2017): it pulls the critic's gradient norm towards 1, a 1-Lipschitz critic."""
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)  # one mixing weight per image
    eps = torch.rand(shape, device=real.device, generator=generator)
    x_hat = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = D(x_hat) if labels is None else D(x_hat, labels)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, ...) like x_hat
    return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def no_batchnorm(D: nn.Module) -> None:
    """WGAN-GP's penalty is a per-image gradient; BatchNorm makes each score depend on the batch."""
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules()):
        raise ValueError(
            "loss 'wgan-gp' needs a critic without BatchNorm: the gradient penalty is taken image by "
            "image, and BatchNorm makes each image's score depend on the rest of the batch "
            "(Gulrajani et al. 2017). Every gan_utils design's discriminator has none; remove it "
            "from yours, or use another loss."
        )


def hinge_discriminator_loss(real: Tensor, fake: Tensor) -> Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]: only scores on the wrong side of +-1 count
    (Lim & Ye 2017; Miyato et al. 2018 pair it with spectral norm)."""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def least_squares_discriminator_loss(real: Tensor, fake: Tensor) -> Tensor:
    """(E[(D(x) - 1)^2] + E[D(G(z))^2]) / 2: scores pulled to 1 for real, 0 for fake (Mao et al. 2017)."""
    return (((real - 1) ** 2).mean() + (fake**2).mean()) / 2


def least_squares_generator_loss(fake: Tensor) -> Tensor:
    """E[(D(G(z)) - 1)^2] / 2: the generator pulls the scores of its fakes to 1."""
    return ((fake - 1) ** 2).mean() / 2


#: Every objective by name: `TrainConfig(loss=...)`, `train --loss ...`, the lab's loss menu. The
#: first two are binary cross-entropy for D and differ in G's loss (notebook 04). WGAN-GP's authors
#: train with Adam betas (0, 0.9) and lr 1e-4: TrainConfig(loss="wgan-gp", beta1=0.0, beta2=0.9).
#: Which critic: WGAN-GP takes any design's discriminator (none has BatchNorm; the penalty refuses
#: one that does); hinge was introduced with the spectrally normalised one (design "dcgan").
LOSSES: dict[str, GANLoss] = {
    "non-saturating": GANLoss("non-saturating", discriminator_loss, generator_loss),
    "saturating": GANLoss("saturating", discriminator_loss, saturating_generator_loss),
    "wgan-gp": GANLoss(
        "wgan-gp",
        wasserstein_critic_loss,
        wasserstein_generator_loss,
        d_steps=5,
        probability=False,
        penalty=gradient_penalty,
        limit=1e5,
        check_critic=no_batchnorm,
    ),
    "hinge": GANLoss(
        "hinge", hinge_discriminator_loss, wasserstein_generator_loss, probability=False
    ),
    "least-squares": GANLoss(
        "least-squares",
        least_squares_discriminator_loss,
        least_squares_generator_loss,
        probability=False,
    ),
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

"""gan_utils.losses: the GAN objectives on logits, checked against BCE computed by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gan_utils.losses import discriminator_loss, generator_loss, saturating_generator_loss


def bce_by_hand(p: list[float], y: list[float]) -> float:
    """Mean of -[y log p + (1 - y) log(1 - p)], in plain Python floats."""
    terms = [
        -(yi * math.log(pi) + (1 - yi) * math.log(1 - pi)) for pi, yi in zip(p, y, strict=True)
    ]
    return sum(terms) / len(terms)


def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


REAL = [2.0, -0.5, 0.3]  # D's logits on real images
FAKE = [-1.5, 0.7, -3.0, 0.1]  # D's logits on generated images


def test_discriminator_loss_matches_hand_computed_bce():
    expected = (
        bce_by_hand([sigmoid(a) for a in REAL], [1] * 3)
        + bce_by_hand([sigmoid(a) for a in FAKE], [0] * 4)
    ) / 2
    got = discriminator_loss(torch.tensor(REAL), torch.tensor(FAKE)).item()
    assert got == pytest.approx(expected, rel=1e-6)


def test_generator_losses_match_hand_computed_values():
    p = [sigmoid(a) for a in FAKE]
    non_saturating = sum(-math.log(pi) for pi in p) / len(p)  # -log D(G(z))
    saturating = sum(math.log(1 - pi) for pi in p) / len(p)  # log(1 - D(G(z))), minimised by G
    assert generator_loss(torch.tensor(FAKE)).item() == pytest.approx(non_saturating, rel=1e-6)
    assert saturating_generator_loss(torch.tensor(FAKE)).item() == pytest.approx(
        saturating, rel=1e-6
    )
    assert non_saturating == pytest.approx(bce_by_hand(p, [1] * 4))


def test_a_perfect_discriminator_has_a_small_loss_and_a_fooled_one_a_large_loss():
    confident = discriminator_loss(torch.full((4, 1), 8.0), torch.full((4, 1), -8.0))
    fooled = discriminator_loss(torch.full((4, 1), -8.0), torch.full((4, 1), 8.0))
    assert confident.item() < 1e-3 and fooled.item() > 7.9
    chance = discriminator_loss(torch.zeros(4, 1), torch.zeros(4, 1))
    assert chance.item() == pytest.approx(math.log(2))


@pytest.mark.parametrize("target", [0.0, 1.0])
def test_logits_form_equals_sigmoid_plus_bceloss_in_the_normal_range(target):
    logits = torch.linspace(-8, 8, 33, requires_grad=True)
    targets = torch.full_like(logits, target)
    with_logits = nn.BCEWithLogitsLoss()(logits, targets)
    (g_logits,) = torch.autograd.grad(with_logits, logits)
    naive = nn.BCELoss()(torch.sigmoid(logits), targets)
    (g_naive,) = torch.autograd.grad(naive, logits)
    torch.testing.assert_close(with_logits, naive)
    torch.testing.assert_close(g_logits, g_naive)


def test_logits_form_stays_exact_where_sigmoid_plus_bceloss_breaks():
    # D is sure a fake is fake (logit -200): the generator's non-saturating loss should be 200.
    logit = torch.tensor([-200.0], requires_grad=True)
    loss = generator_loss(logit)
    (grad,) = torch.autograd.grad(loss, logit)
    assert loss.item() == pytest.approx(200.0)
    assert grad.item() == pytest.approx(-1.0)  # d/da -log sigmoid(a) = sigmoid(a) - 1

    logit = torch.tensor([-200.0], requires_grad=True)
    naive = nn.BCELoss()(torch.sigmoid(logit), torch.ones(1))  # sigmoid(-200) rounds to 0.0
    (naive_grad,) = torch.autograd.grad(naive, logit)
    assert naive.item() == pytest.approx(100.0)  # BCELoss clamps log(0) to -100
    assert naive_grad.item() == 0.0  # no signal for the generator

    # And for the discriminator on a real image it calls fake with logit -50: the loss is 50.
    d = discriminator_loss(torch.tensor([-50.0]), torch.tensor([-50.0]))
    assert torch.isfinite(d) and d.item() == pytest.approx(25.0)


def test_non_saturating_gradient_is_larger_when_d_rejects_fakes():
    p = torch.tensor([1e-4, 1e-2, 0.1, 0.3])  # D(G(z)) small: D easily spots the fakes
    logits = torch.logit(p).requires_grad_(True)
    (g_ns,) = torch.autograd.grad(generator_loss(logits), logits)
    (g_sat,) = torch.autograd.grad(saturating_generator_loss(logits), logits)
    n = len(p)
    torch.testing.assert_close(g_ns * n, p - 1)  # -(1 - p) per element
    torch.testing.assert_close(g_sat * n, -p)  # -p per element: vanishes as p -> 0
    assert (g_ns.abs() > g_sat.abs()).all()
    assert (g_ns.abs() / g_sat.abs())[0] > 1000


# ------------------------------------------------------------------- beyond cross-entropy
def test_wasserstein_hinge_and_least_squares_match_their_formulas():
    from gan_utils.losses import LOSSES

    real, fake = torch.tensor(REAL).unsqueeze(1), torch.tensor(FAKE).unsqueeze(1)
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    expected = {
        "wgan-gp": (mean(FAKE) - mean(REAL), -mean(FAKE)),
        "hinge": (
            mean([max(0, 1 - r) for r in REAL]) + mean([max(0, 1 + f) for f in FAKE]),
            -mean(FAKE),
        ),
        "least-squares": (
            (mean([(r - 1) ** 2 for r in REAL]) + mean([f**2 for f in FAKE])) / 2,
            mean([(f - 1) ** 2 for f in FAKE]) / 2,
        ),
    }
    for name, (d_value, g_value) in expected.items():
        loss = LOSSES[name]
        assert loss.d_loss(real, fake).item() == pytest.approx(d_value), name
        assert loss.g_loss(fake).item() == pytest.approx(g_value), name
        assert not loss.probability  # scores, not probabilities: logged as raw means
        assert loss.judge(real).item() == pytest.approx(mean(REAL))


@pytest.mark.parametrize(("norm", "penalty"), [(1.0, 0.0), (2.0, 10.0), (0.5, 2.5)])
def test_the_gradient_penalty_is_zero_exactly_for_a_critic_of_slope_one(norm, penalty):
    """A linear critic D(x) = <w, x> has gradient w everywhere: the penalty is 10 (|w| - 1)^2."""
    from gan_utils.losses import gradient_penalty

    D = nn.Sequential(nn.Flatten(), nn.Linear(784, 1, bias=False))
    with torch.no_grad():
        w = torch.randn(1, 784)
        D[1].weight.copy_(norm * w / w.norm())
    real, fake = torch.randn(8, 1, 28, 28), torch.randn(8, 1, 28, 28)
    gp = gradient_penalty(D, real, fake, generator=torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(penalty, abs=1e-4)
    gp.backward()  # the penalty trains the critic: it pushes |w| towards 1, and not at all at 1
    pushed = D[1].weight.grad.norm().item()
    assert pushed > 1.0 if penalty > 0 else pushed < 1e-4


def test_wgan_gp_refuses_a_critic_with_batchnorm():
    from gan_utils.config import TrainConfig
    from gan_utils.gan import build_gan

    D = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.BatchNorm1d(16), nn.Linear(16, 1))
    with pytest.raises(ValueError, match="wgan-gp.*BatchNorm"):
        build_gan(TrainConfig(loss="wgan-gp", device="cpu"), D=D)
    build_gan(TrainConfig(loss="hinge", device="cpu"), D=D)  # only WGAN-GP's penalty minds

"""gan_utils.models: both designs, shapes, ranges, parameter counts, seeding, shape errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_utils.models import (
    MLP_DESIGNS,
    Discriminator,
    Generator,
    block,
    count_parameters,
    make_noise,
)
from gan_utils.runtime import set_seed


def linear(n_in: int, n_out: int) -> int:
    """Parameters of nn.Linear: a weight matrix plus a bias."""
    return n_in * n_out + n_out


def batchnorm(n: int) -> int:
    """Trainable parameters of nn.BatchNorm1d: a scale and a shift per feature."""
    return 2 * n


@pytest.mark.parametrize("design", MLP_DESIGNS)
def test_generator_shape_and_range(design):
    g = Generator(design=design)
    z = make_noise(16, 100, generator=torch.Generator().manual_seed(0))
    for mode in (g.train, g.eval):
        mode()
        images = g(z * 50)  # large noise drives tanh into saturation, still inside [-1, 1]
        assert images.shape == (16, 1, 28, 28)
        assert images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("design", MLP_DESIGNS)
def test_discriminator_returns_one_logit_per_image(design):
    d = Discriminator(design=design)
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    logits = d(x)
    assert logits.shape == (8, 1)
    torch.testing.assert_close(d(x.view(8, 784)), logits)  # flat images are accepted too


def test_discriminator_probability_output_is_sigmoid_of_logit():
    set_seed(0)
    d_logit = Discriminator()
    d_prob = Discriminator(output="probability")
    d_prob.net[: len(d_logit.net)].load_state_dict(d_logit.net.state_dict())
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    p = d_prob(x)
    torch.testing.assert_close(p, torch.sigmoid(d_logit(x)))
    assert ((p > 0) & (p < 1)).all()
    assert isinstance(d_prob.net[-1], nn.Sigmoid) and not isinstance(d_logit.net[-1], nn.Sigmoid)


def test_batchnorm_uses_the_default_eps_not_0_8():
    norms = [m for m in Generator(design="block").modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(norms) == 3  # none right after the noise
    for bn in norms:
        assert bn.eps == 1e-5 and bn.momentum == 0.1
    assert block(4, 8)[1].eps == 1e-5
    assert [type(m) for m in block(4, 8, normalize=False)] == [nn.Linear, nn.LeakyReLU]
    assert block(4, 8)[-1].negative_slope == 0.2
    assert not any(isinstance(m, nn.BatchNorm1d) for m in Generator(design="mlp").modules())


def test_default_parameter_counts():
    pixels = 28 * 28
    g_block = (
        linear(100, 128)
        + linear(128, 256)
        + batchnorm(256)
        + linear(256, 512)
        + batchnorm(512)
        + linear(512, 1024)
        + batchnorm(1024)
        + linear(1024, pixels)
    )
    g_mlp = linear(100, 256) + linear(256, 512) + linear(512, 1024) + linear(1024, pixels)
    d_any = linear(pixels, 512) + linear(512, 256) + linear(256, 1)
    assert count_parameters(Generator(design="block")) == g_block == 1_510_032
    assert count_parameters(Generator(design="mlp")) == g_mlp == 1_486_352
    assert count_parameters(Discriminator(design="block")) == d_any == 533_505
    assert count_parameters(Discriminator(design="mlp")) == d_any
    # mlp_bn: the mlp generator plus BatchNorm in its hidden layers but the first; the same D.
    g_mlp_bn = g_mlp + batchnorm(512) + batchnorm(1024)
    assert count_parameters(Generator(design="mlp_bn")) == g_mlp_bn == 1_489_424
    assert str(Discriminator(design="mlp_bn")) == str(Discriminator(design="mlp"))
    assert count_parameters(Discriminator(output="probability")) == d_any  # sigmoid has no weights


def test_count_parameters_skips_frozen_ones():
    g = Generator()
    total = count_parameters(g)
    for p in g.net[-2].parameters():
        p.requires_grad_(False)
    assert count_parameters(g) == total - linear(1024, 784)


def test_generator_rejects_wrong_noise_shape_and_names_the_expected_one():
    g = Generator(latent_dim=100)
    with pytest.raises(ValueError, match=r"expected noise of shape \(batch, 100\), got \(4, 64\)"):
        g(torch.randn(4, 64))
    with pytest.raises(ValueError, match=r"\(batch, 100\)"):
        g(torch.randn(100))  # a single vector without the batch dimension


def test_discriminator_rejects_wrong_image_shape_and_names_the_expected_one():
    d = Discriminator()
    with pytest.raises(
        ValueError, match=r"\(batch, 1, 28, 28\) or \(batch, 784\), got \(4, 28, 28\)"
    ):
        d(torch.randn(4, 28, 28))
    with pytest.raises(ValueError, match=r"got \(4, 3, 28, 28\)"):
        d(torch.randn(4, 3, 28, 28))


def test_unknown_design_and_output_are_rejected():
    with pytest.raises(ValueError, match="design must be one of"):
        Generator(design="conv")
    with pytest.raises(ValueError, match="design must be one of"):
        Discriminator(design="conv")
    with pytest.raises(ValueError, match="output must be 'logit' or 'probability'"):
        Discriminator(output="prob")


@pytest.mark.parametrize("design", MLP_DESIGNS)
def test_seeding_gives_identical_weights_and_outputs(design):
    def build():
        set_seed(123)
        return Generator(design=design), Discriminator(design=design)

    (g1, d1), (g2, d2) = build(), build()
    for a, b in ((g1, g2), (d1, d2)):
        for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
            assert torch.equal(p, q), name
    z1 = make_noise(8, generator=torch.Generator().manual_seed(5))
    z2 = make_noise(8, generator=torch.Generator().manual_seed(5))
    assert torch.equal(z1, z2)
    assert torch.equal(g1(z1), g2(z2)) and torch.equal(d1(g1(z1)), d2(g2(z2)))
    set_seed(124)  # another seed, other weights
    assert not torch.equal(next(Generator(design=design).parameters()), next(g1.parameters()))


def test_make_noise_shape_and_validation():
    z = make_noise(1000, 7, generator=torch.Generator().manual_seed(0))
    assert z.shape == (1000, 7)
    assert abs(z.mean().item()) < 0.05 and abs(z.std().item() - 1) < 0.05
    with pytest.raises(ValueError, match="must be positive"):
        make_noise(0)


@pytest.mark.parametrize("design", MLP_DESIGNS)
def test_custom_latent_hidden_and_image_shape(design):
    g = Generator(latent_dim=16, hidden=(32, 64), image_shape=(3, 8, 8), design=design)
    d = Discriminator(hidden=(20,), image_shape=(3, 8, 8), design=design)
    images = g(make_noise(4, 16))
    assert images.shape == (4, 3, 8, 8)
    assert d(images).shape == (4, 1)
    assert g.config == {
        "latent_dim": 16,
        "hidden": [32, 64],
        "image_shape": [3, 8, 8],
        "design": design,
    }
    assert d.config["hidden"] == [20] and d.config["image_shape"] == [3, 8, 8]
    expected = linear(16, 32) + linear(32, 64) + linear(64, 3 * 8 * 8)
    if design in ("block", "mlp_bn"):
        expected += batchnorm(64)
    assert count_parameters(g) == expected
    assert count_parameters(d) == linear(192, 20) + linear(20, 1)
    # The rebuilt architecture from config has the same shapes.
    assert str(Generator(**g.config)) == str(g)

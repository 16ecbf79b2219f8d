"""The convolutional (dcgan) and conditional (cgan) designs: shapes, the shared trainer, checkpoints,
exact resume, the digit a conditional generator is asked for, and clear errors (notebooks 08-09)."""

from __future__ import annotations

import pytest
import torch

from gan_utils.checkpoints import load_generator, resume_gan, save_generator
from gan_utils.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_utils.config import TrainConfig
from gan_utils.data import InMemoryLoader, mnist_tensors
from gan_utils.dcgan import INIT_STD, DCGANDiscriminator, DCGANGenerator
from gan_utils.designs import DESIGNS, build_players
from gan_utils.gan import build_gan, fixed_samples
from gan_utils.models import count_parameters, generate_images, is_conditional
from gan_utils.steps import train_step
from gan_utils.training import train


@pytest.fixture(scope="module")
def mnist() -> tuple[torch.Tensor, torch.Tensor]:
    return mnist_tensors(train=True, limit=256)


def small_config(design: str, **kw) -> TrainConfig:
    return TrainConfig(
        **{
            "design": design,
            "batch_size": 32,
            "epochs": 2,
            "seed": 3,
            "device": "cpu",
            "n_fixed": 20,
            **kw,
        }
    )


@pytest.mark.parametrize("design", DESIGNS)
def test_every_design_maps_noise_to_images_and_images_to_one_logit(design):
    torch.manual_seed(0)
    G, D = build_players(design, latent_dim=100)
    z = torch.randn(4, 100)
    labels = torch.tensor([0, 3, 7, 9]) if is_conditional(G) else None
    fake = G.eval()(z) if labels is None else G.eval()(z, labels)
    assert fake.shape == (4, 1, 28, 28) and fake.abs().max() <= 1
    logits = D(fake) if labels is None else D(fake, labels)
    assert logits.shape == (4, 1)


def test_dcgan_sizes_and_initialisation():
    torch.manual_seed(0)
    G, D = DCGANGenerator(), DCGANDiscriminator()
    x = G.project(torch.randn(2, 100)).view(2, 256, 7, 7)
    assert G.net[0](x).shape == (2, 128, 14, 14)  # each transposed convolution doubles the size
    assert D.net[0](torch.zeros(2, 1, 28, 28)).shape == (2, 64, 14, 14)  # each conv halves it
    conv = G.net[0].weight
    assert abs(conv.std().item() - INIT_STD) < 0.002 and abs(conv.mean().item()) < 0.002
    assert abs(G.project[1].weight.mean().item() - 1.0) < 0.01  # BatchNorm scales ~ N(1, 0.02)
    # Notebook 08, section 2: D has a quarter of the block D's weights; most of G's are in its Linear.
    assert count_parameters(D) < count_parameters(build_players("block")[1]) / 3
    assert count_parameters(G.project) > 2 * count_parameters(G.net)


def test_dcgan_discriminator_weights_are_spectrally_normalised():
    torch.manual_seed(0)
    D = DCGANDiscriminator()
    weighted = [layer for layer in D.net if hasattr(layer, "weight")]
    assert len(weighted) == 3 and all(hasattr(layer, "parametrizations") for layer in weighted)
    # The DCGAN initialisation reaches the raw weights; the layers use them divided by their
    # largest singular value (of the kernel as a matrix), estimated a little better at every call.
    assert abs(D.net[2].parametrizations.weight.original.std().item() - INIT_STD) < 0.002
    for _ in range(50):
        D(torch.randn(8, 1, 28, 28))
    for layer in weighted:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2).item()
        assert abs(sigma - 1) < 0.02, sigma
    assert D.config["spectral"] is True
    plain = DCGANDiscriminator(spectral=False)
    assert not any(hasattr(layer, "parametrizations") for layer in plain.net)
    assert count_parameters(plain) == count_parameters(D)  # the norm adds buffers, no weights


def test_conditional_generator_takes_one_digit_per_image_and_says_what_was_wrong():
    G = ConditionalGenerator().eval()
    z = torch.randn(3, 100)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        G(z, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="from 0 to 9"):
        G(z, torch.tensor([1, 2, 10]))
    with pytest.raises(ValueError, match="conditioning"):
        ConditionalDiscriminator(conditioning="sideways")
    # generate_images: one digit for all, one per image, or 0-9 in turn
    assert generate_images(G, 5, labels=7).shape == (5, 1, 28, 28)
    with pytest.raises(ValueError, match="from 0 to 9"):
        generate_images(G, 5, labels=12)
    with pytest.raises(ValueError, match="not conditional"):
        generate_images(build_players("block")[0].eval(), 5, labels=3)


def test_the_label_changes_the_image_and_the_noise_is_kept():
    torch.manual_seed(0)
    G = ConditionalGenerator().eval()
    z = torch.randn(2, 100)
    a, b = generate_images(G, z=z, labels=torch.tensor([1, 1])), generate_images(G, z=z, labels=3)
    assert not torch.equal(a, b)
    assert torch.equal(a, generate_images(G, z=z, labels=1))
    cycle = generate_images(G, 12, seed=0)  # default labels: 0-9 in turn
    assert torch.equal(cycle[10], generate_images(G, 12, seed=0, labels=torch.arange(12) % 10)[10])


def test_loader_keeps_images_and_labels_together(mnist):
    images, labels = mnist
    loader = InMemoryLoader(images, 32, generator=torch.Generator().manual_seed(0), labels=labels)
    batch, y = next(iter(loader))
    lookup = {img.numpy().tobytes(): int(lab) for img, lab in zip(images, labels, strict=True)}
    assert [lookup[img.numpy().tobytes()] for img in batch] == y.tolist()
    with pytest.raises(ValueError, match="one per image"):
        InMemoryLoader(images, 32, labels=labels[:10])


@pytest.mark.parametrize("design", ["dcgan", "cgan"])
def test_shared_trainer_resumes_exactly_with_ema(mnist, tmp_path, design):
    images, labels = mnist
    straight = build_gan(small_config(design, epochs=2))
    train(straight, images=images, labels=labels, progress=False)

    first = build_gan(small_config(design, epochs=2))
    train(first, epochs=1, images=images, labels=labels, out_dir=tmp_path, progress=False)
    resumed = resume_gan(tmp_path / "checkpoint.pt")
    train(resumed, images=images, labels=labels, out_dir=tmp_path, progress=False)

    for a, b in [
        (straight.G, resumed.G),
        (straight.D, resumed.D),
        (straight.ema.model, resumed.ema.model),
    ]:
        assert all(
            torch.equal(x, y)
            for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
        )
    assert resumed.history["loss_d"] == straight.history["loss_d"]
    G = load_generator(tmp_path / "checkpoint.pt")  # the EMA weights, rebuilt from the config
    assert type(G) is type(straight.G)
    assert torch.equal(generate_images(G, 10), generate_images(straight.ema.generator(), 10))


def test_conditional_gan_needs_labels(mnist):
    images, labels = mnist
    gan = build_gan(small_config("cgan"))
    with pytest.raises(ValueError, match="labels"):
        train_step(gan, images[:32])
    with pytest.raises(ValueError, match="labels="):
        train(gan, images=images, progress=False)
    block = build_gan(small_config("block"))
    with pytest.raises(ValueError, match="labels"):
        train_step(block, images[:32], labels[:32])
    # the fixed samples ask for 0-9 in turn
    assert torch.equal(gan.fixed_labels, torch.arange(20) % 10)
    assert fixed_samples(gan).shape == (20, 1, 28, 28)


@pytest.mark.parametrize("design", ["dcgan", "cgan"])
def test_generator_files_round_trip(tmp_path, design):
    torch.manual_seed(1)
    G = build_players(design)[0].eval()
    save_generator(G, tmp_path / "g.pt", half=True)
    loaded = load_generator(tmp_path / "g.pt")
    assert type(loaded) is type(G)
    torch.testing.assert_close(generate_images(loaded, 8), generate_images(G, 8), atol=0.02, rtol=0)

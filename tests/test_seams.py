"""The seams of the core: a new loss, a swapped player, d_steps, each through the normal trainer."""

from __future__ import annotations

import pytest
import torch

from gan_utils.checkpoints import CheckpointError, load_checkpoint, resume_gan
from gan_utils.conditional import ConditionalDiscriminator
from gan_utils.config import TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_utils.gan import build_gan
from gan_utils.guard import TrainingDiverged
from gan_utils.losses import LOSSES, GANLoss, get_loss
from gan_utils.steps import train_step
from gan_utils.training import train


@pytest.fixture(scope="module")
def mnist() -> tuple[torch.Tensor, torch.Tensor]:
    return mnist_tensors(train=True, limit=192)


def config(**kw) -> TrainConfig:
    return TrainConfig(
        **{"batch_size": 32, "epochs": 2, "seed": 4, "device": "cpu", "n_fixed": 10, **kw}
    )


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


LEAST_SQUARES = GANLoss(  # LSGAN (Mao et al. 2017), written in a few lines
    "toy-least-squares",
    d_loss=lambda real, fake: ((real - 1) ** 2).mean() / 2 + (fake**2).mean() / 2,
    g_loss=lambda fake: ((fake - 1) ** 2).mean() / 2,
    probability=False,
)


def test_a_toy_loss_trains_through_the_normal_trainer(mnist, tmp_path, monkeypatch):
    monkeypatch.setitem(LOSSES, "toy-least-squares", LEAST_SQUARES)  # one entry; no trainer change
    gan = build_gan(config(loss="toy-least-squares"))
    assert gan.loss is LEAST_SQUARES
    before = [p.detach().clone() for p in gan.G.parameters()]
    history = train(gan, images=mnist[0], out_dir=tmp_path, progress=False)
    assert any(not torch.equal(a, b) for a, b in zip(before, gan.G.parameters(), strict=True))
    assert all(torch.isfinite(torch.tensor(history["loss_d"] + history["loss_g"])))
    # D(x) is logged as D's mean raw score: with the loss's own judge, not a sigmoid
    images = mnist[0][:64]
    with torch.no_grad():
        scores = gan.D(images)
    assert LEAST_SQUARES.judge(scores) == pytest.approx(scores.mean().item())
    assert LOSSES["non-saturating"].judge(scores) == pytest.approx(scores.sigmoid().mean().item())
    # the run resumes under the same loss, by name
    assert resume_gan(tmp_path / "checkpoint.pt").loss is LEAST_SQUARES


def test_resume_of_a_loss_this_package_does_not_know_says_so(mnist, tmp_path, monkeypatch):
    monkeypatch.setitem(LOSSES, "toy-least-squares", LEAST_SQUARES)
    train(build_gan(config(epochs=1, loss="toy-least-squares")), images=mnist[0], out_dir=tmp_path,
          progress=False)  # fmt: skip
    monkeypatch.delitem(LOSSES, "toy-least-squares")
    with pytest.raises(CheckpointError, match="toy-least-squares"):
        resume_gan(tmp_path / "checkpoint.pt")


def test_a_hand_made_discriminator_is_checkpointed_and_resumed_exactly(mnist, tmp_path):
    """A block G against a DCGAN D without spectral norm: resume rebuilds that D, not the default."""
    torch.manual_seed(0)
    swapped = build_gan(config(epochs=3), D=DCGANDiscriminator(spectral=False))
    straight = build_gan(config(epochs=3), D=DCGANDiscriminator(spectral=False))
    straight.D.load_state_dict(swapped.D.state_dict())
    train(straight, images=mnist[0], progress=False)

    train(swapped, epochs=1, images=mnist[0], out_dir=tmp_path, progress=False)
    stored = load_checkpoint(tmp_path / "checkpoint.pt")["discriminator_config"]
    assert stored == {"design": "dcgan", "channels": [64, 128], "spectral": False}
    resumed = resume_gan(tmp_path / "checkpoint.pt")
    assert type(resumed.D) is DCGANDiscriminator and resumed.D.config == stored
    assert same_weights(resumed.D, swapped.D) and same_weights(resumed.G, swapped.G)
    train(resumed, images=mnist[0], out_dir=tmp_path, progress=False)
    assert resumed.epoch == straight.epoch == 3
    assert same_weights(resumed.D, straight.D) and same_weights(resumed.G, straight.G)
    assert resumed.history["loss_d"] == straight.history["loss_d"]


def test_a_swapped_conditional_discriminator_resumes_with_its_conditioning(mnist, tmp_path):
    gan = build_gan(
        config(design="cgan", epochs=1), D=ConditionalDiscriminator(conditioning="concat")
    )
    train(gan, images=mnist[0], labels=mnist[1], out_dir=tmp_path, progress=False)
    resumed = resume_gan(tmp_path / "checkpoint.pt")
    assert resumed.D.conditioning == "concat" and same_weights(resumed.D, gan.D)


def test_a_swapped_generator_is_rebuilt_too(mnist, tmp_path):
    G = DCGANGenerator(latent_dim=100, channels=(32, 16))
    gan = build_gan(config(epochs=1), G=G)
    assert gan.G is G and gan.opt_g.param_groups[0]["params"][0] is next(G.parameters())
    train(gan, images=mnist[0], out_dir=tmp_path, progress=False)
    resumed = resume_gan(tmp_path / "checkpoint.pt")
    assert type(resumed.G) is DCGANGenerator and resumed.G.config == G.config
    assert same_weights(resumed.G, gan.G) and same_weights(resumed.ema.model, gan.ema.model)


def test_swapped_players_see_the_same_noise_and_batches():
    """The fixed noise and the random streams depend on the config only, not on the players."""
    plain = build_gan(config())
    swapped = build_gan(config(), D=DCGANDiscriminator())
    assert torch.equal(plain.fixed_noise, swapped.fixed_noise)
    assert torch.equal(plain.shuffle.get_state(), swapped.shuffle.get_state())


@pytest.mark.parametrize(
    ("players", "message"),
    [
        ({"G": DCGANGenerator(latent_dim=64)}, "latent_dim"),
        ({"D": ConditionalDiscriminator()}, "conditional"),
    ],
)
def test_players_that_do_not_fit_the_config_are_refused(players, message):
    with pytest.raises(ValueError, match=message):
        build_gan(config(), **players)


def test_a_player_without_a_config_cannot_be_checkpointed_and_says_so(mnist, tmp_path):
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 1))
    gan = build_gan(config(epochs=1), D=D)
    train(gan, images=mnist[0], progress=False)  # without out_dir it trains
    with pytest.raises(CheckpointError, match="discriminator.*no .config"):
        train(gan, epochs=2, images=mnist[0], out_dir=tmp_path, progress=False)


def test_d_steps_discriminator_updates_per_generator_update(mnist):
    gan = build_gan(config(d_steps=3))
    real = mnist[0][: 3 * 32]
    train_step(gan, real)
    assert gan.opt_d.state_dict()["state"][0]["step"] == 3
    assert gan.opt_g.state_dict()["state"][0]["step"] == 1
    with pytest.raises(ValueError, match="3 equal batches"):
        train_step(gan, mnist[0][:50])


def test_d_steps_come_from_the_loss_unless_the_config_says(mnist, monkeypatch):
    monkeypatch.setitem(LOSSES, "five", GANLoss("five", LOSSES["non-saturating"].d_loss,
                                                 LOSSES["non-saturating"].g_loss, d_steps=5))  # fmt: skip
    assert build_gan(config(loss="five")).d_steps == 5
    assert build_gan(config(loss="five", d_steps=2)).d_steps == 2
    gan = build_gan(config(loss="five", epochs=1))
    history = train(gan, images=mnist[0], progress=False)
    assert history["steps"] == [192 // (32 * 5)]  # each step takes 5 batches: one per D update


def test_the_divergence_guard_uses_the_losss_limit(mnist, monkeypatch):
    tight = GANLoss(
        "tight", LEAST_SQUARES.d_loss, LEAST_SQUARES.g_loss, probability=False, limit=1e-6
    )
    monkeypatch.setitem(LOSSES, "tight", tight)
    with pytest.raises(TrainingDiverged, match="above"):
        train(build_gan(config(loss="tight")), images=mnist[0], progress=False, check_every=2)


def test_unknown_losses_and_bad_d_steps_are_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        TrainConfig(loss="wasserstein-typo")
    with pytest.raises(ValueError, match="loss must be one of"):
        get_loss("nope")
    with pytest.raises(ValueError, match="d_steps"):
        TrainConfig(d_steps=0)
    with pytest.raises(ValueError, match="d_steps"):
        GANLoss("x", LEAST_SQUARES.d_loss, LEAST_SQUARES.g_loss, d_steps=0)


@pytest.mark.parametrize("loss", ["wgan-gp", "hinge", "least-squares"])
def test_every_built_in_loss_trains_and_resumes_exactly(mnist, tmp_path, loss):
    straight = build_gan(config(loss=loss, epochs=2, beta1=0.0, beta2=0.9))
    train(straight, images=mnist[0], progress=False)
    first = build_gan(config(loss=loss, epochs=2, beta1=0.0, beta2=0.9))
    train(first, epochs=1, images=mnist[0], out_dir=tmp_path, progress=False)
    resumed = resume_gan(tmp_path / "checkpoint.pt")
    train(resumed, images=mnist[0], out_dir=tmp_path, progress=False)
    assert same_weights(resumed.G, straight.G) and same_weights(resumed.D, straight.D)
    assert resumed.history["loss_d"] == straight.history["loss_d"]
    assert all(torch.isfinite(torch.tensor(straight.history["loss_d"])))
    expected_steps = 192 // (32 * LOSSES[loss].d_steps)  # WGAN-GP: 5 critic batches per step
    assert straight.history["steps"] == [expected_steps] * 2

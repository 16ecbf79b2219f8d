"""gan_utils.evaluation: Fréchet distance, shipped classifier, coverage, nearest neighbours."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_utils import evaluation as ev
from gan_utils.checkpoints import CheckpointError, save_generator
from gan_utils.data import mnist_tensors
from gan_utils.models import Generator


def random_spd(d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=torch.float64)
    return a @ a.T / d + 0.01 * torch.eye(d, dtype=torch.float64)


@pytest.fixture(scope="module")
def test_images() -> tuple[torch.Tensor, torch.Tensor]:
    return mnist_tensors(train=False, limit=2000)


def test_frechet_distance_closed_form_for_diagonal_covariances():
    g = torch.Generator().manual_seed(0)
    mu1, mu2 = torch.randn(16, generator=g), torch.randn(16, generator=g)
    a, b = torch.rand(16, generator=g) + 0.1, torch.rand(16, generator=g) + 0.1
    expected = (mu1 - mu2).square().sum() + (a.sqrt() - b.sqrt()).square().sum()
    got = ev.frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b))
    assert got == pytest.approx(expected.item(), rel=1e-6)


def test_frechet_distance_agrees_with_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    s1, s2 = random_spd(32, 1), random_spd(32, 2)
    mu1, mu2 = torch.zeros(32), torch.full((32,), 0.5)
    covmean = linalg.sqrtm(s1.numpy() @ s2.numpy()).real
    expected = 32 * 0.25 + np.trace(s1.numpy() + s2.numpy() - 2 * covmean)
    assert ev.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6)
    # numpy inputs work too
    assert ev.frechet_distance(mu1.numpy(), s1.numpy(), mu2.numpy(), s2.numpy()) == pytest.approx(
        expected
    )


def test_frechet_distance_is_zero_to_itself_and_symmetric():
    s1, s2 = random_spd(20, 3), random_spd(20, 4)
    mu1, mu2 = torch.randn(20), torch.randn(20)
    assert ev.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8)
    assert ev.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
        ev.frechet_distance(mu2, s2, mu1, s1)
    )


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(D,\)"):
        ev.frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(4), torch.eye(4))


def test_shipped_classifier_loads_and_is_accurate(test_images):
    images, labels = test_images
    clf = ev.load_classifier()  # load_checkpoint reads with weights_only=True
    assert not clf.training and clf.reference is not None and clf.reference.n == 10_000
    feats, probs = ev.classify(images, clf)
    assert feats.shape == (2000, clf.feature_dim) and probs.shape == (2000, 10)
    accuracy = (probs.argmax(dim=1) == labels).double().mean().item()
    assert accuracy >= 0.985


def test_load_classifier_refuses_a_generator_checkpoint(tmp_path):
    path = save_generator(Generator(), tmp_path / "generator.pt")
    with pytest.raises(CheckpointError, match="not the MNIST classifier"):
        ev.load_classifier(path)


def test_real_images_are_close_to_the_reference(test_images):
    # Test images against the whole test set: small, but biased upwards at n = 2,000.
    assert ev.frechet_classifier_distance(test_images[0]) < 5.0


def test_histogram_coverage_and_kl_real_vs_collapsed(test_images):
    images, labels = test_images
    counts = ev.digit_histogram(images)
    assert counts.sum() == 2000 and ev.digits_covered(counts) == 10
    assert ev.kl_to_uniform(counts) < 0.02
    one = images[labels == 1][:1].repeat(500, 1, 1, 1)  # a generator that draws one "1" only
    collapsed = ev.digit_histogram(one)
    assert collapsed[1] == 500 and ev.digits_covered(collapsed) == 1
    assert ev.kl_to_uniform(collapsed) == pytest.approx(math.log(10))


def test_coverage_threshold_on_hand_made_counts():
    assert ev.digits_covered([100] * 10) == 10
    assert ev.digits_covered([500, 500] + [0] * 8) == 2
    assert ev.digits_covered([49] + [105] * 9, min_share=0.05) == 9  # 49 / 994 < 5 %
    assert ev.kl_to_uniform([7] * 10) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="10 finite, non-negative"):
        ev.kl_to_uniform([1, 2, 3])


def test_nearest_neighbour_finds_an_exact_copy(test_images):
    train, _ = mnist_tensors(train=True, limit=1000)
    queries = torch.cat([train[[3, 777]], test_images[0][:5]])  # two copies, five unseen digits
    dist, idx = ev.nearest_neighbours(queries, train, k=2, batch_size=4)
    assert dist.shape == idx.shape == (7, 2)
    assert idx[:2, 0].tolist() == [3, 777] and dist[:2, 0].tolist() == [0.0, 0.0]
    exact = "donot_use_mm_for_euclid_dist"  # cdist's matmul shortcut misses exact copies by ~0.01
    brute = torch.cdist(queries.flatten(1), train.flatten(1), compute_mode=exact)
    brute = brute.topk(2, largest=False)
    torch.testing.assert_close(dist, brute.values, atol=1e-3, rtol=1e-4)
    assert (dist[2:, 0] > 1.0).all()


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (torch.zeros(4, 28, 28), ValueError, r"\(N, 1, 28, 28\).*view"),
        (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), TypeError, "127.5"),
        (torch.full((4, 1, 28, 28), 255.0), ValueError, r"\[-1, 1\]"),
        (np.zeros((4, 1, 28, 28), dtype=np.float32), TypeError, "torch.Tensor"),
        (torch.full((4, 1, 28, 28), float("nan")), ValueError, r"\[-1, 1\]"),
    ],
)
def test_bad_images_are_refused_with_a_hint(bad, error, message):
    with pytest.raises(error, match=message):
        ev.digit_histogram(bad)


def test_evaluate_generator_returns_plain_numbers_and_restores_train_mode():
    G = Generator(design="block")  # untrained, in train mode
    result = ev.evaluate_generator(G, n=200, seed=0)
    assert G.training
    assert set(result) == {"n", "fd", "digits_covered", "kl_to_uniform", "confidence", "seconds"}
    assert all(type(v) in (int, float) for v in result.values()) and result["n"] == 200
    assert result["fd"] > 50  # noise is far from digits
    assert ev.evaluate_generator(G, n=200, seed=0)["fd"] == result["fd"]  # seeded

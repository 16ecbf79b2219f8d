"""Notebook 12's package code: the drawing pad (gan_utils.canvas), the sketches, inversion, the judge."""

from __future__ import annotations

import re

import pytest
import torch
import traitlets

from gan_utils.canvas import DrawCanvas, prepare_digit, rasterize, strokes_to_digit
from gan_utils.evaluation.classifier import classify
from gan_utils.inversion import invert, invert_many, nearest_image, pixel_distance
from gan_utils.judge import DigitJudge, verdicts
from gan_utils.models import Discriminator, Generator
from gan_utils.sketches import SKETCHES


@pytest.fixture(scope="module")
def G() -> Generator:
    torch.manual_seed(0)
    return Generator(latent_dim=16, hidden=(32, 64)).eval()


@pytest.fixture(scope="module")
def D() -> Discriminator:
    torch.manual_seed(1)
    return Discriminator(hidden=(64, 32)).eval()


def ink_box(x: torch.Tensor) -> tuple[int, int]:
    rows, cols = torch.nonzero(x[0] > -1, as_tuple=True)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def centre_of_mass(x: torch.Tensor) -> tuple[float, float]:
    ink = (x[0] + 1) / 2
    index = torch.arange(28.0)
    return float((ink.sum(1) * index).sum() / ink.sum()), float(
        (ink.sum(0) * index).sum() / ink.sum()
    )


@pytest.mark.parametrize("digit", range(10))
def test_a_drawing_is_prepared_like_mnist(digit):
    x = strokes_to_digit(SKETCHES[digit])
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert x.min() == -1 and x.max() <= 1
    assert max(ink_box(x)) == 20  # the longer side fills MNIST's 20-pixel box
    cy, cx = centre_of_mass(x)
    # the centre of mass in the middle, to the nearest whole pixel
    assert abs(cy - 13.5) <= 0.501 and abs(cx - 13.5) <= 0.501


def test_where_and_how_big_it_is_drawn_does_not_matter():
    stroke = SKETCHES[7]
    small = [[[0.1 + 0.4 * x, 0.5 + 0.4 * y] for x, y in s] for s in stroke]  # half size, low left
    a, b = strokes_to_digit(stroke, pen=0.1), strokes_to_digit(small, pen=0.05)
    other = strokes_to_digit(SKETCHES[1])
    moved = pixel_distance(a.unsqueeze(0), b.unsqueeze(0)).item()  # only rounding differs
    assert moved < 0.3 * pixel_distance(a.unsqueeze(0), other.unsqueeze(0)).item()


def test_an_empty_drawing_is_an_empty_image():
    assert torch.equal(strokes_to_digit([]), -torch.ones(1, 28, 28))
    assert torch.equal(prepare_digit(rasterize([])), -torch.ones(1, 28, 28))


@pytest.mark.parametrize(
    ("strokes", "words"),
    [
        ("scribble", "got str"),
        ([[]], "stroke 0"),
        ([[[0.5, 1.5]]], "[0.5, 1.5]"),
        ([[[0.5]]], "[0.5]"),
    ],
)
def test_bad_strokes_say_what_a_stroke_is(strokes, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        strokes_to_digit(strokes)


def test_a_bad_pen_width_is_refused():
    with pytest.raises(ValueError, match="pen"):
        rasterize(SKETCHES[1], pen=0)
    with pytest.raises(traitlets.TraitError, match="pen"):
        DrawCanvas(pen=2.0)


def test_the_sketches_read_as_their_digits():
    x = torch.stack([strokes_to_digit(SKETCHES[d]) for d in range(10)])
    _, probs = classify(x)
    assert probs.argmax(1).tolist() == list(range(10))


def test_the_canvas_reports_every_stroke_and_its_script_needs_no_network():
    canvas, seen = DrawCanvas(), []
    canvas.on_draw(seen.append)
    canvas.strokes = SKETCHES[4][:1]
    canvas.strokes = SKETCHES[4]
    canvas.strokes = []
    assert len(seen) == 3
    assert torch.equal(seen[1], strokes_to_digit(SKETCHES[4], canvas.pen))
    assert torch.equal(seen[2], -torch.ones(1, 28, 28))
    with pytest.raises(ValueError, match="stroke 0"):
        canvas.strokes = [[[2, 2]]]
    script = DrawCanvas._esm.read_text() if hasattr(DrawCanvas._esm, "read_text") else canvas._esm
    assert "export default" in script
    assert not re.search(r"^\s*import\b|https?://", script, flags=re.M)  # no CDN, works offline


def test_inversion_finds_an_image_the_generator_can_draw(G):
    torch.manual_seed(5)
    target = G(torch.randn(1, 16)).detach()[0]  # (1, 28, 28): G can draw this one exactly
    result = invert(G, target, steps=150, lr=0.1, starts=8)
    assert result.image.shape == (1, 28, 28) and result.z.shape == (1, 16)
    assert result.distance < 0.5 * result.distances[0]  # the search closed most of the gap
    assert result.distance == pytest.approx(pixel_distance(result.image[None], target[None]).item())
    assert all(p.requires_grad for p in G.parameters())  # G is left as it was found


def test_inversion_refuses_what_it_cannot_search(G):
    with pytest.raises(ValueError, match="shape"):
        invert(G, torch.zeros(28, 28))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        invert(G, torch.full((1, 28, 28), 255.0))
    with pytest.raises(ValueError, match="training mode"):
        invert(G.train(), torch.zeros(1, 28, 28))
    G.eval()


def test_the_nearest_image_is_found_exactly():
    images = torch.rand(50, 1, 28, 28) * 2 - 1
    assert nearest_image(images[17], images) == (17, 0.0)


def test_verdicts_are_d_s_probabilities(D):
    x = strokes_to_digit(SKETCHES[3])
    result = verdicts(x, {"d": D})
    assert result["d"] == pytest.approx(torch.sigmoid(D(x[None])).item())


def test_the_judge_follows_the_drawing_and_asks_g(G, D):
    judge = DigitJudge(
        {"tiny": D}, G=G, training_images=torch.rand(20, 1, 28, 28) * 2 - 1, steps=20
    )
    assert "Draw a digit" in judge.verdict.value
    judge.canvas.strokes = SKETCHES[4][:1]
    first = judge.verdict.value
    judge.canvas.strokes = SKETCHES[4]
    assert "% real" in first and "classifier: a" in first and judge.verdict.value != first
    judge.find_twin()
    assert "distance" in judge.search.value and judge.search_picture.value[:4] == b"\x89PNG"


def test_many_targets_are_searched_at_once_each_for_itself(G):
    torch.manual_seed(6)
    targets = G(torch.randn(3, 16)).detach()  # (3, 1, 28, 28)
    z, images, distances = invert_many(G, targets, steps=100, lr=0.1, starts=4)
    assert z.shape == (3, 16) and images.shape == (3, 1, 28, 28) and distances.shape == (3,)
    assert torch.allclose(distances, pixel_distance(images, targets))
    one = invert(G, targets[1], steps=100, lr=0.1, starts=4)
    assert one.distance < 0.5 * pixel_distance(G(torch.zeros(1, 16)), targets[1:2]).item()

"""The 2-D GAN lab of notebook 10 (gan_utils.lab): data, one update through the shared step,
counting, presets, the renderer and the widget's controls."""

from __future__ import annotations

import io
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import gan_utils.lab as lab_module
import gan_utils.lab.game as game_module
import gan_utils.lab.render as render_module
from gan_utils import steps
from gan_utils.lab import (
    DATASETS,
    PRESETS,
    Lab,
    LabConfig,
    LabWidget,
    draw_plane,
    modes_covered,
    render_png,
    ring_coverage,
    ring_modes,
    sample_data,
)
from gan_utils.lab.game import HISTORY_KEYS as HISTORY
from gan_utils.losses import LOSSES, GANLoss, generator_loss


def weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def changed(before: list[torch.Tensor], model: torch.nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize("name", DATASETS)
def test_datasets_have_the_asked_shape_and_are_seeded(name):
    a = sample_data(name, 500, torch.Generator().manual_seed(3))
    b = sample_data(name, 500, torch.Generator().manual_seed(3))
    assert a.shape == (500, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert a.abs().max() < lab_module.EXTENT  # everything falls inside the view


def test_the_ring_has_eight_modes_all_covered():
    points = sample_data("ring", 8000, torch.Generator().manual_seed(0))
    counts = ring_coverage(points)
    assert counts.shape == (8,) and modes_covered(points) == 8
    assert counts.min() > 700  # about 1,000 each, almost all within 3 standard deviations
    assert torch.allclose(ring_modes().norm(dim=1), torch.full((8,), lab_module.RING_RADIUS))


def test_points_on_one_mode_cover_one_mode():
    one = ring_modes()[3].expand(1000, 2)
    assert modes_covered(one) == 1
    assert ring_coverage(one).tolist() == [0, 0, 0, 1000, 0, 0, 0, 0]
    assert modes_covered(torch.zeros(1000, 2)) == 0  # the centre is no mode


def test_the_other_datasets_are_not_the_ring():
    for name in ("moons", "spiral", "gaussian"):
        assert modes_covered(sample_data(name, 2000, torch.Generator().manual_seed(0))) < 8


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sample_data("circle", 10), "dataset must be one of"),
        (lambda: sample_data("ring", 0), "positive int"),
        (lambda: LabConfig(lr_d=0), "lr_d must be a learning rate"),
        (lambda: LabConfig(lr_g=2.0), "lr_g must be a learning rate"),
        (lambda: LabConfig(d_steps=0), "d_steps must be an int from 1"),
        (lambda: LabConfig(noise_dim=2.5), "noise_dim must be an int"),
        (lambda: LabConfig(loss="wasserstein"), "loss must be one of"),
        (lambda: LabConfig(dataset="mnist"), "dataset must be one of"),
        (lambda: Lab().set(lr_g=-1), "lr_g must be a learning rate"),
        (lambda: Lab().run(-1), "non-negative int"),
        (lambda: render_png("not a lab"), "render_png draws a gan_utils.lab.Lab"),
        (lambda: LabWidget(preset="no such preset"), "preset must be one of"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_one_step_trains_both_players_through_the_shared_step(monkeypatch):
    calls = []
    d_step, g_step = steps.discriminator_step, steps.generator_step

    def spy_d(*args, **kwargs):
        calls.append("D")
        return d_step(*args, **kwargs)

    def spy_g(*args, **kwargs):
        calls.append(("G", kwargs["loss"]))
        return g_step(*args, **kwargs)

    # Lab looks its steps up in gan_utils.lab.game, so that is where they are replaced.
    monkeypatch.setattr(game_module, "discriminator_step", spy_d)
    monkeypatch.setattr(game_module, "generator_step", spy_g)
    lab = Lab(d_steps=3, loss="saturating")
    g_before, d_before = weights(lab.G), weights(lab.D)
    lab.step()
    assert calls == ["D", "D", "D", ("G", LOSSES["saturating"])]
    assert changed(g_before, lab.G) and changed(d_before, lab.D)
    assert (lab.steps, lab.d_updates, lab.g_updates) == (1, 3, 1)
    assert len(lab.history["loss_d"]) == 4  # one row per update


def test_a_d_step_moves_only_d_and_a_g_step_only_g():
    lab = Lab()
    g_before, d_before = weights(lab.G), weights(lab.D)
    lab.d_step()
    assert changed(d_before, lab.D) and not changed(g_before, lab.G)
    d_before = weights(lab.D)
    lab.g_step()
    assert changed(g_before, lab.G) and not changed(d_before, lab.D)
    assert (lab.steps, lab.d_updates, lab.g_updates) == (0, 1, 1)  # no whole step yet


def test_same_seed_same_run_and_reset_starts_again():
    a, b = Lab(seed=1), Lab(seed=1)
    a.run(5)
    b.run(5)
    assert a.history == b.history
    a.reset()
    assert (a.steps, a.d_updates, a.g_updates) == (0, 0, 0) and a.history["loss_g"] == []
    a.run(5)
    assert a.history == b.history


def test_set_changes_learning_rates_live_and_noise_size_starts_afresh():
    lab = Lab()
    lab.run(2)
    lab.set(lr_d=0.01, lr_g=0.002, loss="saturating")
    assert lab.opt_d.param_groups[0]["lr"] == 0.01 and lab.opt_g.param_groups[0]["lr"] == 0.002
    assert lab.steps == 2  # the run goes on
    lab.set(noise_dim=5)
    assert lab.steps == 0 and lab.G[0].in_features == 5 and lab.fakes().shape == (256, 2)


def test_a_loss_added_to_the_package_plays_in_the_lab(monkeypatch):
    """The lab takes its objective from gan_utils.losses.LOSSES: one new entry, no lab change."""
    least_squares = GANLoss(
        "toy-least-squares",
        d_loss=lambda real, fake: ((real - 1) ** 2).mean() / 2 + (fake**2).mean() / 2,
        g_loss=lambda fake: ((fake - 1) ** 2).mean() / 2,
        probability=False,
    )
    monkeypatch.setitem(LOSSES, "toy-least-squares", least_squares)
    lab = Lab(loss="toy-least-squares", seed=3)
    g_before = weights(lab.G)
    lab.run(20)
    assert changed(g_before, lab.G) and (lab.d_updates, lab.g_updates) == (20, 20)
    fake = lab.fakes().detach().requires_grad_(True)
    _, push = lab.push()
    ((lab.D(fake) - 1) ** 2).mean().div(2).backward()
    assert torch.allclose(push, -fake.grad * len(fake))  # G's push follows the new loss


def test_push_is_minus_the_generator_losss_gradient():
    lab = Lab()
    lab.run(3)
    fake, push = lab.push()
    x = fake.clone().requires_grad_(True)
    generator_loss(lab.D(x)).backward()
    assert torch.allclose(push, -x.grad * len(x))
    assert push.abs().sum() > 0
    grads_before = [p.grad.clone() for p in lab.D.parameters()]  # from the last update
    weights_before = weights(lab.D)
    lab.push()
    # push() asks for the gradient with respect to the points only: D's weights and grads untouched
    assert all(
        torch.equal(p.grad, g) for p, g in zip(lab.D.parameters(), grads_before, strict=True)
    )
    assert not changed(weights_before, lab.D)
    assert all(p.requires_grad for p in lab.D.parameters())


def test_d_map_is_a_probability_grid():
    grid = Lab().d_map(16)
    assert grid.shape == (16, 16) and grid.min() >= 0 and grid.max() <= 1


def test_presets_exist_with_text_and_their_fixes():
    for failure in ("mode collapse", "discriminator wins", "oscillation"):
        assert failure in PRESETS and f"{failure}: fix" in PRESETS
    for name, preset in PRESETS.items():
        sentences = [s for s in preset.text.split(". ") if s.strip()]
        assert 2 <= len(sentences) <= 3, f"{name}: two or three sentences, got {len(sentences)}"
        assert isinstance(preset.config, LabConfig) and preset.steps > 0


def test_the_renderer_returns_a_png_that_changes_with_training():
    lab = Lab()
    first = render_png(lab)
    assert first.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(first)) as picture:
        assert picture.size == (lab_module.PLANE + lab_module.CHART_W + 10, lab_module.PLANE)
    lab.run(3)
    assert render_png(lab) != first
    assert render_png(lab, arrows=False) != render_png(lab)


def test_the_widget_steps_counts_and_switches_presets():
    w = LabWidget()
    before = bytes(w.image.value)  # ipywidgets 8 holds the bytes as a memoryview
    assert before.startswith(b"\x89PNG") and w.counter.value.startswith("step 0 ")
    w.buttons["step"].click()
    assert w.counter.value.startswith("step 1 ") and bytes(w.image.value) != before
    w.buttons["d_step"].click()
    w.buttons["g_step"].click()
    assert (w.lab.steps, w.lab.d_updates, w.lab.g_updates) == (1, 2, 2)
    w.play.value += 1  # what one tick of the play button does
    assert w.lab.steps == 2
    w.play.value = 0  # the stop button: no step
    assert w.lab.steps == 2
    w.controls["lr_g"].value = 0.01
    assert (
        w.lab.config.lr_g == pytest.approx(0.01) and w.controls["preset"].value == lab_module.CUSTOM
    )
    name = "discriminator wins"
    w.controls["preset"].value = name
    assert w.lab.config == PRESETS[name].config and w.lab.steps == 0
    assert w.controls["loss"].value == PRESETS[name].config.loss and name in w.about.value
    w.buttons["reset"].click()
    assert w.lab.steps == 0 and w.lab.config == PRESETS[name].config


def test_the_counter_shows_the_time_of_the_frame_it_describes(monkeypatch):
    import time

    import gan_utils.lab.widget as widget_module

    def slow_render(lab, grid=False):
        time.sleep(0.03)  # a frame that takes at least 30 ms to draw
        return b"\x89PNG"

    monkeypatch.setattr(widget_module, "render_png", slow_render)
    w = LabWidget()  # draws its first frame
    assert w.last_frame_s >= 0.03
    assert w.counter.value.endswith(f"drawn in {1000 * w.last_frame_s:.0f} ms")


def test_changing_the_config_keeps_validation():
    with pytest.raises(ValueError, match="d_steps"):
        replace(LabConfig(), d_steps=1000)


# ----------------------------------------------------------------- a critic in the lab (wgan-gp)
def ramp(low: float, high: float, size: int = 64) -> torch.Tensor:
    """A stand-in for Lab.d_map: values rising from low (left) to high (right), (size, size)."""
    return torch.linspace(low, high, size).expand(size, size).clone()


def heat_pixels(lab: Lab) -> tuple[torch.Tensor, bool]:
    """The plane's heatmap palette indices (no dots, no arrows) and whether a contour is drawn."""
    pixels = torch.from_numpy(np.asarray(draw_plane(lab, arrows=False))).flatten().long()
    return pixels[pixels < render_module.HEAT], bool((pixels == render_module.BLACK).any())


def drawn_text(monkeypatch, lab: Lab) -> str:
    """Every string render_png draws (charts, legend, settings)."""
    texts, text = [], ImageDraw.ImageDraw.text

    def spy(self, xy, string, *args, **kwargs):
        texts.append(string)
        return text(self, xy, string, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    assert render_png(lab).startswith(b"\x89PNG")
    return " | ".join(texts)


def test_a_probability_heatmap_is_d_from_0_to_1_with_its_half_contour(monkeypatch):
    lab = Lab()
    lab.d_map = lambda size: ramp(0.2, 0.8, size)  # probabilities 0.2 .. 0.8
    heat, contour = heat_pixels(lab)
    assert contour  # the 0.5 line, where D changes its mind
    lo, hi = round(0.2 * (render_module.HEAT - 1)), round(0.8 * (render_module.HEAT - 1))
    assert lo - 1 <= heat.min() and heat.max() <= hi + 1  # the palette's middle only
    assert "D's outputs" in drawn_text(monkeypatch, lab)


def test_a_critics_heatmap_spans_the_palette_without_a_contour(monkeypatch):
    lab = Lab(loss="wgan-gp", d_steps=5)
    lab.run(3)
    lab.d_map = lambda size: ramp(-3.0, 7.0, size)  # raw scores, no fixed scale
    heat, contour = heat_pixels(lab)
    assert not contour  # a score has no 0.5
    assert heat.min() <= 1 and heat.max() >= render_module.HEAT - 2  # lowest purple, highest green
    text = drawn_text(monkeypatch, lab)
    assert "plane = score" in text and "critic's mean scores" in text
    assert "D's outputs" not in text


@pytest.mark.parametrize("loss", [name for name, loss in LOSSES.items() if not loss.probability])
def test_every_critic_loss_trains_and_renders(loss):
    lab = Lab(loss=loss, seed=1)
    lab.run(5)
    after_first_g_step = lab.config.d_steps  # loss_g is nan until G's first update
    for key in ("loss_d", "loss_g"):
        assert all(math.isfinite(v) for v in lab.history[key][after_first_g_step:]), key
    assert render_png(lab).startswith(b"\x89PNG")


def test_the_wgan_gp_lab_keeps_its_critics_gradient_near_1_between_real_and_fake():
    lab = Lab(loss="wgan-gp", d_steps=5, seed=0)
    lab.run(100)
    assert all(math.isfinite(v) for key in HISTORY for v in lab.history[key][5:])  # after G's 1st
    g = torch.Generator().manual_seed(5)
    real, fake = sample_data("ring", 1000, g), lab.fakes(1000)  # (1000, 2) each
    eps = torch.rand(1000, 1, generator=g)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(lab.D(x).sum(), x)
    norm = grad.norm(dim=1)  # (1000,)
    # Measured after 100 steps, seeds 0-2: mean norm 0.96 to 1.08, mean |norm - 1| 0.11 to 0.17;
    # before training 0.11 and 0.89 (the penalty pulls the norm to 1 within 20 steps).
    assert abs(norm.mean().item() - 1) < 0.2 and (norm - 1).abs().mean() < 0.3


def test_picking_a_loss_in_the_widget_changes_the_loss_only():
    w = LabWidget()
    w.load_preset("discriminator wins")  # 5 D steps, the saturating loss
    w.controls["loss"].value = "non-saturating"
    assert w.lab.config.loss == "non-saturating" and w.lab.config.d_steps == 5
    assert w.controls["preset"].value == lab_module.CUSTOM
    w.controls["loss"].value = "wgan-gp"
    assert w.lab.config.loss == "wgan-gp" and w.controls["d_steps"].value == 5
    assert set(w.controls["loss"].options) == set(LOSSES)


# --------------------------------------------------------------------------- draw your own data, grid
def test_the_draw_dataset_learns_from_painted_points_only():
    lab = Lab(dataset="draw")
    assert not lab.ready
    with pytest.raises(ValueError, match="no points yet"):
        lab.step()
    corner = torch.tensor([[2.0, 2.0], [2.1, 1.9], [1.9, 2.1]])
    lab.set_points(corner)
    assert lab.ready and torch.equal(lab.real_show, corner)
    real = lab.real(500, torch.Generator().manual_seed(0))  # (500, 2) near the painted points
    assert torch.cdist(real, corner).min(dim=1).values.max() < 6 * lab_module.DRAW_STD
    lab.run(300)
    assert (
        lab.fakes(500).mean(0).sub(torch.tensor([2.0, 2.0])).norm() < 1.0
    )  # the fakes moved there


def test_the_noise_grid_is_g_of_a_regular_grid():
    lab = Lab()
    lines = lab.noise_grid(lines=5, points=7)
    assert lines.shape == (10, 7, 2)
    z = torch.tensor([[-2.0, -1.0], [2.0, -1.0]])  # row 2 (z2 = -1): first and last point
    with torch.no_grad():
        assert torch.allclose(lines[1, [0, -1]], lab.G(z))
    assert Lab(noise_dim=1).noise_grid(points=9).shape == (1, 9, 2)
    assert Lab(noise_dim=5).noise_grid(lines=3).shape == (6, 41, 2)


def test_the_grid_view_draws_the_mesh_in_its_own_colour():
    lab = Lab()
    plain = np.asarray(draw_plane(lab, arrows=False))
    meshed = np.asarray(draw_plane(lab, arrows=False, grid=True))
    assert (plain != render_module.GRID).all() and (meshed == render_module.GRID).sum() > 200
    assert render_png(lab, grid=True) != render_png(lab)


def test_the_widget_paints_data_in_its_pad_and_toggles_the_grid():
    w = LabWidget()
    assert w.pad.layout.display == "none"
    w.controls["dataset"].value = "draw"
    assert w.pad.layout.display == "" and "Drag in the black square" in w.about.value
    w.buttons["step"].click()  # nothing painted yet: no step, a hint
    assert w.lab.steps == 0
    w.pad.strokes = [[[0.5, 0.5], [0.75, 0.5]]]  # the pad's centre is the plane's (0, 0)
    assert torch.allclose(w.lab.points, torch.tensor([[0.0, 0.0], [1.5, 0.0]]))
    assert "Points painted: 2" in w.about.value
    w.buttons["step"].click()
    assert w.lab.steps == 1
    before = bytes(w.image.value)
    w.grid.value = True
    assert bytes(w.image.value) != before
    w.pad.strokes = []  # clear
    assert len(w.lab.points) == 0 and not w.lab.ready

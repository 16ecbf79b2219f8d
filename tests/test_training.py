"""The trainer on a small real-MNIST subset: finite losses, checkpoints, exact resume, NaN guard."""

from __future__ import annotations

import pickle

import pytest
import torch

from gan_utils.checkpoints import (
    CheckpointError,
    load_checkpoint,
    load_generator,
    resume_gan,
    save_checkpoint,
)
from gan_utils.config import TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.gan import HISTORY_KEYS, build_gan
from gan_utils.guard import TrainingDiverged
from gan_utils.plotting import make_gif
from gan_utils.training import train


class Arbitrary:
    """Stands for any pickled object; weights_only loading must refuse it."""


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return mnist_tensors(train=True, limit=256)[0]


def small_config(**kw) -> TrainConfig:
    return TrainConfig(
        **{"batch_size": 32, "epochs": 2, "seed": 3, "device": "cpu", "n_fixed": 16, **kw}
    )


def params(gan) -> list[torch.Tensor]:
    return [
        p.detach().clone() for p in [*gan.G.state_dict().values(), *gan.D.state_dict().values()]
    ]


@pytest.mark.parametrize("design", ["block", "mlp"])
def test_losses_finite_and_history_logged(images, tmp_path, design):
    gan = build_gan(small_config(design=design))
    history = train(gan, images=images, out_dir=tmp_path, progress=False)
    assert gan.epoch == 2
    for key in HISTORY_KEYS:
        assert len(history[key]) == 2
    assert all(torch.isfinite(torch.tensor(history["loss_d"] + history["loss_g"])))
    assert all(0 < v < 1 for v in history["d_real"] + history["d_fake"])
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
    ]


def test_training_changes_weights_and_is_seeded(images):
    a, b, c = (build_gan(small_config(epochs=1, seed=s)) for s in (3, 3, 4))
    before = params(a)
    for gan in (a, b, c):
        train(gan, images=images, progress=False)
    assert any(not torch.equal(x, y) for x, y in zip(before, params(a), strict=True))
    assert all(torch.equal(x, y) for x, y in zip(params(a), params(b), strict=True))
    assert any(not torch.equal(x, y) for x, y in zip(params(a), params(c), strict=True))


def test_checkpoint_round_trip(images, tmp_path):
    gan = build_gan(small_config(epochs=1))
    train(gan, images=images, out_dir=tmp_path, progress=False)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)  # plain types only
    assert state["epoch"] == 1 and state["kind"] == "training"
    back = resume_gan(tmp_path / "checkpoint.pt")
    assert back.epoch == 1 and back.history == gan.history and back.config == gan.config
    assert all(torch.equal(x, y) for x, y in zip(params(gan), params(back), strict=True))
    assert torch.equal(back.fixed_noise, gan.fixed_noise)
    G = load_generator(tmp_path / "checkpoint.pt")  # a training checkpoint also serves a generator
    assert not G.training and torch.equal(G.net[-2].weight, gan.ema.model.net[-2].weight)  # the EMA
    raw = load_generator(tmp_path / "checkpoint.pt", raw=True)
    assert torch.equal(raw.net[-2].weight, gan.G.net[-2].weight)
    assert not torch.equal(raw.net[-2].weight, G.net[-2].weight)


def test_resume_is_bitwise_identical_to_an_uninterrupted_run(images, tmp_path):
    straight = build_gan(small_config(epochs=3))
    train(straight, images=images, progress=False)

    first = build_gan(small_config(epochs=3))
    train(first, epochs=1, images=images, out_dir=tmp_path, progress=False)
    torch.manual_seed(12345)  # disturb the global RNG: the run must not depend on it
    resumed = resume_gan(tmp_path / "checkpoint.pt")
    train(resumed, images=images, out_dir=tmp_path, progress=False)

    assert resumed.epoch == straight.epoch == 3
    assert all(torch.equal(x, y) for x, y in zip(params(straight), params(resumed), strict=True))
    assert resumed.history["loss_d"] == straight.history["loss_d"]
    ema, ema_resumed = straight.ema.state_dict(), resumed.ema.state_dict()  # the EMA too, exactly
    assert ema["updates"] == ema_resumed["updates"] == 3 * 8
    assert all(torch.equal(ema["model"][k], ema_resumed["model"][k]) for k in ema["model"])


def test_nan_guard_stops_and_keeps_last_good_checkpoint(images, tmp_path):
    gan = build_gan(small_config(epochs=3))
    train(gan, epochs=1, images=images, out_dir=tmp_path, progress=False)
    good = (tmp_path / "checkpoint.pt").read_bytes()
    with torch.no_grad():
        gan.G.net[-2].weight.fill_(float("nan"))  # poison the generator's last layer
    with pytest.raises(TrainingDiverged, match=r"epoch 2.*last good checkpoint \(epoch 1\)"):
        train(gan, images=images, out_dir=tmp_path, progress=False, check_every=2)
    assert (tmp_path / "checkpoint.pt").read_bytes() == good
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 1


def test_interrupt_keeps_last_finished_epoch(images, tmp_path, capsys):
    def stop_after_first(gan, samples):
        if gan.epoch == 1:
            raise KeyboardInterrupt

    gan = build_gan(small_config(epochs=3))
    train(gan, images=images, out_dir=tmp_path, progress=False, on_epoch_end=stop_after_first)
    assert gan.epoch == 1
    assert "checkpoint.pt holds epoch 1" in capsys.readouterr().out
    assert resume_gan(tmp_path / "checkpoint.pt").epoch == 1


def test_atomic_write_leaves_old_checkpoint_on_failure(tmp_path, monkeypatch):
    path = save_checkpoint({"kind": "test", "value": 1}, tmp_path / "c.pt")

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"kind": "test", "value": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["value"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temporary file left behind


def test_bad_checkpoints_fail_clearly(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(CheckpointError, match="No checkpoint at"):
        load_checkpoint(missing)

    corrupt = tmp_path / "corrupt.pt"
    save_checkpoint({"kind": "test"}, corrupt)
    corrupt.write_bytes(corrupt.read_bytes()[:100])  # truncated
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(corrupt)

    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not a gan-mnist checkpoint"):
        load_checkpoint(foreign)

    unsafe = tmp_path / "unsafe.pt"
    unsafe.write_bytes(
        pickle.dumps({"format": "gan-mnist", "obj": Arbitrary()}, protocol=2)
    )  # code could run
    with pytest.raises(CheckpointError, match="could not be read"):
        load_checkpoint(unsafe)


def test_checkpoint_of_another_model_is_refused(images, tmp_path):
    gan = build_gan(small_config(epochs=1))
    state = {
        "kind": "generator",
        "generator_config": {**gan.G.config, "latent_dim": 64},
        "generator": gan.G.state_dict(),
    }
    save_checkpoint(state, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="does not match the Generator"):
        load_generator(tmp_path / "other.pt")
    save_checkpoint({"kind": "classifier", "weights": {}}, tmp_path / "cls.pt")
    with pytest.raises(CheckpointError, match="holds no generator"):
        load_generator(tmp_path / "cls.pt")
    with pytest.raises(CheckpointError, match="not a training one"):
        resume_gan(tmp_path / "cls.pt")


def test_config_validation():
    with pytest.raises(ValueError, match="batch_size must be an int from 1 to"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="lr > 0"):
        TrainConfig(lr=-1.0)
    with pytest.raises(ValueError, match="precision must be one of"):
        TrainConfig(precision="float16")


def test_gif_from_saved_samples(images, tmp_path):
    gan = build_gan(small_config(epochs=2))
    train(gan, images=images, out_dir=tmp_path, progress=False)
    gif = make_gif(sorted((tmp_path / "samples").glob("*.png")), tmp_path / "progress.gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 2  # one frame per epoch
        im.seek(1)
        assert im.info["duration"] == 8 * 250  # the last frame is held


def test_metric_during_training_keeps_best_generator(images, tmp_path):
    from gan_utils.evaluation import MetricCallback

    gan = build_gan(small_config(epochs=2))
    metric = MetricCallback(every=1, n=200, out_dir=tmp_path)
    history = train(gan, images=images, out_dir=tmp_path, progress=False, on_epoch_end=metric)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["history"]["eval_epoch"] == [1.0, 2.0]
    assert history["eval_epoch"] == [1.0, 2.0]
    assert len(history["eval_fd"]) == 2 and all(v > 0 for v in history["eval_fd"])
    best = load_checkpoint(tmp_path / "best_generator.pt")
    assert best["meta"]["fd"] == min(history["eval_fd"])
    assert best["meta"]["epoch"] == 1 + history["eval_fd"].index(min(history["eval_fd"]))


def test_checkpoint_that_could_not_be_loaded_safely_is_not_written(tmp_path):
    path = save_checkpoint({"kind": "test", "value": 1}, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="Not saved.*plain types"):
        save_checkpoint({"kind": "test", "value": Arbitrary()}, path)
    assert load_checkpoint(path)["value"] == 1  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_training_imports_nothing_from_evaluation():
    """The layers point one way: the metric is a callback the caller passes in."""
    import ast
    from pathlib import Path

    import gan_utils

    package = Path(gan_utils.__file__).parent
    for name in (
        "training.py",
        "models.py",
        "data.py",
        "losses.py",
        "checkpoints.py",
        "plotting.py",
    ):
        tree = ast.parse((package / name).read_text())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {m for m in imported if m.startswith("gan_utils.evaluation")}, name


def test_resume_refuses_options_it_does_not_know(images, tmp_path):
    """A checkpoint whose config this gan_utils cannot build is refused with a clear error."""
    gan = build_gan(small_config(epochs=1))
    train(gan, images=images, out_dir=tmp_path, progress=False)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    state["config"] |= {"eval_every": 1}
    save_checkpoint(
        {k: v for k, v in state.items() if not k.startswith("format")}, tmp_path / "other.pt"
    )
    with pytest.raises(CheckpointError, match="eval_every"):
        resume_gan(tmp_path / "other.pt")


def test_ema_warms_up_and_averages():
    from gan_utils.ema import EMA

    model = torch.nn.Linear(2, 1)
    ema = EMA(model, decay=0.999)
    assert ema.current_decay() == pytest.approx(2 / 11)  # early updates follow the model closely
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)
    for _ in range(10_000):
        ema.update(model)
    assert ema.current_decay() == 0.999  # then the full decay
    assert torch.allclose(ema.model.weight, torch.ones(1, 2), atol=1e-3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        EMA(model, decay=1.0)


def test_time_budget_ends_on_a_finished_step_and_saves(images, tmp_path):
    import time

    gan = build_gan(small_config(epochs=10_000, time_budget=1.5))
    start = time.perf_counter()
    train(gan, images=images, out_dir=tmp_path, progress=False)
    took = time.perf_counter() - start
    # At least the budget; the upper bound is generous (one epoch's grid and checkpoint take well under
    # a second, but a loaded CI machine can be many times slower): a run that ignored the budget
    # would train 10,000 epochs.
    assert 1.5 <= took < 1.5 + 60
    saved = load_checkpoint(tmp_path / "checkpoint.pt")
    assert saved["epoch"] == gan.epoch < 10_000 and saved["history"]["steps"][-1] >= 1
    assert len(list((tmp_path / "samples").glob("*.png"))) == gan.epoch


def test_the_cli_time_budget_writes_a_whole_run(tmp_path, mnist_root):
    from gan_utils.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--limit",
                "256",
                "--batch-size",
                "32",
                "--n-fixed",
                "16",
                "--device",
                "cpu",
                "--time-budget",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert {p.name for p in out.iterdir()} >= {
        "checkpoint.pt",
        "generator.pt",
        "progress.gif",
        "losses.png",
    }
    assert load_checkpoint(out / "generator.pt")["meta"]["weights"] == "ema"


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_precision_sets_the_layers_number_format_and_keeps_weights_float32(
    images, tmp_path, precision
):
    gan = build_gan(small_config(design="dcgan", epochs=1, precision=precision))
    seen = set()
    gan.G.net[0].register_forward_hook(lambda module, inputs, output: seen.add(output.dtype))
    history = train(gan, images=images, out_dir=tmp_path, progress=False)
    assert seen == {getattr(torch, precision)}  # the transposed convolution ran in that format
    assert all(torch.isfinite(torch.tensor(history["loss_d"] + history["loss_g"])))
    for model in (gan.G, gan.D, gan.ema.model):
        assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert load_checkpoint(tmp_path / "checkpoint.pt")["config"]["precision"] == precision
    assert resume_gan(tmp_path / "checkpoint.pt").config.precision == precision


@pytest.mark.parametrize("gamma", [2.0, 8.0])
def test_a_power_function_ema_lags_by_a_fixed_share_of_the_run(gamma):
    """Step tau weighs tau^gamma: the average of the weights w_t = t lags by T / (gamma + 2)."""
    from gan_utils.ema import EMA

    model = torch.nn.Linear(1, 1, bias=False)
    ema = EMA(model, gamma=gamma)
    for steps in (500, 5000):  # the same share of a short and of a long run
        for t in range(ema.updates + 1, steps + 1):
            model.weight.data.fill_(float(t))
            ema.update(model)
        lag = 1 - ema.model.weight.item() / steps
        assert lag == pytest.approx(1 / (gamma + 2), rel=0.02)
    state = ema.state_dict()
    assert state["gamma"] == gamma and state["updates"] == 5000

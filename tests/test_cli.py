"""`gan-mnist sample/train` (or `python -m gan_utils ...`): files, shapes, ranges, flags, exit codes;
and `gan_utils.runs.train_into`, the same run from Python."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

import pytest
import torch
from PIL import Image

from gan_utils.checkpoints import (
    SHIPPED_GENERATOR,
    CheckpointError,
    load_checkpoint,
    load_generator,
    save_generator,
    shipped_generator_file,
)
from gan_utils.cli import add_config_flags, main
from gan_utils.config import TrainConfig
from gan_utils.models import Generator, generate_images


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("g") / "generator.pt"
    torch.manual_seed(0)
    save_generator(Generator(), path)
    return path


def sample(checkpoint, out, n=None, seed=None) -> int:
    """Run `sample` in-process; returns its exit status."""
    args = ["sample", "--checkpoint", str(checkpoint), "--out", str(out)]
    for flag, value in (("--n", n), ("--seed", seed)):
        args += [flag, str(value)] if value is not None else []
    return main(args)


def usage_error(capsys, command: str) -> str:
    """The one line a usage mistake printed: "gan-mnist COMMAND: error: ..."."""
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"gan-mnist {command}: error: ") and "\n" not in err, err
    return err


def test_sample_pt_and_png(generator_file, tmp_path):
    assert sample(generator_file, tmp_path / "a.pt", n=50, seed=1) == 0
    images = torch.load(tmp_path / "a.pt", weights_only=True)
    assert images.shape == (50, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert sample(generator_file, tmp_path / "b.pt", n=50, seed=1) == 0
    same = torch.load(tmp_path / "b.pt", weights_only=True)
    assert torch.equal(images, same)  # same seed, same images
    assert sample(generator_file, tmp_path / "g.png", n=16) == 0
    with Image.open(tmp_path / "g.png") as im:
        assert im.size == (4 * 28 + 5 * 2, 4 * 28 + 5 * 2)  # a 4 x 4 grid with 2-pixel padding


def test_sample_usage_mistakes_exit_2(generator_file, tmp_path, capsys):
    assert sample(generator_file, tmp_path / "x.jpg") == 2
    assert "must end in .png" in usage_error(capsys, "sample")
    assert sample(tmp_path / "missing.pt", tmp_path / "x.pt") == 2
    assert "there is no checkpoint at" in usage_error(capsys, "sample")
    both = ["sample", "--checkpoint", str(generator_file), "--shipped", "cgan", "-o", "x.png"]
    assert main(both) == 2
    assert "not allowed with argument --checkpoint" in usage_error(capsys, "sample")
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path / "x.pt").exists()


def test_a_corrupt_checkpoint_given_to_sample_exits_1(generator_file, tmp_path, capsys):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(generator_file.read_bytes()[:5000])  # a copy cut short
    assert sample(broken, tmp_path / "x.png") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "could not be read" in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


def test_debug_shows_the_traceback_before_or_after_the_subcommand(tmp_path, monkeypatch):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    args = ["sample", "--checkpoint", str(broken), "--out", str(tmp_path / "x.png")]
    for argv in (["--debug", *args], [*args, "--debug"]):
        with pytest.raises(CheckpointError):
            main(argv)
    monkeypatch.setenv("GAN_DEBUG", "1")
    with pytest.raises(CheckpointError):
        main(args)


def test_ctrl_c_while_sampling_exits_130(generator_file, tmp_path, monkeypatch, capsys):
    import gan_utils.runs

    def pressed(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(gan_utils.runs, "generate_images", pressed)
    assert sample(generator_file, tmp_path / "x.png") == 130
    assert capsys.readouterr().err == "interrupted: nothing was written.\n"
    assert not (tmp_path / "x.png").exists()


def test_the_program_is_named_as_it_was_called(capsys):
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: gan-mnist [-h] [--debug] {train,sample}")
    command = [sys.executable, "-m", "gan_utils", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.startswith("usage: python -m gan_utils [-h]")


def test_shipped_generator_writes_images_through_python_m(tmp_path):
    out = tmp_path / "samples.pt"
    command = [
        sys.executable,
        "-m",
        "gan_utils",
        "sample",
        "-n",
        "100",
        "--seed",
        "0",
        "-o",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "wrote 100 images" in result.stdout
    images = torch.load(out, weights_only=True)
    assert images.shape == (100, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert images.std() > 0.3  # real digits, not a constant picture


def test_sample_shipped_cgan_digit_7(tmp_path, capsys):
    """README's headline command: `sample --shipped cgan --digit 7`."""
    out = tmp_path / "sevens.pt"
    assert (
        main(["sample", "--shipped", "cgan", "--digit", "7", "--n", "20", "--out", str(out)]) == 0
    )
    assert "20 images of digit 7" in capsys.readouterr().out
    G = load_generator(shipped_generator_file("cgan"))
    expected = generate_images(G, 20, seed=0, labels=7)
    assert torch.equal(torch.load(out, weights_only=True), expected)
    assert (
        main(["sample", "--shipped", "cgan", "--digit", "7", "--out", str(tmp_path / "g.png")]) == 0
    )


def test_train_command_runs_and_resumes(tmp_path, mnist_root, capsys):
    out = tmp_path / "run"
    args = ["train", "--epochs", "1", "--limit", "128", "--batch-size", "32", "--device", "cpu"]
    args += ["--data-root", str(mnist_root), "--out", str(out)]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} >= {
        "checkpoint.pt",
        "generator.pt",
        "progress.gif",
        "losses.png",
    }
    capsys.readouterr()
    assert main(args) == 2  # the run exists: --resume or --overwrite
    assert "exists: resume it (--resume" in usage_error(capsys, "train")
    assert main([*args[:2], "2", *args[3:], "--resume"]) == 0
    assert load_checkpoint(out / "checkpoint.pt")["epoch"] == 2


@pytest.mark.parametrize("loss", ["wgan-gp", "hinge"])
def test_train_with_another_loss_on_a_time_budget_writes_a_whole_run(tmp_path, mnist_root, loss):
    out = tmp_path / loss
    args = ["train", "--loss", loss, "--time-budget", "2", "--limit", "640", "--device", "cpu"]
    assert main([*args, "--data-root", str(mnist_root), "--out", str(out)]) == 0
    files = {p.name for p in out.iterdir()}
    assert files >= {"checkpoint.pt", "generator.pt", "progress.gif", "losses.png", "samples"}
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["config"]["loss"] == loss and state["epoch"] >= 1


def test_train_into_is_callable_from_python(tmp_path, mnist_root, monkeypatch):
    """A notebook's way to do what `train` does: a whole run folder, and a GAN back."""
    import gan_utils.runs
    from gan_utils.runs import RunInterrupted, UsageError, train_into

    config = TrainConfig(
        limit=64, batch_size=32, epochs=1, n_fixed=16, device="cpu", data_root=str(mnist_root)
    )
    gan = train_into(tmp_path / "run", config, progress=False)
    assert gan.epoch == gan.saved_epoch == 1
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert files >= {"checkpoint.pt", "generator.pt", "progress.gif", "losses.png", "samples"}
    assert ".lock" not in files
    with pytest.raises(UsageError, match="exists: resume it"):
        train_into(tmp_path / "run", config)

    def stopped(*args, **kw):  # Ctrl+C, or Jupyter's stop button, during training
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(gan_utils.runs, "train", stopped)
        with pytest.raises(RunInterrupted, match="checkpoint.pt holds epoch 1: continue with"):
            train_into(tmp_path / "run", resume=True, changes={"epochs": 2})
    assert issubclass(RunInterrupted, KeyboardInterrupt) and not (tmp_path / "run/.lock").exists()
    gan = train_into(tmp_path / "run", resume=True, changes={"epochs": 2}, progress=False)
    assert gan.epoch == 2 and gan.history["changes"][0]["option"] == "epochs"


def test_checkpoints_folder_override(tmp_path, monkeypatch):
    """GAN_CHECKPOINTS_DIR points at a folder of shipped files; a missing file is a clear error."""
    import shutil

    from gan_utils.checkpoints import CHECKPOINTS_ENV, shipped_file

    installed = shipped_file(SHIPPED_GENERATOR)
    assert installed.parent.name == "weights" and installed.parent.parent.name == "gan_utils"
    monkeypatch.setenv(CHECKPOINTS_ENV, str(tmp_path))
    with pytest.raises(CheckpointError, match=f"{CHECKPOINTS_ENV}=.* has no generator_block.pt"):
        shipped_file(SHIPPED_GENERATOR)
    shutil.copyfile(installed, tmp_path / "generator_block.pt")
    assert shipped_file(SHIPPED_GENERATOR) == tmp_path / "generator_block.pt"


def test_a_shipped_file_missing_from_the_installation_says_what_to_do(monkeypatch):
    import gan_utils.checkpoints as ckpt

    monkeypatch.delenv(ckpt.CHECKPOINTS_ENV, raising=False)
    with pytest.raises(CheckpointError) as info:
        ckpt.shipped_file("generator_nonexistent.pt")
    message = str(info.value)
    assert "not in this installation" in message and "In Colab" in message
    assert ckpt.CHECKPOINTS_ENV in message


def test_every_train_config_field_has_a_flag_with_its_default():
    """The train flags are generated from TrainConfig: a new option needs no second edit."""
    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    flags = {a.dest: a for a in parser._actions if a.option_strings}
    for f in dataclasses.fields(TrainConfig):
        assert f.name in flags, f"no --{f.name.replace('_', '-')} flag"
        assert flags[f.name].default == f.default and flags[f.name].help
    parsed = vars(parser.parse_args(["--batch-size", "32", "--lr", "1e-3", "--limit", "500"]))
    config = TrainConfig(**parsed)
    assert (config.batch_size, config.lr, config.limit) == (32, 1e-3, 500)
    assert TrainConfig(**vars(parser.parse_args([]))) == TrainConfig()


@dataclasses.dataclass
class Options:
    """A config with every kind of field the flags support."""

    steps: int | None = dataclasses.field(default=None, metadata={"help": "steps"})
    rate: float | None = None
    name: str = dataclasses.field(default="a", metadata={"choices": ("a", "b")})
    fast: bool = False


def test_config_flags_of_every_field_type():
    parser = argparse.ArgumentParser()
    add_config_flags(parser, Options)
    assert vars(parser.parse_args([])) == dataclasses.asdict(Options())
    given = parser.parse_args(["--steps", "3", "--rate", "0.5", "--name", "b", "--fast"])
    assert Options(**vars(given)) == Options(steps=3, rate=0.5, name="b", fast=True)
    assert parser.parse_args(["--no-fast"]).fast is False
    with pytest.raises(SystemExit):
        parser.parse_args(["--name", "c"])  # not one of the choices
    only_given = argparse.ArgumentParser()
    add_config_flags(only_given, Options, suppress=True)
    assert vars(only_given.parse_args(["--rate", "2"])) == {"rate": 2.0}

    @dataclasses.dataclass
    class Unsupported:
        pair: tuple[int, int] = (1, 2)

    with pytest.raises(TypeError, match="Unsupported.pair"):
        add_config_flags(argparse.ArgumentParser(), Unsupported)


def test_sample_digit_asks_a_conditional_generator_and_refuses_others(
    generator_file, tmp_path, capsys
):
    from gan_utils.conditional import ConditionalGenerator

    torch.manual_seed(0)
    G = ConditionalGenerator().eval()
    path = save_generator(G, tmp_path / "cgan.pt")
    out = tmp_path / "sevens.pt"
    assert (
        main(["sample", "--checkpoint", str(path), "--digit", "7", "--n", "12", "--out", str(out)])
        == 0
    )
    images = torch.load(out, weights_only=True)
    assert torch.equal(images, generate_images(G, 12, seed=0, labels=7))
    assert "of digit 7" in capsys.readouterr().out

    assert main(["sample", "--checkpoint", str(path), "--digit", "12", "--out", str(out)]) == 2
    assert "argument --digit: invalid choice: 12" in usage_error(capsys, "sample")
    code = main(["sample", "--checkpoint", str(generator_file), "--digit", "3", "--out", str(out)])
    assert code == 2
    err = usage_error(capsys, "sample")
    assert "--digit needs a conditional generator" in err and "design cgan" in err

"""`python -m gan_utils sample/train`: files, shapes, ranges, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from PIL import Image

from gan_utils.checkpoints import SHIPPED_GENERATOR, CheckpointError, save_generator
from gan_utils.cli import main
from gan_utils.models import Generator


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("g") / "generator.pt"
    torch.manual_seed(0)
    save_generator(Generator(), path)
    return path


def sample(checkpoint, out, n=None, seed=None) -> int:
    """Run `python -m gan_utils sample` in-process; returns its exit status."""
    args = ["sample", "--checkpoint", str(checkpoint), "--out", str(out)]
    for flag, value in (("--n", n), ("--seed", seed)):
        args += [flag, str(value)] if value is not None else []
    return main(args)


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


def test_sample_errors(generator_file, tmp_path, capsys):
    assert sample(generator_file, tmp_path / "x.jpg") == 2
    assert "must end in .png" in capsys.readouterr().err
    assert sample(tmp_path / "missing.pt", tmp_path / "x.pt") == 2
    assert "No checkpoint at" in capsys.readouterr().err


def test_shipped_generator_writes_10000_images(tmp_path):
    out = tmp_path / "samples.pt"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gan_utils",
            "sample",
            "--n",
            "10000",
            "--seed",
            "0",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote 10000 images" in result.stdout
    images = torch.load(out, weights_only=True)
    assert images.shape == (10000, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert images.std() > 0.3  # real digits, not a constant picture


def test_train_command_runs_and_resumes(tmp_path):
    out = tmp_path / "run"
    args = [
        "train",
        "--epochs",
        "1",
        "--limit",
        "128",
        "--batch-size",
        "32",
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} >= {
        "checkpoint.pt",
        "generator.pt",
        "progress.gif",
        "losses.png",
    }
    assert main(args) == 2  # the run exists: --resume or --overwrite
    assert main([*args[:2], "2", *args[3:], "--resume"]) == 0
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 2


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
    import argparse
    import dataclasses

    from gan_utils.cli import add_config_flags
    from gan_utils.config import TrainConfig

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


def test_sample_digit_asks_a_conditional_generator_and_refuses_others(
    generator_file, tmp_path, capsys
):
    from gan_utils.conditional import ConditionalGenerator
    from gan_utils.models import generate_images

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
    assert "--digit must be from 0 to 9" in capsys.readouterr().err
    code = main(["sample", "--checkpoint", str(generator_file), "--digit", "3", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--digit needs a conditional generator" in err and "design cgan" in err

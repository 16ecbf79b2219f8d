"""`python -m gan_utils sample/train`: files, shapes, ranges, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from PIL import Image

from gan_utils.checkpoints import SHIPPED_GENERATOR, save_generator
from gan_utils.cli import main
from gan_utils.models import Generator
from gan_utils.runtime import REPO_ROOT


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


@pytest.mark.skipif(
    REPO_ROOT is None or not (REPO_ROOT / SHIPPED_GENERATOR).exists(), reason="no shipped generator"
)
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
    with pytest.raises(SystemExit, match="--resume"):
        main(args)
    assert main([*args[:2], "2", *args[3:], "--resume"]) == 0
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 2


def test_checkpoints_folder_override(tmp_path, monkeypatch):
    """GAN_CHECKPOINTS_DIR points at a folder of shipped files; a missing file is a clear error."""
    import shutil

    from gan_utils.checkpoints import CHECKPOINTS_ENV, CheckpointError, shipped_file

    monkeypatch.setenv(CHECKPOINTS_ENV, str(tmp_path))
    with pytest.raises(CheckpointError, match=f"{CHECKPOINTS_ENV}=.* has no generator_block.pt"):
        shipped_file("checkpoints/generator_block.pt")
    original = REPO_ROOT / SHIPPED_GENERATOR
    shutil.copyfile(original, tmp_path / "generator_block.pt")
    assert shipped_file("checkpoints/generator_block.pt") == tmp_path / "generator_block.pt"


def test_failed_download_of_a_shipped_file_says_what_to_do(tmp_path, monkeypatch):
    """Installed without the checkout and offline: one message with the Colab and laptop ways out."""
    import gan_utils.checkpoints as ckpt

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(ckpt, "REPO_ROOT", None)  # as when installed from git, as in Colab
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    monkeypatch.delenv(ckpt.CHECKPOINTS_ENV, raising=False)
    with pytest.raises(ckpt.CheckpointError) as info:
        ckpt.shipped_file("checkpoints/generator_block.pt")
    message = str(info.value)
    assert "could not be downloaded" in message and "OSError" in message
    assert "In Colab" in message and ckpt.CHECKPOINTS_ENV in message

"""Fault injection: what a new user does by mistake, and what the machine does to a run.

Every case ends in one message, no traceback and nothing lost, with the exit status that says
which: 2 and "PROG COMMAND: error: ..." for a usage mistake, 1 and "error: ..." for a failure on the
way, 130 and "interrupted: ..." for Ctrl+C. Signals are real (SIGINT to a `python -m gan_utils
train` process).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gan_utils import evaluation as ev
from gan_utils.checkpoints import load_checkpoint, save_generator
from gan_utils.cli import main
from gan_utils.config import TrainConfig
from gan_utils.data import mnist_tensors
from gan_utils.mnist_files import MNIST_MD5, MNISTNotFoundError, prepare_mnist
from gan_utils.models import Generator
from gan_utils.run_folder import RunLock

SMALL = ["--limit", "256", "--batch-size", "32", "--n-fixed", "16", "--device", "cpu"]
USAGE, FAILED, INTERRUPTED = 2, 1, 130


def cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gan_utils", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "GAN_DEBUG": "", **(env or {})},
        timeout=600,
        **kw,
    )


def _sigint_as_usual() -> None:
    """In the child: Ctrl+C raises KeyboardInterrupt even when pytest runs with SIGINT ignored
    (started in the background by a shell without job control, which Python would inherit)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def assert_one_line(result, status: int, start: str = "error: ") -> str:
    """The run ended with `status` and exactly one message line on stderr, without a traceback."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(start)]
    assert len(lines) == 1, result.stderr
    return lines[0]


def err_line(capsys, start: str = "error: ") -> str:
    """The one message line an in-process run wrote to stderr (progress bars aside)."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith(start)]
    assert len(lines) == 1, lines
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, mnist_root) -> Path:
    """A finished 2-epoch CLI run (checkpoint, generator, GIF, samples) to be hostile to."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["train", *SMALL, "--epochs", "2", "--out", str(out)]) == 0
    return out


def copy_run(run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(run, target)
    return target


# --- sample never destroys a run --------------------------------------------------------------


@pytest.mark.parametrize(
    "target, expected",
    [
        ("generator.pt", "will not write over it"),  # the checkpoint being read
        ("checkpoint.pt", "will not write over it"),  # any training checkpoint
    ],
)
def test_sample_refuses_to_write_over_a_checkpoint(trained_run, tmp_path, capsys, target, expected):
    run = copy_run(trained_run, tmp_path)
    before = digest(run / target)
    args = ["sample", "--checkpoint", str(run / "generator.pt"), "--out", str(run / target)]
    assert main(args) == USAGE
    assert expected in err_line(capsys, "gan-mnist sample: error: ")
    assert digest(run / target) == before


def test_sample_writes_pt_files_atomically(trained_run, tmp_path, monkeypatch, capsys):
    out = tmp_path / "samples.pt"
    args = [
        "sample",
        "--checkpoint",
        str(trained_run / "generator.pt"),
        "--n",
        "8",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    before = digest(out)

    def half_written(obj, f):
        f.write(b"half a tensor")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", half_written)
    assert main(args) == FAILED
    assert f"the disk is full ({out})" in err_line(capsys)
    assert digest(out) == before and [p.name for p in tmp_path.iterdir()] == ["samples.pt"]


# --- one run per folder ------------------------------------------------------------------------


def test_a_second_run_into_the_same_folder_refuses_and_leaves_the_first_alone(
    trained_run, tmp_path
):
    """This process holds the run's lock, as a training run does for its whole life; a second
    process (another PID, alive) is refused, and the first run's files and lock stay as they were."""
    run = copy_run(trained_run, tmp_path)
    with RunLock(run):
        before = {p.name: digest(p) for p in run.rglob("*") if p.is_file()}
        second = cli("train", *SMALL, "--epochs", "1", "--out", str(run), "--overwrite")
        assert "in use by another training run" in assert_one_line(second, FAILED)
        assert "training a" not in second.stdout
        assert {p.name: digest(p) for p in run.rglob("*") if p.is_file()} == before
    assert not (run / ".lock").exists()  # the holder released it


def test_a_stale_lock_is_taken_over(mnist_root, tmp_path, capsys):
    dead = subprocess.Popen(["true"])
    dead.wait()
    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text(f"{dead.pid} {os.uname().nodename}\n")
    assert main(["train", *SMALL, "--epochs", "1", "--out", str(out)]) == 0
    assert not (out / ".lock").exists()


# --- resume means resume -----------------------------------------------------------------------


def test_resume_without_a_checkpoint_is_an_error(tmp_path, capsys):
    assert main(["train", "--resume", "--out", str(tmp_path / "nothing")]) == USAGE
    assert "there is no" in err_line(capsys, "gan-mnist train: error: ")
    assert not (tmp_path / "nothing").exists()


def test_resume_applies_a_new_learning_rate_and_records_it(trained_run, tmp_path, capsys):
    run = copy_run(trained_run, tmp_path)
    assert main(["train", "--resume", "--lr", "1e-4", "--epochs", "3", "--out", str(run)]) == 0
    default = TrainConfig().lr
    assert f"lr {default} -> 0.0001" in capsys.readouterr().out
    state = load_checkpoint(run / "checkpoint.pt")
    assert state["epoch"] == 3 and state["config"]["lr"] == 1e-4
    assert all(
        g["lr"] == 1e-4 for g in state["opt_g"]["param_groups"] + state["opt_d"]["param_groups"]
    )
    assert {"epoch": 2, "option": "lr", "old": default, "new": 1e-4} in state["history"]["changes"]


@pytest.mark.parametrize("flag", [["--design", "mlp"], ["--latent-dim", "64"]])
def test_resume_refuses_to_change_what_the_checkpoint_holds(trained_run, tmp_path, capsys, flag):
    run = copy_run(trained_run, tmp_path)
    before = digest(run / "checkpoint.pt")
    assert main(["train", "--resume", *flag, "--out", str(run)]) == USAGE
    assert "cannot change when resuming" in err_line(capsys, "gan-mnist train: error: ")
    assert digest(run / "checkpoint.pt") == before


# --- divergence --------------------------------------------------------------------------------


@pytest.mark.parametrize("lr", ["1e3", "1e6"])
def test_a_finite_blow_up_stops_training(mnist_root, tmp_path, capsys, lr):
    out = tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "5", "--lr", lr, "--out", str(out)]) == FAILED
    assert "training diverged" in err_line(capsys)
    assert not (out / "generator.pt").exists() and not (out / ".lock").exists()
    if (out / "checkpoint.pt").exists():  # only epochs whose losses stayed below the limit
        history = load_checkpoint(out / "checkpoint.pt")["history"]
        assert max(history["loss_d"] + history["loss_g"]) < 1_000


# --- arguments checked before any work ---------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["train", "--device", "tpu"], "device 'tpu' cannot be used"),
        (["train", "--batch-size", "1"], "batch_size must be at least 2"),
        (["train", "--epochs", "0"], "epochs must be an int from 1"),
        (["train", "--seed", "-1"], "seed must be an int from 0"),
        (["train", "--lr", "nan"], "need lr > 0"),
        (["train", "--limit", "10"], "limit (images to train on) must be at least batch_size"),
        (["train", "--eval-every", "-1"], "argument --eval-every: must be an int 0 or more"),
        (["train", "--resume", "--overwrite"], "not allowed with argument --resume"),
        (["sample", "--nrow", "-3", "--out", "x.png"], "argument --nrow: must be an int 1 or more"),
        (["sample", "--nrow", "65", "--out", "x.png"], "nrow must be from 1 to n (64)"),
        (["sample", "--n", "1000000000", "--out", "x.pt"], "must be an int from 1 to 100,000"),
        (["sample", "--seed", "-1", "--out", "x.png"], "argument --seed: must be an int from 0"),
        (["sample", "--digit", "10", "--out", "x.png"], "argument --digit: invalid choice: 10"),
        (["sample", "--out", "x.jpg"], "must end in .png"),
        (["sample", "--device", "cuda:99", "--out", "x.png"], "cannot be used"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where sample's x.png would go
    out = ["--out", str(tmp_path / "run")] if args[0] == "train" else []
    assert main([*args[:1], *out, *args[1:]]) == USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"gan-mnist {args[0]}: error: ") and expected in err and "\n" not in err
    assert not (tmp_path / "run").exists() and not list(tmp_path.glob("x.*"))


def test_an_out_folder_that_cannot_be_created_is_found_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["train", *SMALL, "--out", str(blocker / "run")]) == USAGE
    assert "cannot be written to" in err_line(capsys, "gan-mnist train: error: ")
    assert "training a" not in capsys.readouterr().out and blocker.read_text() == "not a folder"


def test_a_full_disk_while_saving_a_checkpoint_keeps_the_last_one(
    trained_run, tmp_path, monkeypatch, capsys
):
    run = copy_run(trained_run, tmp_path)
    before = digest(run / "checkpoint.pt")
    import gan_utils.checkpoints as ckpt

    def full(obj, f):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt.torch, "save", full)
    assert main(["train", "--resume", "--epochs", "3", "--out", str(run)]) == FAILED
    line = err_line(capsys)
    assert "the disk is full" in line and str(run / "checkpoint.pt") in line
    assert digest(run / "checkpoint.pt") == before
    assert not list(run.glob(".*.tmp"))


# --- Ctrl+C at any moment ----------------------------------------------------------------------


def _interrupt(
    out: Path, wait_for: str, extra: list[str] = (), pause: float = 0.0
) -> subprocess.CompletedProcess:
    """Start a run on 4,000 images (125 steps an epoch), wait for a line on its stdout, then press
    Ctrl+C (SIGINT). "training a" is printed before MNIST is even loaded: a signal sent at once
    lands well inside the first epoch."""
    command = [sys.executable, "-m", "gan_utils", "train", "--limit", "4000", "--device", "cpu"]
    proc = subprocess.Popen(
        [*command, "--epochs", "50", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GAN_DEBUG": ""},
        preexec_fn=_sigint_as_usual,
    )
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(wait_for):
            break
    time.sleep(pause)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(seen) + stdout, stderr)


def test_ctrl_c_in_the_first_epoch_keeps_nothing_and_says_so(mnist_root, tmp_path):
    result = _interrupt(tmp_path / "run", "training a")
    line = assert_one_line(result, INTERRUPTED, start="interrupted: ")
    assert "nothing was kept" in line and "epoch 1/" not in result.stdout
    assert not (tmp_path / "run" / "checkpoint.pt").exists()
    assert not (tmp_path / "run" / ".lock").exists()


def test_ctrl_c_after_an_epoch_keeps_it_and_says_which(mnist_root, tmp_path):
    result = _interrupt(tmp_path / "run", "epoch 1/", pause=0.5)
    line = assert_one_line(result, INTERRUPTED, start="interrupted: ")
    saved = load_checkpoint(tmp_path / "run" / "checkpoint.pt")["epoch"]
    assert f"holds epoch {saved}: continue with --resume" in line and saved >= 1
    assert "done" not in result.stdout


def test_overwrite_then_ctrl_c_leaves_the_old_run_whole(trained_run, tmp_path):
    run = copy_run(trained_run, tmp_path)
    before = {p.name: digest(p) for p in run.rglob("*") if p.is_file()}
    result = _interrupt(run, "training a", ["--overwrite"])
    line = assert_one_line(result, INTERRUPTED, start="interrupted: ")
    assert "still holds the earlier run" in line and "epoch 1/" not in result.stdout
    assert {p.name: digest(p) for p in run.rglob("*") if p.is_file()} == before


def test_overwrite_replaces_the_old_runs_pictures(trained_run, tmp_path, capsys):
    run = copy_run(trained_run, tmp_path)
    (run / ".checkpoint.pt.x1y2.tmp").write_bytes(b"left by a killed run")
    assert main(["train", *SMALL, "--epochs", "1", "--overwrite", "--out", str(run)]) == 0
    assert [p.name for p in (run / "samples").iterdir()] == ["epoch_001.png"]  # the GIF has 1 frame
    assert not list(run.glob(".*.tmp"))
    assert oct((run / "checkpoint.pt").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- data --------------------------------------------------------------------------------------


@pytest.fixture
def raw_copy(mnist_root, tmp_path) -> Path:
    """Unpacked MNIST in a folder of its own (prepared the normal way), to damage."""
    root = tmp_path / "mnist"
    source = prepare_mnist(mnist_root, download=False)
    (root / "MNIST" / "raw").mkdir(parents=True)
    for name in MNIST_MD5:
        shutil.copy(source / "MNIST" / "raw" / name, root / "MNIST" / "raw" / name)
    return root


def test_a_truncated_unpacked_file_is_named(raw_copy):
    bad = raw_copy / "MNIST" / "raw" / "train-images-idx3-ubyte"
    bad.write_bytes(bad.read_bytes()[:1_000_000])
    with pytest.raises(MNISTNotFoundError, match="is damaged") as info:
        mnist_tensors(root=raw_copy, download=False)
    assert str(bad) in str(info.value) and "Delete it" in str(info.value)


def test_an_altered_header_is_named_and_the_cli_says_it_in_one_line(raw_copy, tmp_path):
    bad = raw_copy / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    data = bytearray(bad.read_bytes())
    data[7] ^= 0x01  # the item count
    bad.write_bytes(bytes(data))
    result = cli("train", *SMALL, "--data-root", str(raw_copy), "--out", str(tmp_path / "run"))
    assert "train-labels-idx1-ubyte is damaged" in assert_one_line(result, FAILED)


def test_mnist_missing_without_a_network_exits_1_with_what_to_do(tmp_path, monkeypatch, capsys):
    """A failure, not a usage mistake: its message keeps its lines, a list of fixes."""
    import gan_utils.data

    def offline(*args, **kw):
        raise RuntimeError(
            "Error downloading train-images-idx3-ubyte.gz:\n<urlopen error no network>"
        )

    monkeypatch.setattr(gan_utils.data.datasets, "MNIST", offline)
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["train", *SMALL, "--data-root", str(empty), "--out", str(tmp_path / "run")]
    assert main(args) == FAILED
    err = capsys.readouterr().err
    first = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(first) == 1 and "MNIST was not found" in first[0] and "no network" in first[0]
    assert "  - connect to the internet and run again" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


# --- the metric checks its input ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real_images(mnist_root) -> torch.Tensor:
    return mnist_tensors(train=False, limit=500)[0]


def test_the_metric_takes_float64_images(real_images):
    assert ev.evaluate_images(real_images.double())["fd"] == pytest.approx(
        ev.evaluate_images(real_images)["fd"], rel=1e-6
    )
    dist, _ = ev.nearest_neighbours(real_images[:5].double(), real_images)
    assert dist[:, 0].max() == 0


def test_the_metric_refuses_images_in_0_1(real_images):
    with pytest.raises(ValueError, match=r"look like images in \[0, 1\]"):
        ev.evaluate_images((real_images + 1) / 2)


def test_the_metric_refuses_nan(real_images):
    broken = real_images.clone()
    broken[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        ev.classify(broken)
    with pytest.raises(ValueError, match="finite"):
        ev.kl_to_uniform(torch.tensor([float("nan")] * 10))


def test_sample_of_an_untrained_generator_file_still_works(tmp_path):
    path = save_generator(Generator(), tmp_path / "g.pt")
    assert (
        main(["sample", "--checkpoint", str(path), "--n", "4", "--out", str(tmp_path / "g.png")])
        == 0
    )


@pytest.mark.parametrize(
    "args",
    [["train", "--epochs", "abc"], ["sample"], ["train", "--design", "gan9000"], ["fly"]],
)
def test_argparse_mistakes_are_one_line_too(args, capsys):
    assert main(args) == USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("gan-mnist") and ": error: " in err and "\n" not in err
    assert err.endswith("--help)")


def test_a_limit_beyond_mnist_is_refused_before_loading(tmp_path, capsys):
    assert main(["train", "--limit", "70000", "--out", str(tmp_path / "run")]) == USAGE
    assert "at most 60,000" in err_line(capsys, "gan-mnist train: error: ")


def test_a_damaged_checkpoint_is_a_failure_not_a_usage_mistake(trained_run, tmp_path, capsys):
    run = copy_run(trained_run, tmp_path)
    (run / "checkpoint.pt").write_bytes((run / "checkpoint.pt").read_bytes()[:10_000])
    assert main(["train", "--resume", "--epochs", "3", "--out", str(run)]) == FAILED
    assert "could not be read" in err_line(capsys)
    assert not (run / ".lock").exists()


def test_ctrl_c_while_a_checkpoint_is_written_names_the_epoch_really_on_disk(
    trained_run, tmp_path, monkeypatch, capsys
):
    run = copy_run(trained_run, tmp_path)
    before = digest(run / "checkpoint.pt")
    import gan_utils.checkpoints as ckpt

    real_save = ckpt.torch.save

    def interrupted(obj, f):
        if isinstance(obj, dict) and obj.get("kind") == "training":
            f.write(b"half a checkpoint")
            raise KeyboardInterrupt
        real_save(obj, f)

    monkeypatch.setattr(ckpt.torch, "save", interrupted)
    assert main(["train", "--resume", "--epochs", "3", "--out", str(run)]) == INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted: " in err and "holds epoch 2" in err and "Traceback" not in err
    assert digest(run / "checkpoint.pt") == before and not list(run.glob(".*.tmp"))

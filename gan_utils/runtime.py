"""Where code runs and how reproducibly: device, seed and the quick-mode switch.

Introduced in notebook 01 (setup cell); every later notebook uses the same three helpers.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import TypeVar

import torch

T = TypeVar("T")

#: Environment variable that switches the series to its small "quick" configuration (CI, tests).
QUICK_ENV = "GAN_QUICK"

#: The repository checkout this package lives in (None when installed from a wheel, e.g. Colab).
REPO_ROOT: Path | None = (
    Path(__file__).resolve().parents[1]
    if (Path(__file__).resolve().parents[1] / "pyproject.toml").exists()
    else None
)


def is_quick() -> bool:
    """True when GAN_QUICK=1: notebooks then train on a subset for a few steps (notebook 01)."""
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(
        f"{QUICK_ENV}={value!r} is not understood: use {QUICK_ENV}=1 or leave it unset."
    )


def full_or_quick(full: T, quick: T) -> T:
    """Return `quick` in quick mode (GAN_QUICK=1) and `full` otherwise (notebook 01)."""
    return quick if is_quick() else full


def get_device(prefer: str | None = None) -> torch.device:
    """Pick the best available device: cuda, then Apple's mps, then cpu (notebook 01).

    `prefer` ("cpu", "cuda", "mps") forces a choice; asking for one that is absent raises.
    """
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                "device='cuda' was asked for but no CUDA GPU is visible. "
                "In Colab: Runtime > Change runtime type > GPU; elsewhere use device='cpu'."
            )
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise RuntimeError(
                f"device={prefer!r} was asked for but there are {torch.cuda.device_count()} CUDA "
                "devices (cuda:0 is the first)."
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError("device='mps' was asked for but Apple's MPS is not available here.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int = 0) -> torch.Generator:
    """Seed Python and torch (all devices) and return a CPU generator seeded the same (notebook 01)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def describe_runtime(device: torch.device | None = None) -> str:
    """One line with the versions and the device, printed by every notebook's setup cell."""
    import torchvision

    device = device or get_device()
    name = str(device)
    if device.type == "cuda":
        name += f" ({torch.cuda.get_device_name(device)})"
    mode = "quick (GAN_QUICK=1)" if is_quick() else "full"
    line = f"torch {torch.__version__}, torchvision {torchvision.__version__}, device: {name}, mode: {mode}"
    if device.type == "cpu":
        line += "\n(no GPU found: fine for this series; in Colab pick Runtime > Change runtime type > GPU)"
    return line


def project_dir() -> Path:
    """The repository checkout, or the working directory when installed from a wheel (Colab)."""
    return REPO_ROOT or Path.cwd()


def run_dir(name: str) -> Path:
    """Folder for what a run writes (checkpoints, samples): runs/NAME, or runs/quick/NAME in quick mode.

    Quick runs (tests, CI) never overwrite a learner's full run. runs/ is not tracked by git.
    """
    path = project_dir() / "runs" / ("quick" if is_quick() else "") / name
    path.mkdir(parents=True, exist_ok=True)
    return path

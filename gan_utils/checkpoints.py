"""Saving and loading models safely: atomic writes, `weights_only=True` loads, clear errors.

Introduced in notebook 05_training (full training checkpoints) and notebook 06_generation (loading
a generator). Where the shipped files live: `gan_utils.shipped`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import nn

from gan_utils.designs import generator_from_config

#: Tag stored in every checkpoint we write, so a file from elsewhere is recognised as such.
FORMAT = "gan-mnist"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, or belongs to another model; the message says which."""


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[BinaryIO], object],
    check: Callable[[str], object] | None = None,
) -> Path:
    """Write a file so that it is either complete or absent: `write(f)` into a temporary file in the
    same folder, fsync, optionally `check(tmp_path)`, then rename over `path` (notebook 05).

    An interruption (Ctrl+C, a full disk, a kill) leaves any earlier file at `path` intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private (0600); use the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write `state` with torch.save atomically (`atomic_write`) (notebook 05).

    It is read back with weights_only=True before it replaces the previous checkpoint.
    """
    state = {"format": FORMAT, "format_version": FORMAT_VERSION, **state}
    return atomic_write(path, lambda f: torch.save(state, f), check=_check_loads_safely)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_loads_safely(path: str | Path) -> None:
    """Refuse to write a checkpoint that `weights_only=True` could not read back (e.g. a numpy value)."""
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"Not saved: the checkpoint holds a value that weights_only loading refuses "
            f"({str(exc).splitlines()[-1][:200]}). Store plain types (int, float, str, list, dict, "
            "tensors), e.g. str(torch.__version__) or float(x)."
        ) from None


def load_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint written by `save_checkpoint`, with weights_only=True (notebook 05)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint at {path}. Train one (notebook 05) or check the path."
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"{path} could not be read as a PyTorch checkpoint ({type(exc).__name__}: "
            f"{str(exc).split('. ')[0][:200]}). The file is corrupt or truncated, "
            "or not a checkpoint: delete it and train again, or restore it from a copy."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a gan-mnist checkpoint (no format tag {FORMAT!r}). "
            "Load checkpoints written by gan_utils (save_checkpoint, save_generator, the trainer)."
        )
    if state.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer gan_utils; update the package.")
    return state


def save_generator(G: nn.Module, path: str | os.PathLike, half: bool = False, **meta: Any) -> Path:
    """Save only the generator (config + weights + plain-typed `meta`): the small file we ship.

    `half=True` stores the weights in float16, half the size; they load back into float32. For the
    shipped generators this changed no score (results/float16.md, scripts/float16_check.py).
    """
    weights = G.state_dict()
    if half:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
    return save_checkpoint(
        {
            "kind": "generator",
            "generator_config": G.config,
            "generator": weights,
            "meta": meta,
        },
        path,
    )


def generator_from_state(
    state: dict[str, Any], source: str = "checkpoint", raw: bool = False
) -> nn.Module:
    """Rebuild the generator stored in a training or generator checkpoint (notebook 06).

    A training checkpoint of a run with an EMA holds two generators: the moving average (used by
    default, as for samples and generator.pt) and the raw weights the optimiser trains (raw=True).
    """
    if "generator" not in state or "generator_config" not in state:
        raise CheckpointError(f"{source} holds no generator (keys: {sorted(state)}).")
    config = state["generator_config"]
    try:
        G = generator_from_config(config)
        ema = state.get("ema")
        G.load_state_dict(state["generator"] if raw or not ema else ema["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{source} does not match the Generator it describes ({config}): "
            f"{str(exc).splitlines()[0][:300]}"
        ) from None
    return G


def load_generator(
    path: str | os.PathLike | None = None, device: str | torch.device = "cpu", raw: bool = False
) -> nn.Module:
    """Load a generator in eval mode from `path`, or the shipped one when None (notebook 06).

    From a training checkpoint: the EMA weights when the run kept them, the raw ones with raw=True.
    """
    if path is None:
        from gan_utils.shipped import SHIPPED_GENERATOR, shipped_file

        path = shipped_file(SHIPPED_GENERATOR)
    path = Path(path)
    G = generator_from_state(load_checkpoint(path), source=str(path), raw=raw)
    return G.to(device).eval()

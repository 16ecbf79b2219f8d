"""Saving and loading models safely: atomic writes, `weights_only=True` loads, clear errors.

Introduced in notebook 05_training (full training checkpoints) and notebook 06_generation (loading
the shipped generator).
"""

from __future__ import annotations

import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from gan_utils.models import Generator
from gan_utils.runtime import REPO_ROOT

#: Tag stored in every checkpoint we write, so a file from elsewhere is recognised as such.
FORMAT = "gan-mnist"
FORMAT_VERSION = 1

#: The generator that ships with the repository (trained by `python -m gan_utils train`, see README).
SHIPPED_GENERATOR = "checkpoints/generator_block.pt"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, or belongs to another model; the message says which."""


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write `state` with torch.save atomically: temporary file, fsync, rename (notebook 05).

    An interrupted write leaves the previous checkpoint intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": FORMAT, "format_version": FORMAT_VERSION, **state}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        _check_loads_safely(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
            "or not a checkpoint: delete it and train again, or restore it from git."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a gan-mnist checkpoint (no format tag {FORMAT!r}). "
            "Load checkpoints written by gan_utils (save_checkpoint, save_generator, the trainer)."
        )
    if state.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer gan_utils; update the package.")
    return state


def save_generator(G: Generator, path: str | os.PathLike, **meta: Any) -> Path:
    """Save only the generator (config + weights + plain-typed `meta`): the small file we ship."""
    return save_checkpoint(
        {
            "kind": "generator",
            "generator_config": G.config,
            "generator": G.state_dict(),
            "meta": meta,
        },
        path,
    )


def generator_from_state(state: dict[str, Any], source: str = "checkpoint") -> Generator:
    """Rebuild the generator stored in a training or generator checkpoint (notebook 06)."""
    if "generator" not in state or "generator_config" not in state:
        raise CheckpointError(f"{source} holds no generator (keys: {sorted(state)}).")
    config = state["generator_config"]
    try:
        G = Generator(
            latent_dim=config["latent_dim"],
            hidden=tuple(config["hidden"]),
            image_shape=tuple(config["image_shape"]),
            design=config["design"],
        )
        G.load_state_dict(state["generator"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{source} does not match the Generator it describes ({config}): "
            f"{str(exc).splitlines()[0][:300]}"
        ) from None
    return G


def load_generator(
    path: str | os.PathLike | None = None, device: str | torch.device = "cpu"
) -> Generator:
    """Load a generator in eval mode from `path`, or the shipped one when None (notebook 06)."""
    path = Path(path) if path is not None else shipped_file(SHIPPED_GENERATOR)
    G = generator_from_state(load_checkpoint(path), source=str(path))
    return G.to(device).eval()


def repository_url() -> str:
    """The public repository, read from the package metadata (pyproject.toml's [project.urls])."""
    try:
        for entry in metadata.metadata("gan-utils").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() == "repository":
                return url.strip()
    except metadata.PackageNotFoundError:
        pass
    raise CheckpointError("gan-utils is not installed; run `pip install -e .` in the repository.")


#: Environment variable naming a folder that holds the shipped files (generator_*.pt,
#: mnist_classifier.pt): it takes precedence, and nothing is downloaded then.
CHECKPOINTS_ENV = "GAN_CHECKPOINTS_DIR"


def shipped_file(relative: str) -> Path:
    """A file that ships with the repository: from $GAN_CHECKPOINTS_DIR, else the checkout, else
    downloaded once (Colab) (notebook 06)."""
    folder = os.environ.get(CHECKPOINTS_ENV, "").strip()
    if folder:
        path = Path(folder).expanduser() / Path(relative).name
        if not path.is_file():
            raise CheckpointError(
                f"{CHECKPOINTS_ENV}={folder} has no {path.name}. Copy it there from the repository's "
                f"{Path(relative).parent}/ folder, or unset {CHECKPOINTS_ENV} to use the installed copy."
            )
        return path
    if REPO_ROOT is not None and (REPO_ROOT / relative).is_file():
        return REPO_ROOT / relative
    cache = Path(torch.hub.get_dir()) / "gan-mnist" / relative
    if cache.is_file():
        return cache
    url = repository_url().replace("https://github.com/", "https://raw.githubusercontent.com/")
    url = f"{url}/main/{relative}"
    cache.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(cache), progress=False)
    except Exception as exc:
        raise CheckpointError(
            f"{relative} is not in this installation and could not be downloaded from {url} "
            f"({type(exc).__name__}). In Colab: make sure the runtime is online and that the first "
            f"cell installed from the right repository. Elsewhere: clone the repository and "
            f"`pip install -e .` there, or set {CHECKPOINTS_ENV} to a folder holding {Path(relative).name}."
        ) from None
    return cache

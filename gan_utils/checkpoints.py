"""Checkpoints: one place that writes and reads them, safely (notebooks 05 and 06).

- a training checkpoint holds a whole run (`training_state`, `resume_gan`): each player's config and
  weights, both optimisers, the EMA, the history and the random streams, so training continues
  exactly where it stopped;
- a generator file holds one generator (`save_generator`, `load_generator`): what we ship;
- the shipped files live in gan_utils/weights/ (`shipped_file`, `shipped_generator_file`).

Every file carries a format tag, is written atomically and read with `weights_only=True`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_utils.config import TrainConfig
from gan_utils.designs import discriminator_from_config, generator_from_config
from gan_utils.files import atomic_write
from gan_utils.gan import GAN, build_gan

#: Tag stored in every checkpoint we write, so a file from elsewhere is recognised as such.
FORMAT = "gan-mnist"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, or belongs to another model; the message says which."""


# ---------------------------------------------------------------------------------- any file
def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write `state` with torch.save atomically; it is read back with weights_only=True before it
    replaces the previous file (notebook 05)."""
    state = {"format": FORMAT, "format_version": FORMAT_VERSION, **state}
    return atomic_write(path, lambda f: torch.save(state, f), check=_check_loads_safely)


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


# ------------------------------------------------------------------------------ a whole run
def _player_config(player: nn.Module, role: str) -> dict[str, Any]:
    config = getattr(player, "config", None)
    if not isinstance(config, dict) or "design" not in config:
        raise CheckpointError(
            f"cannot checkpoint this run: its {role} ({type(player).__name__}) has no .config "
            "naming its design, so it could not be rebuilt. Train it without out_dir, or build it "
            "from a gan_utils design."
        )
    return config


def training_state(gan: GAN) -> dict[str, Any]:
    """Everything needed to continue the run exactly, as plain types (weights_only-safe)."""
    state = {
        "kind": "training",
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "generator_config": _player_config(gan.G, "generator"),
        "generator": gan.G.state_dict(),
        "discriminator_config": _player_config(gan.D, "discriminator"),
        "discriminator": gan.D.state_dict(),
        "opt_g": gan.opt_g.state_dict(),
        "opt_d": gan.opt_d.state_dict(),
        "fixed_noise": gan.fixed_noise.cpu(),
        "history": gan.history,
        "rng_shuffle": gan.shuffle.get_state(),
        "rng_noise": gan.noise.get_state().cpu(),
    }
    if gan.ema is not None:
        state["ema"] = gan.ema.state_dict()
    return state


def resume_gan(path: str | os.PathLike, device: str | None = None) -> GAN:
    """Rebuild a run from its checkpoint so that training continues as if never stopped (notebook 05).

    The players are rebuilt from the configs stored with them, so a run with a swapped player
    resumes with that player.
    """
    state = load_checkpoint(path)
    if state.get("kind") != "training":
        raise CheckpointError(
            f"{path} is a {state.get('kind', 'unknown')!r} checkpoint, not a training one."
        )
    try:
        config = TrainConfig(**{**state["config"], **({"device": device} if device else {})})
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} holds settings this gan_utils cannot use: {exc}") from None
    try:
        G = generator_from_config(state["generator_config"])
        D = discriminator_from_config(state["discriminator_config"])
        gan = build_gan(config, G, D)
        gan.G.load_state_dict(state["generator"])
        gan.D.load_state_dict(state["discriminator"])
        gan.opt_g.load_state_dict(state["opt_g"])
        gan.opt_d.load_state_dict(state["opt_d"])
        if gan.ema is not None:
            gan.ema.load_state_dict(state["ema"])
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"{path} does not match the models its config describes: {str(exc)[:300]}"
        ) from None
    gan.epoch, gan.history = state["epoch"], state["history"]
    gan.saved_epoch = gan.epoch
    gan.fixed_noise = state["fixed_noise"].to(gan.device)
    gan.shuffle.set_state(state["rng_shuffle"])
    gan.noise.set_state(state["rng_noise"])
    return gan


# ---------------------------------------------------------------------------- one generator
def save_generator(G: nn.Module, path: str | os.PathLike, half: bool = False, **meta: Any) -> Path:
    """Save only the generator (config + weights + plain-typed `meta`): the small file we ship.

    `half=True` stores the weights in float16, half the size; they load back into float32.
    """
    return _save_player("generator", G, path, half, meta)


def _save_player(
    role: str, player: nn.Module, path: str | os.PathLike, half: bool, meta: dict[str, Any]
) -> Path:
    """One player's file: {"kind": role, "<role>_config", "<role>": weights, "meta"}."""
    weights = player.state_dict()
    if half:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
    state = {"kind": role, f"{role}_config": player.config, role: weights, "meta": meta}
    return save_checkpoint(state, path)


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
    path = Path(path) if path is not None else shipped_file(SHIPPED_GENERATOR)
    G = generator_from_state(load_checkpoint(path), source=str(path), raw=raw)
    return G.to(device).eval()


def save_discriminator(
    D: nn.Module, path: str | os.PathLike, half: bool = False, **meta: Any
) -> Path:
    """Save only a discriminator (config + weights + `meta`), as `save_generator` does (notebook 12)."""
    return _save_player("discriminator", D, path, half, meta)


def load_discriminator(
    path: str | os.PathLike | None = None, design: str = "block", device: str | torch.device = "cpu"
) -> nn.Module:
    """A discriminator in eval mode from `path` (a discriminator file or a training checkpoint), or the
    shipped one of `design` (SHIPPED_DISCRIMINATORS) when path is None (notebook 12)."""
    if path is None:
        if design not in SHIPPED_DISCRIMINATORS:
            raise ValueError(
                f"no shipped discriminator of design {design!r}; there are {SHIPPED_DISCRIMINATORS}."
            )
        path = shipped_file(f"discriminator_{design}.pt")
    state = load_checkpoint(path)
    if "discriminator" not in state or "discriminator_config" not in state:
        raise CheckpointError(f"{path} holds no discriminator (keys: {sorted(state)}).")
    config = state["discriminator_config"]
    try:
        D = discriminator_from_config(config)
        D.load_state_dict(state["discriminator"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} does not match the discriminator it describes ({config}): "
            f"{str(exc).splitlines()[0][:300]}"
        ) from None
    return D.to(device).eval()


# --------------------------------------------------------------------------- shipped files
#: The generator that notebook 06 and `python -m gan_utils sample` use when given none.
SHIPPED_GENERATOR = "generator_block.pt"
#: Designs with a shipped generator, generator_<design>.pt (notebooks 05-09).
SHIPPED_DESIGNS: tuple[str, ...] = ("block", "mlp", "mlp_bn", "dcgan", "cgan")
#: Designs with a shipped discriminator, discriminator_<design>.pt, trained with that generator (notebook 12).
SHIPPED_DISCRIMINATORS: tuple[str, ...] = ("block", "dcgan")
#: Environment variable naming a folder that holds the shipped files (generator_*.pt,
#: mnist_classifier.pt): it takes precedence over the copies installed with the package.
CHECKPOINTS_ENV = "GAN_CHECKPOINTS_DIR"


def shipped_file(name: str) -> Path:
    """A file that ships inside the package (gan_utils/weights/NAME), or from $GAN_CHECKPOINTS_DIR.

    `pip install` brings these files with the code, so nothing is downloaded (notebook 06); how each
    was made is in gan_utils/weights/README.md.
    """
    folder = os.environ.get(CHECKPOINTS_ENV, "").strip()
    if folder:
        path = Path(folder).expanduser() / name
        if not path.is_file():
            raise CheckpointError(
                f"{CHECKPOINTS_ENV}={folder} has no {name}. Copy it there from the installed "
                f"package's weights/ folder, or unset {CHECKPOINTS_ENV} to use the installed copy."
            )
        return path
    path = Path(str(resources.files("gan_utils") / "weights" / name))
    if not path.is_file():
        raise CheckpointError(
            f"{name} is not in this installation of gan_utils ({path.parent}). Reinstall it: In "
            "Colab, restart the session and run the notebook's first cell again; elsewhere, "
            f"`pip install -e .` in the repository. Or set {CHECKPOINTS_ENV} to a folder holding {name}."
        )
    return path


def shipped_generator_file(design: str = "block") -> Path:
    """The shipped generator of `design` (SHIPPED_DESIGNS), e.g. "cgan" -> generator_cgan.pt."""
    if design not in SHIPPED_DESIGNS:
        raise ValueError(f"no shipped generator of design {design!r}; there are {SHIPPED_DESIGNS}.")
    return shipped_file(f"generator_{design}.pt")

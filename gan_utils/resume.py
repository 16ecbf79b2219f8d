"""Continuing a run: rebuild it from its checkpoint exactly, and change options on the way.

Introduced in notebook 05 (resume) and used by `python -m gan_utils train --resume`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from gan_utils.checkpoints import CheckpointError, load_checkpoint
from gan_utils.ema import EMA
from gan_utils.training import GAN, TrainConfig, build_gan


def resume_gan(path: str | Path, device: str | None = None) -> GAN:
    """Rebuild a run from its checkpoint so that training continues as if never stopped (notebook 05)."""
    state = load_checkpoint(path)
    if state.get("kind") != "training":
        raise CheckpointError(
            f"{path} is a {state.get('kind', 'unknown')!r} checkpoint, not a training one."
        )
    known = {f.name for f in dataclasses.fields(TrainConfig)}  # older runs stored more options
    config = {k: v for k, v in state["config"].items() if k in known}
    config = TrainConfig(**{**config, **({"device": device} if device else {})})
    gan = build_gan(config)
    try:
        gan.G.load_state_dict(state["generator"])
        gan.D.load_state_dict(state["discriminator"])
        gan.opt_g.load_state_dict(state["opt_g"])
        gan.opt_d.load_state_dict(state["opt_d"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"{path} does not match the models its config describes: {str(exc)[:300]}"
        ) from None
    gan.epoch, gan.history = state["epoch"], state["history"]
    gan.saved_epoch = gan.epoch
    gan.fixed_noise = state["fixed_noise"].to(gan.device)
    gan.shuffle.set_state(state["rng_shuffle"])
    gan.noise.set_state(state["rng_noise"])
    if gan.ema is not None and state.get("ema"):
        gan.ema.load_state_dict(state["ema"])
    elif gan.ema is not None:  # a run saved before EMA existed: average from here on
        gan.ema.model.load_state_dict(gan.G.state_dict())
    return gan


def change_options(gan: GAN, **new: Any) -> dict[str, tuple[Any, Any]]:
    """Apply changed options to a resumed run and record them in its history (notebook 05).

    lr and the betas go into both optimisers, ema_decay into the moving average; epochs, batch_size,
    limit, data_root, time_budget, precision and device into the config. The design, latent_dim, n_fixed and seed describe what the checkpoint holds: changing
    them is an error (start a new run instead). Returns {option: (old, new)} for what changed.
    """
    fixed = ("design", "latent_dim", "n_fixed", "seed")
    cfg = gan.config
    changed = {k: (getattr(cfg, k), v) for k, v in new.items() if getattr(cfg, k) != v}
    for name in fixed:
        if name in changed:
            old, value = changed[name]
            raise ValueError(
                f"{name} cannot change when resuming: the checkpoint holds a run with {name}={old!r}, "
                f"not {value!r}. Start a new run (another --out, or --overwrite) to change it."
            )
    if not changed:
        return {}
    gan.config = TrainConfig(**{**cfg.to_dict(), **{k: v for k, (_, v) in changed.items()}})
    if "ema_decay" in changed:  # a new decay from here on; 0 switches the average off
        if not gan.config.ema_decay:
            gan.ema = None
        elif gan.ema is None:
            gan.ema = EMA(gan.G, gan.config.ema_decay)
        else:
            gan.ema.decay = gan.config.ema_decay
    for opt in (gan.opt_g, gan.opt_d):
        for group in opt.param_groups:
            group["lr"] = gan.config.lr
            group["betas"] = (gan.config.beta1, gan.config.beta2)
    record = gan.history.setdefault("changes", [])
    for name, (old, value) in changed.items():
        record.append({"epoch": gan.epoch, "option": name, "old": old, "new": value})
    return changed

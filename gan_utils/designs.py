"""Every design by name: build its two players, rebuild either from its config (notebooks 05-09).

"mlp", "mlp_bn", "block"  fully connected (gan_utils.models, notebooks 02-05)
"dcgan"                   convolutional (gan_utils.dcgan, notebook 08)
"cgan"                    conditional: asked for a digit (gan_utils.conditional, notebook 09)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from gan_utils import models
from gan_utils.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_utils.dcgan import DCGANDiscriminator, DCGANGenerator

DESIGNS: tuple[str, ...] = (*models.MLP_DESIGNS, "dcgan", "cgan")


def check_design(design: str) -> None:
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}.")


def build_players(design: str, latent_dim: int = 100) -> tuple[nn.Module, nn.Module]:
    """A fresh generator and discriminator of `design` (seed torch first for the same weights)."""
    check_design(design)
    if design == "dcgan":
        return DCGANGenerator(latent_dim), DCGANDiscriminator()
    if design == "cgan":
        return ConditionalGenerator(latent_dim), ConditionalDiscriminator()
    return models.Generator(latent_dim, design=design), models.Discriminator(design=design)


def generator_from_config(config: dict[str, Any]) -> nn.Module:
    """The (untrained) generator a checkpoint's `generator_config` (its `G.config`) describes."""
    design = config["design"]
    check_design(design)
    if design == "dcgan":
        return DCGANGenerator(config["latent_dim"], tuple(config["channels"]), init=False)
    if design == "cgan":
        return ConditionalGenerator(
            config["latent_dim"], tuple(config["hidden"]), config["n_classes"]
        )
    return models.Generator(
        latent_dim=config["latent_dim"],
        hidden=tuple(config["hidden"]),
        image_shape=tuple(config["image_shape"]),
        design=design,
    )


def discriminator_from_config(config: dict[str, Any]) -> nn.Module:
    """The (untrained) discriminator a checkpoint's `discriminator_config` (its `D.config`) describes."""
    design = config["design"]
    check_design(design)
    if design == "dcgan":
        return DCGANDiscriminator(
            tuple(config["channels"]), init=False, spectral=config["spectral"]
        )
    if design == "cgan":
        return ConditionalDiscriminator(
            tuple(config["hidden"]), config["n_classes"], config["conditioning"]
        )
    return models.Discriminator(
        hidden=tuple(config["hidden"]),
        image_shape=tuple(config["image_shape"]),
        design=design,
        output=config["output"],
    )

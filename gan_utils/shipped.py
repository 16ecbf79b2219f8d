"""The files that ship inside the package: the trained generators and the metric's classifier.

They live in gan_utils/weights/ (package data, so `pip install` brings them, in Colab too); how each
was made is in gan_utils/weights/README.md. Introduced in notebook 06 (the shipped generator).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from gan_utils.checkpoints import CheckpointError

#: The generator that notebook 06 and `python -m gan_utils sample` use when given none.
SHIPPED_GENERATOR = "generator_block.pt"
#: Designs with a shipped generator, generator_<design>.pt (notebooks 05-09).
SHIPPED_DESIGNS: tuple[str, ...] = ("block", "mlp", "mlp_bn", "dcgan", "cgan")

#: Environment variable naming a folder that holds the shipped files (generator_*.pt,
#: mnist_classifier.pt): it takes precedence over the copies installed with the package.
CHECKPOINTS_ENV = "GAN_CHECKPOINTS_DIR"


def shipped_file(name: str) -> Path:
    """A file that ships inside the package (gan_utils/weights/NAME), or from $GAN_CHECKPOINTS_DIR.

    `pip install` brings these files with the code, so nothing is downloaded (notebook 06).
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

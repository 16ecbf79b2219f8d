"""Committed assets have a reason to be there: every picture in images/ is shown or named somewhere, and
every file in results/ is one that a script in scripts/ names (so a builder says how to regenerate it).
One-off studies keep their results beside their script in experiments/, not in results/."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Folders that are not part of the repository's text when there is no git to ask.
NOT_OURS = {".git", ".venv", ".colab-venv", "runs", "data", "build", "__pycache__", ".pytest_cache"}


def repository_files() -> list[Path]:
    """Tracked files plus new ones git does not ignore; without git, the tree minus NOT_OURS."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
        paths = [ROOT / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for p in ROOT.rglob("*") if not NOT_OURS & set(p.relative_to(ROOT).parts)]
    return [p for p in paths if p.is_file()]


def text_of(path: Path) -> str | None:
    """The file as text, or None for a binary file (a NUL byte near its start)."""
    data = path.read_bytes()
    return None if b"\0" in data[:8192] else data.decode("utf-8", errors="ignore")


def mentions(text: str, name: str) -> bool:
    """`name` as a whole file name: "samples_cgan.png" is not found inside "samples_dcgan.png"."""
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", text) is not None


@pytest.fixture(scope="module")
def texts() -> dict[Path, str]:
    found = {path: text_of(path) for path in repository_files()}
    return {path: text for path, text in found.items() if text is not None}


def unreferenced_images(texts: dict[Path, str], folder: Path = ROOT / "images") -> list[str]:
    """Names of the files in `folder` that no text file other than themselves mentions."""
    images = sorted(p for p in folder.iterdir() if p.is_file())
    return [
        image.name
        for image in images
        if not any(mentions(text, image.name) for path, text in texts.items() if path != image)
    ]


def test_every_image_is_referenced(texts):
    orphans = unreferenced_images(texts)
    assert not orphans, (
        f"images/ holds files that no README, notebook, script or test names: {orphans}. Show them "
        "(README.md, a notebook, gan_utils/weights/README.md) or delete them."
    )


def test_every_results_file_is_named_by_a_script():
    scripts = "\n".join(p.read_text() for p in sorted((ROOT / "scripts").glob("*.py")))
    files = sorted(p.name for p in (ROOT / "results").iterdir() if p.is_file())
    assert files, "results/ is empty"
    unnamed = [name for name in files if not mentions(scripts, name)]
    assert not unnamed, (
        f"results/ holds files that no script in scripts/ names, so nothing regenerates them: "
        f"{unnamed}. A one-off study belongs in experiments/NAME/ with its script and a README."
    )


def test_the_image_check_can_fail(texts, tmp_path):
    """A picture that nothing names is reported; one that README.md shows is not; a whole name is needed."""
    stray = f"stray_{tmp_path.name}.png"  # a name made here, so no file of the repository holds it
    for name in (stray, "samples_block.png"):
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n\0")
    assert unreferenced_images(texts, tmp_path) == [stray]
    assert not mentions("images/samples_dcgan.png", "samples_cgan.png")
    assert mentions("main/images/samples_cgan.png)", "samples_cgan.png")

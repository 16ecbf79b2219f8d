"""The series as a whole: every notebook has its badge, setup cell, footer and clean committed outputs,
and README and the notebooks name the repository that pyproject.toml names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_series_is_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)), [p.name for p in NOTEBOOKS]
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_header_and_footer(path):
    nb = cells(path)
    head = source(nb[0])
    assert head.startswith(f"# {path.name[:2]} · "), "first cell: '# NN · Title'"
    assert "colab.research.google.com/github/" in head and f"/notebooks/{path.name})" in head, (
        "Colab badge"
    )
    for bullet in ("What you will build", "What you will learn", "What you will need"):
        assert bullet in head
    setup = next(source(c) for c in nb if c["cell_type"] == "code")
    assert 'IN_COLAB = "google.colab" in sys.modules' in setup and "%pip install" in setup
    text = "\n".join(source(c) for c in nb)
    assert "## Summary" in text and "## Exercises" in text
    assert any(
        c["cell_type"] == "code"
        and source(c).lstrip().startswith(("assert", "import math\n\nassert"))
        or "\nassert " in source(c)
        for c in nb
    ), "checks at the end"
    nxt = ROOT / "notebooks" / f"{int(path.name[:2]) + 1:02d}"
    if list(nxt.parent.glob(nxt.name + "_*.ipynb")):
        assert re.search(rf"\]\({nxt.name}_\w+\.ipynb\)", source(nb[-1])), (
            "last cell links the next notebook"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(path):
    import nbformat

    nbformat.validate(nbformat.read(path, as_version=4))  # jupyter can open and re-run it
    nb = cells(path)
    code = [c for c in nb if c["cell_type"] == "code"]
    assert not [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"], (
        "error outputs"
    )
    counts = [c["execution_count"] for c in code if c.get("execution_count") is not None]
    assert counts == sorted(counts), "re-run top to bottom before committing"
    assert path.stat().st_size < 1_500_000, "keep a notebook under about 1 MB"
    for c in nb:
        for o in c.get("outputs", []):
            assert "image/svg+xml" not in o.get("data", {}), "PNG figures only"
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts/clean_notebooks.py"), "--check", str(path)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_repository_url_is_the_same_everywhere():
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts/sync_repo_url.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_readme_lists_every_notebook_and_its_images_exist():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in readme, f"README's table misses {path.name}"
    for ref in re.findall(r"\]\(((?:images|checkpoints|benchmarks|results)/[^)\s#]+)\)", readme):
        assert (ROOT / ref).exists(), f"README links {ref}, which does not exist"

"""The series as a whole: every notebook has its badge, setup cell, footer and clean committed outputs,
and README and the notebooks name the repository that pyproject.toml names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def setup_cell(path: Path) -> str:
    """The first code cell: the Colab install and checks."""
    return next(source(c) for c in cells(path) if c["cell_type"] == "code")


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
    setup = setup_cell(path)
    assert 'IN_COLAB = "google.colab" in sys.modules' in setup and "%pip install" in setup
    text = "\n".join(source(c) for c in nb)
    assert "## Summary" in text and "## Exercises" in text
    assert any(
        c["cell_type"] == "code"
        and (source(c).lstrip().startswith("assert") or "\nassert " in source(c))
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
    for ref in re.findall(
        r"\]\(((?:images|checkpoints|benchmarks|results|experiments|scripts)/[^)\s#]+)\)", readme
    ):
        assert (ROOT / ref).exists(), f"README links {ref}, which does not exist"


# An absolute path in a committed output shows the machine the notebook ran on, and means nothing to a
# learner: POSIX folders (/home/.., /work/..), Windows drives (C:\..) and this checkout's own location.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.-]+/)+[\w.-]+|\b[A-Za-z]:\\[\w.-]")
COMMITTED_NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


def output_texts(path: Path) -> list[str]:
    """Every piece of text a committed notebook shows as output (streams, reprs, errors, HTML)."""
    texts = []
    for cell in cells(path):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = [v for k, v in data.items() if not k.startswith("image/")]  # base64 pictures
            parts = [out.get("text", ""), *text, out.get("traceback", [])]
            texts += ["".join(p) for p in parts if isinstance(p, (str, list))]
    return texts


def absolute_paths(text: str) -> list[str]:
    found = ABSOLUTE_PATH.findall(text)
    return found + ([str(ROOT)] if str(ROOT) in text else [])


def test_absolute_path_detector_can_fail():
    assert absolute_paths("wrote /work/main/runs/05_training/broken.pt")
    assert absolute_paths("see /home/ada/gan-mnist/data")
    assert absolute_paths(r"C:\Users\ada\data")
    assert not absolute_paths(
        "wrote runs/05_training/broken.pt; 1/10 digits; https://github.com/a/b"
    )


@pytest.mark.parametrize("path", COMMITTED_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_outputs_show_no_machine_paths(path):
    found = [hit for text in output_texts(path) for hit in absolute_paths(text)]
    assert not found, f"absolute paths in committed outputs (print them relative instead): {found}"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_conda_environment_agrees_with_pyproject():
    """environment.yml installs what `make lab` installs, plus pytest and nbval to run the notebooks."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"]}
    wanted |= {"pytest", "nbval"}
    env = (ROOT / "environment.yml").read_text()
    listed = {_name(m) for m in re.findall(r"^\s*-\s+([A-Za-z][\w.-]*[^\n]*)$", env, re.M)}
    assert wanted <= listed, f"environment.yml lacks {sorted(wanted - listed)}"
    pins = (ROOT / "requirements-pinned.txt").read_text().split()
    for pin in (p for p in pins if "==" in p):
        assert f"- {pin}" in env, f"environment.yml should pin {pin} like requirements-pinned.txt"


def test_every_notebook_has_the_same_setup_cell():
    first = setup_cell(NOTEBOOKS[0])
    for path in COMMITTED_NOTEBOOKS:
        assert setup_cell(path) == first, (
            f"{path.name}: setup cell differs from {NOTEBOOKS[0].name}"
        )


@pytest.mark.parametrize("pip_failed", [True, False])
def test_setup_cell_stops_when_the_colab_install_fails(tmp_path, pip_failed):
    """Notebook 01's setup cell as Colab runs it, after pip failed (no gan_utils) or succeeded."""
    lines = setup_cell(NOTEBOOKS[0]).splitlines()
    script = "\n".join(
        [
            "import sys, types",
            "sys.modules['google.colab'] = types.ModuleType('google.colab')",  # what Colab has
            *(line.replace("%pip install", "pass  #") for line in lines),  # pip's outcome is below
        ]
    )
    flags = ["-S"] if pip_failed else []  # -S: no site-packages, so no gan_utils
    run = subprocess.run(
        [sys.executable, *flags, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    if pip_failed:
        assert run.returncode != 0 and "Installing gan_utils failed" in run.stderr, run.stderr
        assert "Restart session" in run.stderr
    else:
        assert run.returncode == 0, run.stderr


def test_the_installed_package_brings_its_weights_and_every_module(tmp_path):
    """`pip install` from the repository (as the Colab install cell does) installs every module,
    subpackages included, and the shipped generators and the metric's classifier with the code:
    nothing is downloaded later."""
    import zipfile

    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    subprocess.run(["cp", "-r", str(ROOT / "gan_utils"), str(source / "gan_utils")], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        check=True,
    )
    (wheel,) = tmp_path.glob("gan_utils-*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"gan_utils/weights/{p.name}" for p in (ROOT / "gan_utils" / "weights").glob("*.pt")}
    assert len(shipped) >= 4 and shipped <= packed, f"missing from the wheel: {shipped - packed}"
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gan_utils").rglob("*.py")}
    assert "gan_utils/evaluation/frechet.py" in modules
    assert modules <= packed, f"modules missing from the wheel: {sorted(modules - packed)}"


def test_notebook_09_quotes_the_committed_conditioning_results():
    """Notebook 09 shows experiments/cgan_conditioning's results as a table (Colab has no copy of them)."""
    import json

    rows = [
        json.loads(line)
        for line in (ROOT / "experiments" / "cgan_conditioning" / "results.jsonl")
        .read_text()
        .splitlines()
    ]
    text = "\n".join(source(c) for c in cells(ROOT / "notebooks" / "09_conditional_gan.ipynb"))
    for r in rows:
        worst = r["worst_digit"]
        line = (
            f"| {r['conditioning']} | {r['steps']:,} | {r['fd_n2000']:.1f} | {r['digits_covered']} | "
            f"{100 * r['mean_accuracy']:.1f} % | {worst} ({100 * r['per_digit_accuracy_n500'][worst]:.0f} %) |"
        )
        assert line in text, line


# A learner's walk: a markdown cell says one thing, a lesson is about twenty minutes of reading.
WORD = re.compile(r"[A-Za-z0-9][\w'’.,-]*")
MAX_CELL_WORDS, MAX_LESSON_WORDS = 200, 2500


def prose_words(path: Path) -> list[int]:
    """Words in each markdown cell of a notebook (code cells and outputs not counted)."""
    return [len(WORD.findall(source(c))) for c in cells(path) if c["cell_type"] == "markdown"]


def test_word_counter_can_fail():
    assert len(WORD.findall("The generator's loss, 1 − D(G(z)), is 0.69.")) == 9


@pytest.mark.parametrize("path", COMMITTED_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_is_short(path):
    words = prose_words(path)
    long = [(i, w) for i, w in enumerate(words) if w > MAX_CELL_WORDS]
    assert not long, (
        f"markdown cells over {MAX_CELL_WORDS} words (index among markdown cells, words): {long}"
    )
    if path.parent.name == "notebooks":
        assert sum(words) <= MAX_LESSON_WORDS, f"{sum(words)} words of prose"


TEST_MARKER = re.compile(r"#\s*(NBVAL_\w+|DEFINES:|fmt:)")


@pytest.mark.parametrize("path", COMMITTED_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_machinery_in_code_a_learner_copies(path):
    """nbval and the parity test read cell metadata tags, not comments in the code."""
    marked = [
        source(c).splitlines()[0]
        for c in cells(path)
        if c["cell_type"] == "code" and TEST_MARKER.search(source(c))
    ]
    assert not marked, f"use cell tags (nbval-check-output, defines:NAME) instead: {marked}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_its_solutions(path):
    solutions = ROOT / "notebooks" / "solutions" / f"{path.name[:2]}_solutions.ipynb"
    assert solutions.exists(), f"{path.name} has exercises but no {solutions.name}"
    assert f"solutions/{solutions.name}" in "\n".join(source(c) for c in cells(path)), (
        "the notebook links its solutions"
    )
    head = source(cells(solutions)[0])
    assert f"../{path.name}" in head, "the solutions link back"
    assert (
        "colab.research.google.com/github/" in head
        and f"/notebooks/solutions/{solutions.name})" in head
    ), "the solutions have their own Colab badge"


def test_nbval_reads_the_check_output_tag(tmp_path):
    """The tag is what makes `--nbval-lax` compare a cell's output: a wrong stored output fails."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for count, stored in enumerate(("2\n", "3\n"), 1):  # it prints 2: the second cell's is wrong
        cell = nbformat.v4.new_code_cell("print(1 + 1)", metadata={"tags": ["nbval-check-output"]})
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "tagged.ipynb")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-q",
            str(tmp_path / "tagged.ipynb"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "1 failed, 1 passed" in run.stdout, run.stdout[-2000:]


# What a committed widget output shows without a kernel: our widgets' own repr, or ipywidgets' reprs.
WIDGET_TEXT = re.compile(
    r"^(\w+: .*\(run the notebook to use|(VBox|HBox|Box|interactive|Output|Dropdown|Button|\w+Slider)\()"
)


def widget_cells_without_a_still(path: Path) -> list[int]:
    """Indices of code cells that show a widget with no PNG in that cell or the next code cell."""
    code = [(i, c) for i, c in enumerate(cells(path)) if c["cell_type"] == "code"]

    def has_png(cell: dict) -> bool:
        return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))

    missing = []
    for k, (i, cell) in enumerate(code):
        texts = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])]
        if any(WIDGET_TEXT.match(t) for t in texts):
            following = code[k + 1][1] if k + 1 < len(code) else {}
            if not (has_png(cell) or has_png(following)):
                missing.append(i)
    return missing


def test_widget_still_detector_can_fail(tmp_path):
    widget = {"output_type": "execute_result", "data": {"text/plain": "VBox(children=(...))"}}
    png = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Image>"}}
    code = {"cell_type": "code", "source": "", "outputs": [widget]}
    still = {"cell_type": "code", "source": "", "outputs": [png]}
    for layout, expected in (([code], [0]), ([code, still], [])):
        path = tmp_path / "nb.ipynb"
        path.write_text(json.dumps({"cells": layout}))
        assert widget_cells_without_a_still(path) == expected


@pytest.mark.parametrize("path", COMMITTED_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_widget_has_a_still_beside_it(path):
    """On GitHub or nbviewer there is no kernel: a widget cell is followed by a picture of it."""
    assert not widget_cells_without_a_still(path), "show a PNG of the widget in or after its cell"


REPO_FILE_URL = re.compile(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/main/([^)\s\"]+)")


@pytest.mark.parametrize("path", COMMITTED_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_pictures_a_notebook_links_exist(path):
    """Notebook markdown shows repository images by absolute URL (Colab needs it): each must exist."""
    text = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "markdown")
    missing = [ref for ref in REPO_FILE_URL.findall(text) if not (ROOT / ref).exists()]
    assert not missing, f"links to files the repository lacks: {missing}"

"""Run every notebook the way Google Colab runs it, on this machine: `make colab-check`.

What it sets up, as Colab has it:
- a fresh virtual environment with Colab's versions: Python 3.12, torch 2.11, torchvision 0.26,
  ipywidgets 7.7.1, matplotlib 3.10, the classic notebook (<7) and no JupyterLab;
- `google.colab` imported when the kernel starts (an IPython startup file), so each notebook's setup
  cell takes its Colab branch and runs its own `%pip install`;
- a clone of the committed tree (HEAD), whose file:// URL replaces the GitHub URL in that install cell,
  so what is tested is what a learner would install from the repository;
- an empty torch cache, and for each notebook a fresh working folder outside the repository and no
  gan_utils installed, as in a new Colab runtime opened from the notebook's badge.
Nothing is supplied but MNIST ($GAN_DATA_DIR), which Colab downloads and this machine cannot. The
notebooks run in quick mode (GAN_QUICK=1). A last run checks that a failed install stops in the
install cell with its message.

    python scripts/colab_check.py [--venv DIR] [--keep] [NOTEBOOK ...]

The first run downloads Colab's torch (a CUDA build, about 5 GB in the venv); pass `--venv DIR` to
reuse an environment that an earlier run built there. The output of the last full run, with its date,
machine and commit, is kept in results/colab_check.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLAB_PYTHON = "3.12"
COLAB_PACKAGES = [
    "torch==2.11.*",
    "torchvision==0.26.*",
    "ipywidgets==7.7.1",
    "anywidget==0.9.*",  # Colab preinstalls anywidget 0.9 (FIELD_NOTES)
    "matplotlib==3.10.*",
    "notebook<7",  # ipywidgets 7.7.1 would pull in notebook 7 and JupyterLab; Colab has neither
    "ipykernel",
    "nbclient",  # only to run the notebooks here
    "nbformat",
]
INSTALL_URL = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+@[\w./-]+")
STARTUP = (
    "import sys, types\nsys.modules.setdefault('google.colab', types.ModuleType('google.colab'))\n"
)


def find_python() -> str:
    for candidate in (
        f"python{COLAB_PYTHON}",
        *Path.home().glob(f".pyenv/versions/{COLAB_PYTHON}*/bin/python"),
    ):
        found = shutil.which(str(candidate))
        # A pyenv shim is on PATH even when its version is not selected, and then fails: try it.
        if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
            return found
    raise SystemExit(
        f"colab-check needs Python {COLAB_PYTHON} (Colab's); none found on PATH or in pyenv."
    )


def build_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([find_python(), "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run(
        [*pip, "--upgrade", "pip"], check=True
    )  # a fresh venv's pip rejects git+file URLs
    subprocess.run([*pip, *COLAB_PACKAGES], check=True)
    subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "jupyterlab"], check=False)
    return python


def clone_committed_tree(into: Path) -> tuple[Path, str]:
    clone = into / "gan-mnist"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    branch = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--abbrev-ref", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return clone, branch


def run_notebook(
    python: Path, path: Path, url: str, work: Path, env: dict
) -> tuple[bool, float, str]:
    """Fresh folder, no gan_utils, the notebook's own install cell pointed at `url`; run it all."""
    subprocess.run(
        [str(python), "-m", "pip", "uninstall", "-q", "-y", "gan-utils"],
        check=False,
        capture_output=True,
    )
    work.mkdir(parents=True)
    nb = json.loads(path.read_text())
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    text = "".join(setup["source"])
    if not INSTALL_URL.search(text):
        return (
            False,
            0.0,
            "no `git+https://github.com/OWNER/REPO@REF` install URL in the first code cell",
        )
    setup["source"] = INSTALL_URL.sub(url, text)
    (work / path.name).write_text(json.dumps(nb))
    start = time.perf_counter()
    run = subprocess.run(
        [str(python), __file__, "--execute", str(work / path.name)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    report = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr).strip()  # no terminal colours
    return run.returncode == 0, seconds, report


def execute(path: Path) -> int:
    """Inside the Colab-like venv: run one notebook with nbclient and report its first output line."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        print(str(err).strip().splitlines()[-1][:400])
        return 1
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    runtime = next(
        (
            "".join(o.get("text", "")).splitlines()
            for c in nb.cells
            for o in c.get("outputs", [])
            if "torch " in "".join(o.get("text", "")) and "device:" in "".join(o.get("text", ""))
        ),
        [""],
    )[0]
    print(runtime)
    return 1 if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    parser.add_argument("--venv", type=Path, help="build or reuse the Colab-like venv here")
    parser.add_argument("--keep", action="store_true", help="keep the working folders")
    parser.add_argument("--execute", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.execute:
        return execute(args.execute)
    data = os.environ.get("GAN_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    notebooks = args.notebooks or sorted(ROOT.glob("notebooks/**/[0-9][0-9]_*.ipynb"))
    tmp = Path(tempfile.mkdtemp(prefix="colab-check-"))
    python = build_venv((args.venv or tmp / "venv").resolve())
    clone, branch = clone_committed_tree(tmp)
    url = f"git+file://{clone}@{branch}"
    ipython_dir = tmp / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-google-colab.py").write_text(STARTUP)
    env = {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp)),
        "IPYTHONDIR": str(ipython_dir),
        "TORCH_HOME": str(tmp / "torch-cache"),  # empty, as in a new Colab runtime
        "GAN_QUICK": "1",
        "GAN_DATA_DIR": data,
        "MPLBACKEND": "agg",
    }
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, torch, torchvision, ipywidgets, matplotlib; "
            "print(f'Python {sys.version.split()[0]}, torch {torch.__version__}, torchvision "
            "{torchvision.__version__}, ipywidgets {ipywidgets.__version__}, matplotlib "
            "{matplotlib.__version__}')",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"Colab-like runtime: {versions}; install URL {url.replace(str(tmp), '<tmp>')}")
    failed = []
    for i, path in enumerate(notebooks):
        ok, seconds, report = run_notebook(python, path, url, tmp / f"content-{i:02d}", env)
        last = report.splitlines()[-1] if report else ""
        print(
            f"{'ok  ' if ok else 'FAIL'} {seconds:6.0f} s  {path.relative_to(ROOT)}  {last}",
            flush=True,
        )
        if not ok:
            failed.append(path.name)
            print("     " + report.replace("\n", "\n     ")[-3000:])
    # A broken install URL must stop in the install cell, with the message that says what to do.
    broken = url.replace(f"@{branch}", "@no-such-branch")
    ok, _, report = run_notebook(python, notebooks[0], broken, tmp / "content-broken", env)
    stopped = not ok and "Installing gan_utils failed" in report
    last = report.splitlines()[-1][:200] if report else ""
    print(
        f"{'ok  ' if stopped else 'FAIL'}           a wrong branch stops in the install cell: {last}"
    )
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"colab-check: {len(notebooks) - len(failed)} of {len(notebooks)} notebooks passed"
        + (f" (failed: {', '.join(failed)})" if failed else "")
        + ("" if stopped else "; a failed install did NOT stop in the install cell")
    )
    return 1 if failed or not stopped else 0


if __name__ == "__main__":
    sys.exit(main())

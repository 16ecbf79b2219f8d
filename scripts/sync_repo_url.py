"""Copy the repository URL from pyproject.toml ([project.urls] Repository) into every place that names it:
the Colab badges and install cells of the notebooks, and README.md. Publishing under a new name is a
one-line change in pyproject.toml followed by `python scripts/sync_repo_url.py`.

    python scripts/sync_repo_url.py          # rewrite
    python scripts/sync_repo_url.py --check  # exit 1 if anything disagrees (the tests run this)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip install tomli (in the dev extras)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# github.com/OWNER/REPO in badges (colab.research.google.com/github/OWNER/REPO), git+https installs,
# raw.githubusercontent.com/OWNER/REPO image links and plain links.
PATTERNS = [
    r"(colab\.research\.google\.com/github/)([\w.-]+/[\w.-]+)(/blob/)",
    r"(git\+https://github\.com/)([\w.-]+/[\w.-]+?)(@)",
    r"(raw\.githubusercontent\.com/)([\w.-]+/[\w.-]+)(/)",
    r"(https://github\.com/)([\w.-]+/[\w.-]+?)((?:\.git)?[/\s)\"'])",
]
IGNORED = ("pytorch/", "tensorflow/", "keras-team/", "d2l-ai/", "eriklindernoren/", "googlecolab/")


def repo_slug() -> str:
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url.rstrip("/"))
    if not match:
        raise SystemExit(
            f"pyproject.toml's Repository URL must look like https://github.com/OWNER/REPO, got {url!r}"
        )
    return match.group(1)


def files() -> list[Path]:
    return sorted(ROOT.glob("notebooks/**/*.ipynb")) + [ROOT / "README.md"]


def rewrite(text: str, slug: str) -> str:
    def sub(m: re.Match) -> str:
        if m.group(2).startswith(IGNORED):
            return m.group(0)
        return m.group(1) + slug + m.group(3)

    for pattern in PATTERNS:
        text = re.sub(pattern, sub, text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    slug, stale = repo_slug(), []
    for path in files():
        if not path.exists():
            continue
        text = path.read_text()
        new = rewrite(text, slug)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    for path in stale:
        print(
            f"{'names another repository than pyproject.toml' if args.check else 'updated'}: {path}"
        )
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())

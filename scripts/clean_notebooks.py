"""Strip run-to-run noise from committed notebooks: cell execution metadata, widget state, Colab
metadata and kernel-specific fields. Outputs (text and PNG figures) stay, so GitHub shows them.

    python scripts/clean_notebooks.py notebooks/*.ipynb        # rewrite in place
    python scripts/clean_notebooks.py --check notebooks/*.ipynb  # exit 1 if any would change
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info")
DROP_OUTPUT_TYPES = ("application/vnd.jupyter.widget-view+json", "image/svg+xml", "application/pdf")


def _is_progress_bar(output: dict) -> bool:
    """A tqdm bar: a widget whose text fallback ("training:  0%|...") would only mislead in a file."""
    data = output.get("data", {})
    text = "".join(data.get("text/plain", ""))
    return (
        "application/vnd.jupyter.widget-view+json" in data
        and re.search(r"\d+%\|", text) is not None
    )


def clean(nb: dict) -> dict:
    nb["metadata"] = {
        k: v for k, v in nb.get("metadata", {}).items() if k in KEEP_NOTEBOOK_METADATA
    }
    nb["metadata"].get("kernelspec", {}).update({"display_name": "Python 3", "name": "python3"})
    nb["metadata"].get("language_info", {}).pop("version", None)
    for cell in nb["cells"]:
        if "outputs" in cell:
            cell["outputs"] = [o for o in cell["outputs"] if not _is_progress_bar(o)]
    for cell in nb["cells"]:
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in ("tags",)}
        cell.pop("id", None) if nb.get("nbformat_minor", 0) < 5 else None
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("display_data", "execute_result"):
                out["metadata"] = {}  # required by the notebook format; its contents are run noise
            data = out.get("data")
            if data:
                for key in DROP_OUTPUT_TYPES:
                    data.pop(key, None)
    # Outputs left empty by dropping widget views carry nothing; remove them.
    for cell in nb["cells"]:
        if "outputs" in cell:
            cell["outputs"] = _merge_streams(
                [
                    o
                    for o in cell["outputs"]
                    if o.get("output_type") != "display_data" or o.get("data")
                ]
            )
    return nb


def _merge_streams(outputs: list[dict]) -> list[dict]:
    """One block per run of prints: a kernel may send one table as several stdout pieces, which
    GitHub shows as separate boxes. nbval joins them the same way before it compares."""
    merged: list[dict] = []
    for out in outputs:
        last = merged[-1] if merged else {}
        if (
            out.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and (out.get("name") == last.get("name"))
        ):
            text = "".join(last["text"]) + "".join(out["text"])
            last["text"] = text.splitlines(keepends=True)
        else:
            merged.append(out)
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument(
        "--check", action="store_true", help="only report notebooks that need cleaning"
    )
    args = parser.parse_args()
    dirty = []
    for path in args.paths:
        before = path.read_text()
        after = json.dumps(clean(json.loads(before)), indent=1, ensure_ascii=False) + "\n"
        if before != after:
            dirty.append(path)
            if not args.check:
                path.write_text(after)
    for path in dirty:
        print(f"{'needs cleaning' if args.check else 'cleaned'}: {path}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every preset of the notebook 10 lab, print what `gan_utils.lab.measure` sees, save its picture.

Each preset's text (gan_utils.lab.PRESETS) says what to look for; this script is how those sentences
were checked. It measures every `--every` steps, prints a few of those rows and, for the second half
of the run, the smallest and largest value of each measurement (a text may speak of the whole run,
not only its end), then writes lab_<preset>.png from the last step into --out (default runs/lab_presets/).
From the repository root:

    python scripts/lab_presets.py                            # all presets, pictures into runs/lab_presets/
    python scripts/lab_presets.py --out images "mode collapse"  # the picture README.md shows
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from gan_utils.lab import PRESETS, Lab, measure, render_png

ROOT = Path(__file__).resolve().parents[1]


def slug(name: str) -> str:
    """ "mode collapse: fix" -> "mode_collapse_fix" """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"presets (default: all of {list(PRESETS)})")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "lab_presets")
    parser.add_argument("--every", type=int, default=50, help="measure every this many steps")
    parser.add_argument("--show", type=int, default=6, help="rows printed per preset")
    args = parser.parse_args()
    names = args.names or list(PRESETS)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        parser.error(f"no preset {unknown}; choose from {list(PRESETS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        preset, start = PRESETS[name], time.perf_counter()
        lab = Lab(preset.config)
        print(f"{name} ({preset.steps} steps): {preset.config}")
        rows = []
        while lab.steps < preset.steps:
            lab.run(min(args.every, preset.steps - lab.steps))
            rows.append((lab.steps, measure(lab)))
        shown = {round(i * (len(rows) - 1) / max(1, args.show - 1)) for i in range(args.show)}
        for i, (step, row) in enumerate(rows):
            if i in shown:
                print(f"  step {step:>5}: " + ", ".join(f"{k} {v:.3g}" for k, v in row.items()))
        late = [row for step, row in rows if step > preset.steps / 2]
        ranges = ", ".join(
            f"{k} {min(r[k] for r in late):.3g}..{max(r[k] for r in late):.3g} "
            f"({sum(r[k] for r in late) / len(late):.3g})"
            for k in late[0]
        )
        print(f"  second half, min..max (mean): {ranges}")
        if "modes" in late[0]:
            full = [step for step, row in rows if row["modes"] == 8]
            print(
                f"  all 8 modes covered at steps: {full[:3]}...{full[-1:]} ({len(full)} of {len(rows)})"
            )
        path = args.out / f"lab_{slug(name)}.png"
        path.write_bytes(render_png(lab))
        print(f"  {time.perf_counter() - start:.0f} s; wrote {path.name}\n", flush=True)


if __name__ == "__main__":
    main()

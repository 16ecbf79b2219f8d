"""The README's results table: for each shipped generator, its metric, digit coverage and training
time, measured now from the files in gan_utils/weights/ (n = 10,000 samples, seed 0).

    python scripts/results_table.py            # prints the table and writes results/models.md
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import torch

from gan_utils.checkpoints import load_checkpoint, load_generator
from gan_utils.evaluation import evaluate_generator

ROOT = Path(__file__).resolve().parents[1]
N = 10_000
# Where each shipped file was trained (gan_utils/weights/README.md tells the whole story); checkpoints
# store the device ("cpu") but not which CPU, and times from different CPUs do not compare.
MACHINE = {
    "block": "Intel Xeon idle",
    "cgan": "AMD EPYC shared with other jobs",
    "dcgan": "Intel Xeon (AMX) idle, bfloat16",
    "mlp": "AMD EPYC",
    "mlp_bn": "AMD EPYC",
}


def main() -> None:
    rows = [
        "| generator | design | epochs | training time, machine | FD ↓ | digits covered | KL to uniform |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for path in sorted((ROOT / "gan_utils" / "weights").glob("generator_*.pt")):
        meta = load_checkpoint(path)["meta"]
        design = meta["config"]["design"]
        scores = evaluate_generator(load_generator(path), n=N, seed=0)
        rows.append(
            f"| `{path.relative_to(ROOT)}` | {design} | {meta['epochs']} "
            f"| {meta['seconds'] / 60:.0f} min, {MACHINE.get(design, meta['device'] + ', machine not recorded')} | {scores['fd']:.2f} "
            f"| {scores['digits_covered']} / 10 | {scores['kl_to_uniform']:.3f} |"
        )
    hardware = f"{platform.machine()}, {torch.get_num_threads()} torch threads"
    text = "\n".join(rows) + (
        f"\n\nFD: Fréchet distance to the 10,000 MNIST test images in the feature space of the shipped "
        f"classifier, at n = {N:,} samples (real training images score 0.69 at the same n; see "
        f"results/calibration.md). Epochs and training time come from each file's metadata; the "
        f"machine is not recorded there, so that column is copied by hand from "
        f"gan_utils/weights/README.md (MACHINE in scripts/results_table.py). Times from different "
        f"machines do not compare the designs. The scores were computed on {hardware} by "
        f"`python scripts/results_table.py`.\n"
    )
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "models.md").write_text(text)
    print(text)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, no options
    main()

"""Does storing a generator in float16 change what it draws? Measured, not assumed.

For each generator file given (default: the shipped ones in gan_utils/weights/), the weights are rounded
to float16 and loaded back into the same float32 model; both versions are scored with the project's
metric (n = 10,000, seed 0) and their samples from the same noise are compared pixel by pixel. Prints
the table and writes results.md beside this script. The shipped files hold float16 weights already, so
with no arguments both columns agree; give it float32 files, e.g. from git history:

    git show c9f45bb:checkpoints/generator_block.pt > /tmp/generator_block.pt
    python experiments/float16/run.py /tmp/generator_block.pt [GENERATOR.pt ...]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import torch

from gan_utils.checkpoints import load_generator
from gan_utils.evaluation import evaluate_generator

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
N = 10_000


def stored_size(state: dict) -> int:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.tell()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "generators", nargs="*", type=Path, help="generator files (default: the shipped ones)"
    )
    args = parser.parse_args()
    rows = [
        "| generator | file, float32 | file, float16 | FD float32 | FD float16 | digits 32 / 16 "
        "| largest pixel change |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    paths = args.generators or sorted((ROOT / "gan_utils" / "weights").glob("generator_*.pt"))
    for path in paths:
        G32 = load_generator(path)  # shipped files hold float16 already: then both rows agree
        state32 = {
            k: v.float() if v.is_floating_point() else v for k, v in G32.state_dict().items()
        }
        state16 = {k: v.half() if v.is_floating_point() else v for k, v in state32.items()}
        G16 = load_generator(path)
        G32.load_state_dict(state32)
        G16.load_state_dict(state16)  # copies (and casts) back into float32 parameters
        z = torch.randn(1000, G32.latent_dim, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            change = (G32(z) - G16(z)).abs().max().item()
        s32 = evaluate_generator(G32, n=N, seed=0)
        s16 = evaluate_generator(G16, n=N, seed=0)
        rows.append(
            f"| `{path.name}` | {stored_size(state32) / 1e6:.1f} MB | {stored_size(state16) / 1e6:.1f} MB "
            f"| {s32['fd']:.2f} | {s16['fd']:.2f} | {s32['digits_covered']} / {s16['digits_covered']} "
            f"| {change:.4f} |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(rows) + (
        f"\n\nFD at n = {N:,} (seed 0), as in results/models.md. Pixel change: largest absolute difference "
        "between the float32 and float16-stored generator on 1,000 noise vectors, images in [-1, 1]. "
        "Written by `python experiments/float16/run.py`.\n"
    )
    (HERE / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

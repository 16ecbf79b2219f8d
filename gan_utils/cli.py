"""Command line: `gan-mnist train|sample ...`, or `python -m gan_utils train|sample ...` (notebook 05).

It parses arguments and calls gan_utils.runs, which does the work. Exit status: 0 done; 2 a usage
mistake (argparse's, or one found before any work), one line "PROG CMD: error: ..."; 1 a failure on
the way (diverged, disk full, damaged file, no MNIST), "error: ..."; 130 Ctrl+C, one line saying
what was kept. `--debug` (or GAN_DEBUG=1) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import types
import typing
from collections.abc import Callable

from gan_utils.checkpoints import SHIPPED_DESIGNS
from gan_utils.config import TrainConfig
from gan_utils.files import os_error_text
from gan_utils.runs import MAX_SAMPLES, RunInterrupted, UsageError, sample_into, train_into

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
DEBUG_ENV = "GAN_DEBUG"


def int_range(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an int from `low` to `high` (no upper bound when None)."""
    limits = f"from {low:,} to {high:,}" if high is not None else f"{low} or more"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be an int {limits}, got {text!r}")
        return value

    return parse


def _flag_type(hint: object, name: str) -> type:
    """bool, int, float or str for a field's type hint; `X | None` gives X."""
    options = [hint]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(options) == 1 and options[0] in (bool, int, float, str):
        return options[0]
    raise TypeError(f"{name}: {hint} has no flag; the CLI knows bool, int, float, str (| None).")


def add_config_flags(
    parser: argparse.ArgumentParser, cls: type = TrainConfig, suppress: bool = False
) -> None:
    """One flag per field of the dataclass `cls` (--batch-size for batch_size), with its default
    and help: a TrainConfig option is added there and nowhere else.

    suppress=True leaves flags not given out of the namespace (how --resume knows what changed).
    """
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = _flag_type(hints[f.name], f"{cls.__name__}.{f.name}")
        more = {"action": argparse.BooleanOptionalAction} if kind is bool else {"type": kind}
        if kind in (int, float) and "choices" not in f.metadata:
            more["metavar"] = "N" if kind is int else "X"
        default = "" if f.default is None else f" (default: {f.default})"
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            default=argparse.SUPPRESS if suppress else f.default,
            choices=f.metadata.get("choices"),
            help=f.metadata.get("help", "") + default,
            **more,
        )


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake said in one line (what was wrong, where help is), not the usage."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(prog: str = "gan-mnist") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Train a GAN on MNIST, or sample from one.")
    tracebacks = f"show tracebacks ({DEBUG_ENV}=1)"
    parser.add_argument("--debug", action="store_true", help=tracebacks)
    # --debug after the subcommand too; SUPPRESS there keeps a --debug given before it
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=tracebacks)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser(
        "train",
        parents=[debug],
        help="train (or resume) a GAN into a folder: checkpoint, samples, GIF, loss plot",
        description="Train a GAN on MNIST into --out; flags given with --resume change the run.",
    )
    add_config_flags(t, suppress=True)
    t.add_argument(
        "--eval-every",
        type=int_range(0),
        default=0,
        metavar="N",
        help="score the generator every N epochs, keep the best (default: 0, off)",
    )
    t.add_argument(
        "-o", "--out", default="runs/train", help="the run's folder (default: %(default)s)"
    )
    again = t.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue OUT/checkpoint.pt; flags given change it"
    )
    again.add_argument("--overwrite", action="store_true", help="replace the run in OUT")
    t.set_defaults(run=cmd_train, prog=t.prog)

    s = sub.add_parser(
        "sample",
        parents=[debug],
        help="write N generated images as a PNG grid or a .pt tensor",
        description="Draw images from a generator into a .png grid or a .pt tensor.",
    )
    source = s.add_mutually_exclusive_group()
    source.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="a run's generator.pt or checkpoint.pt (default: the shipped block generator)",
    )
    source.add_argument(
        "--shipped",
        choices=SHIPPED_DESIGNS,
        metavar="DESIGN",
        help=f"the generator that ships for DESIGN: {', '.join(SHIPPED_DESIGNS)}",
    )
    s.add_argument(
        "-n",
        "--n",
        type=int_range(1, MAX_SAMPLES),
        default=64,
        help=f"how many images, up to {MAX_SAMPLES:,} (default: %(default)s)",
    )
    s.add_argument(
        "--seed",
        type=int_range(0, 2**63 - 1),
        default=0,
        metavar="N",
        help="seed of the noise (default: %(default)s)",
    )
    s.add_argument(
        "-o",
        "--out",
        required=True,
        help="FILE.png (a grid) or FILE.pt (a tensor N x 1 x 28 x 28 in [-1, 1])",
    )
    s.add_argument("--nrow", type=int_range(1), metavar="N", help="images per row of a PNG grid")
    s.add_argument(
        "--digit",
        type=int,
        choices=range(10),
        metavar="0-9",
        help="ask a conditional generator (design cgan) for this digit (default: 0-9 in turn)",
    )
    s.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    s.set_defaults(run=cmd_sample, prog=s.prog)
    return parser


def cmd_train(args: argparse.Namespace) -> None:
    given = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if f.name in args
    }
    device = given.pop("device", None)
    if args.resume:
        train_into(args.out, resume=True, changes=given, eval_every=args.eval_every, device=device)
        return
    try:
        config = TrainConfig(**given, device=device)  # checks every option before any work
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    train_into(args.out, config, overwrite=args.overwrite, eval_every=args.eval_every)


def cmd_sample(args: argparse.Namespace) -> None:
    options = ("checkpoint", "shipped", "n", "seed", "digit", "nrow", "device")
    sample_into(args.out, **{name: getattr(args, name) for name in options})


def describe(exc: BaseException) -> str:
    """A failure in words: an OS error's cause (a full disk says so), else its message."""
    return os_error_text(exc) if isinstance(exc, OSError) else str(exc) or type(exc).__name__


def main(argv: list[str] | None = None, prog: str = "gan-mnist") -> int:
    """Run the command line and return its exit status; `python -m gan_utils` passes its own `prog`."""
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as stop:  # --help, or a mistake argparse found and said
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        args.run(args)
    except RunInterrupted as stop:
        print(f"interrupted: {stop}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted: nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        usage = isinstance(exc, UsageError)
        print(f"{args.prog}: error: {exc}" if usage else f"error: {describe(exc)}", file=sys.stderr)
        return EXIT_USAGE if usage else EXIT_FAILED
    return 0

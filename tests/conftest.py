"""Shared pytest fixtures: keep them small and generic (other test files use them too)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw figures without a display

from gan_utils.mnist_files import DATA_ENV  # noqa: E402


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The folder named by GAN_DATA_DIR (it holds MNIST/raw/); skip the test when it is not set."""
    value = os.environ.get(DATA_ENV)
    if not value:
        pytest.skip(
            f"{DATA_ENV} is not set: point it at the folder holding MNIST/raw/ (make test does)."
        )
    root = Path(value)
    if not (root / "MNIST" / "raw").is_dir():
        pytest.skip(f"{DATA_ENV}={value} has no MNIST/raw/ folder.")
    return root


def pytest_terminal_summary(terminalreporter) -> None:
    """Say loudly, at the end, when the real-browser test did not run (it needs Chromium)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "test_browser" in r.nodeid]
    if not skipped:
        return
    longrepr = skipped[0].longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    terminalreporter.write_sep("!", "the browser test did NOT run", yellow=True, bold=True)
    terminalreporter.write_line(reason.removeprefix("Skipped: "))

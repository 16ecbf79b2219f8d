"""A training run's folder: one run at a time, writable before any work, old artifacts cleared late.

Robustness beside the workflow: `gan_utils.runs.train_into` (and so `python -m gan_utils train`)
uses it.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

LOCK_NAME = ".lock"
#: What a finished run leaves beside checkpoint.pt; a new run into the folder replaces them.
ARTIFACTS = ("generator.pt", "best_generator.pt", "progress.gif", "losses.png")


class FolderInUse(RuntimeError):
    """Another live training run holds the folder's lock."""


def check_writable(folder: str | os.PathLike, flag: str = "--out") -> Path:
    """Create `folder` if needed and prove that a file can be written there, before any training."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{flag} {folder} is a file, not a folder: choose a folder name.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PermissionError(
            f"{flag} {folder} cannot be written to ({exc.strerror or exc}): choose a folder you own, "
            "for example runs/NAME in the repository."
        ) from None
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but belongs to someone else
        return True
    return True


class RunLock:
    """`with RunLock(folder):` holds OUT/.lock with this process's PID for the run's whole life.

    A second run into the same folder raises FolderInUse at once. A lock left by a run that was
    killed (its PID is gone, on this host) is stale and taken over.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.me = f"{os.getpid()} {socket.gethostname()}"

    def __enter__(self) -> RunLock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(fd, "w") as f:
                f.write(self.me + "\n")
            return self
        raise FolderInUse(f"could not take the lock {self.path}; try again.")

    def _take_over_if_stale(self) -> None:
        try:
            pid_text, _, host = self.path.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            pid, host = -1, ""  # unreadable or half-written: treat as stale
        if pid > 0 and host == socket.gethostname() and _alive(pid):
            raise FolderInUse(
                f"{self.path.parent} is in use by another training run (PID {pid}). Wait for it to "
                "finish, or train into another --out."
            )
        if pid > 0 and host and host != socket.gethostname():
            raise FolderInUse(
                f"{self.path.parent} is locked by a run on another machine ({host}, PID {pid}). If "
                f"that run is over, delete {self.path} and start again."
            )
        self.path.unlink(missing_ok=True)  # stale: its run is gone

    def __exit__(self, *exc: object) -> None:
        try:
            if self.path.read_text().strip() == self.me:
                self.path.unlink()
        except OSError:
            pass


def clear_artifacts(folder: str | os.PathLike) -> None:
    """Remove what an earlier run left (sample grids, GIF, loss plot, generators), keeping
    checkpoint.pt, which the new run's first checkpoint replaces atomically right after."""
    folder = Path(folder)
    for name in ARTIFACTS:
        (folder / name).unlink(missing_ok=True)
    for grid in (folder / "samples").glob("epoch_*.png"):
        grid.unlink()


def remove_leftovers(folder: str | os.PathLike) -> None:
    """Remove the temporary files of a run that was killed mid-write; call it holding the lock."""
    for leftover in Path(folder).glob(".*.tmp"):
        leftover.unlink(missing_ok=True)

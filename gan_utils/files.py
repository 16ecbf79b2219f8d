"""Writing files safely: complete or absent (`atomic_write`), and OS errors said in words.

Robustness beside the core: the trainer's checkpoints, the CLI's samples and saved grids use it.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[BinaryIO], object],
    check: Callable[[str], object] | None = None,
) -> Path:
    """Write a file so that it is either complete or absent: `write(f)` into a temporary file in the
    same folder, fsync, optionally `check(tmp_path)`, then rename over `path` (notebook 05).

    An interruption (Ctrl+C, a full disk, a kill) leaves any earlier file at `path` intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private (0600); use the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename is None:
            exc.filename = str(path)  # torch.save and PIL raise without naming the file
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def os_error_text(exc: OSError) -> str:
    """An OS error in words, with the file it concerns: "the disk is full (runs/x/checkpoint.pt)..."."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"the disk is full{where}: free some space or write elsewhere; files already "
            "written, such as the last checkpoint, are intact."
        )
    if exc.errno == errno.EROFS:
        return f"the file system is read-only{where}: write to another folder."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission{where} ({exc.strerror}): choose a file or folder you own."
    if exc.errno == errno.EFBIG:
        return f"the file is too large for this file system{where}: write elsewhere."
    if exc.errno == errno.EIO:
        return f"the disk reported an input/output error{where}: check it, or write elsewhere."
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return f"no such file or folder{where}."
    if exc.strerror:
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__

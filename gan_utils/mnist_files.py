"""Finding the MNIST files on disk, checking them, and fetching them when they are missing (notebook 01).

`prepare_mnist` looks in one folder (`resolve_data_dir`: the `root` argument, else $GAN_DATA_DIR,
else `data/`) and returns the folder torchvision should read, trying in turn:

1. the four uncompressed files as they are (their size and IDX header checked every time);
2. their .gz files, unpacked into `data/` (never beside them: that folder may be shared or
   read-only) and checked against the official MD5;
3. a download by torchvision.

When all fail it raises `MNISTNotFoundError`, whose message says where it looked and what to do.
`gan_utils.data` calls it before it reads the files.
"""

from __future__ import annotations

import errno
import os
import tempfile
import zlib
from pathlib import Path

from torchvision import datasets
from torchvision.datasets.utils import check_integrity, extract_archive

from gan_utils.runtime import REPO_ROOT

#: Environment variable naming the folder that holds `MNIST/raw/` (the tests read it too).
DATA_ENV = "GAN_DATA_DIR"

#: MD5 of the four official, uncompressed MNIST files.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

#: Size in bytes, magic number and item count of each uncompressed file (the IDX format's header).
MNIST_LAYOUT = {
    "train-images-idx3-ubyte": (47_040_016, 2051, 60_000),
    "train-labels-idx1-ubyte": (60_008, 2049, 60_000),
    "t10k-images-idx3-ubyte": (7_840_016, 2051, 10_000),
    "t10k-labels-idx1-ubyte": (10_008, 2049, 10_000),
}


class MNISTNotFoundError(FileNotFoundError):
    """MNIST is neither on disk nor downloadable; the message says where we looked and what to do."""


def default_data_dir() -> Path:
    """`data/` in the repository checkout, or in the working directory when installed (Colab)."""
    return (REPO_ROOT or Path.cwd()) / "data"


def resolve_data_dir(root: str | os.PathLike | None = None) -> Path:
    """The folder to look in: `root` if given, else $GAN_DATA_DIR, else `data/` (notebook 01)."""
    if root is None:
        root = os.environ.get(DATA_ENV) or default_data_dir()
    path = Path(root).expanduser().resolve()
    # Be forgiving: accept the MNIST folder itself (or its raw/ folder) as well as its parent.
    if path.name == "raw" and path.parent.name == "MNIST":
        path = path.parent.parent
    elif path.name == "MNIST" and (path / "raw").is_dir():
        path = path.parent
    return path


def _has_raw(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / name).is_file() for name in MNIST_MD5)


def _check_raw(root: Path) -> None:
    """Size and header of each uncompressed file, every time (cheap); the MD5 is checked when the
    files are unpacked or downloaded. A damaged file gets an error that names it."""
    for name, (size, magic, count) in MNIST_LAYOUT.items():
        path = root / "MNIST" / "raw" / name
        with open(path, "rb") as f:
            header = f.read(8)
        actual = (
            path.stat().st_size,
            int.from_bytes(header[:4], "big"),
            int.from_bytes(header[4:], "big"),
        )
        if actual != (size, magic, count):
            raise MNISTNotFoundError(
                f"{path} is damaged: {actual[0]:,} bytes, header {actual[1]}/{actual[2]:,}, where the "
                f"official file has {size:,} bytes and header {magic}/{count:,}. Delete it and run "
                "again: it is unpacked from its .gz file or downloaded again."
            )


def _has_gz(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / f"{name}.gz").is_file() for name in MNIST_MD5)


def _decompress(src_root: Path, dst_root: Path) -> None:
    """Unzip the four .gz files into dst_root/MNIST/raw, checking each against the official MD5.

    Each file is unpacked into a temporary folder beside its target and moved into place only when
    its MD5 is right, so an interrupted or failed run leaves nothing half-written.
    """
    dst = dst_root / "MNIST" / "raw"
    dst.mkdir(parents=True, exist_ok=True)
    for name, md5 in MNIST_MD5.items():
        target = dst / name
        if check_integrity(str(target), md5):
            continue
        src = src_root / "MNIST" / "raw" / f"{name}.gz"
        with tempfile.TemporaryDirectory(dir=dst, prefix=".unpacking-") as tmp:
            try:
                unpacked = Path(extract_archive(str(src), tmp))
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS):
                    raise MNISTNotFoundError(  # our side, not the .gz file's fault
                        f"Could not write the unpacked MNIST into {dst} ({exc.strerror}). "
                        f"Free some disk space there (about 55 MB), or point {DATA_ENV} at a "
                        "folder that already holds the unpacked files."
                    ) from None
                raise _unreadable(src, exc) from None
            except (EOFError, zlib.error) as exc:  # truncated or damaged gzip stream
                raise _unreadable(src, exc) from None
            if not check_integrity(str(unpacked), md5):
                raise MNISTNotFoundError(
                    f"{src} does not decompress to the official MNIST file (MD5 mismatch). "
                    "Replace it with a fresh copy, or delete it to download again."
                )
            os.replace(unpacked, target)


def _unreadable(src: Path, exc: BaseException) -> MNISTNotFoundError:
    return MNISTNotFoundError(
        f"{src} is not a readable gzip file ({type(exc).__name__}: {exc}). "
        "Replace it with a fresh copy, or delete it to download again."
    )


def prepare_mnist(root: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Make sure the uncompressed MNIST files exist; return the root torchvision should read (notebook 01).

    Tries the files as they are, then their .gz files, then a download (see the module's docstring);
    raises MNISTNotFoundError when all fail.
    """
    where = resolve_data_dir(root)
    if _has_raw(where):
        _check_raw(where)
        return where
    if _has_gz(where):
        _decompress(where, default_data_dir())
        _check_raw(default_data_dir())
        return default_data_dir()
    if download:
        try:
            datasets.MNIST(str(where), train=True, download=True)
            datasets.MNIST(str(where), train=False, download=True)
        except Exception as exc:  # urllib, socket, checksum and permission errors all land here
            # torchvision puts the real cause ("<urlopen error ...>") on the last line of its message.
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [""]
            reason = f"{type(exc).__name__}: {lines[0]}"
            if len(lines) > 1:
                reason += f" ... {lines[-1]}"
            raise MNISTNotFoundError(
                _not_found_message(where, f"The download failed ({reason}).")
            ) from None
        _check_raw(where)
        return where
    raise MNISTNotFoundError(
        _not_found_message(where, "Downloading was switched off (download=False).")
    )


def _not_found_message(where: Path, why: str) -> str:
    return (
        f"MNIST was not found in {where / 'MNIST' / 'raw'} "
        f"(looked for {', '.join(MNIST_MD5)} or their .gz files). {why}\n"
        "To fix it, do one of:\n"
        "  - connect to the internet and run again (torchvision downloads MNIST, about 12 MB);\n"
        f"  - copy the MNIST files into {where / 'MNIST' / 'raw'};\n"
        f"  - point {DATA_ENV} (or the root= argument) at the folder that contains MNIST/raw/;\n"
        "  - in Colab: make sure the runtime is connected (Runtime > Connect), then run the cell again."
    )

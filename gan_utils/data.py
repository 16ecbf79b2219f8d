"""MNIST for a tanh generator: finding the files, scaling to [-1, 1], and fast in-memory batches.

Introduced in notebook 01_data_loading.
"""

from __future__ import annotations

import errno
import math
import os
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torchvision import datasets, transforms
from torchvision.datasets.utils import check_integrity, extract_archive

from gan_utils.runtime import REPO_ROOT

#: Environment variable naming the folder that holds `MNIST/raw/` (tests and CI point it at ../shared/data).
DATA_ENV = "GAN_DATA_DIR"

#: MD5 of the four official, uncompressed MNIST files.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

IMAGE_SHAPE = (1, 28, 28)

#: Size in bytes, magic number and item count of each uncompressed file (the IDX format's header).
MNIST_LAYOUT = {
    "train-images-idx3-ubyte": (47_040_016, 2051, 60_000),
    "train-labels-idx1-ubyte": (60_008, 2049, 60_000),
    "t10k-images-idx3-ubyte": (7_840_016, 2051, 10_000),
    "t10k-labels-idx1-ubyte": (10_008, 2049, 10_000),
}


def check_images(images: Any, name: str = "images", signed: bool = False) -> torch.Tensor:
    """Raise a clear error unless `images` is a float tensor (N, 1, 28, 28) in [-1, 1] (notebook 07).

    signed=True (the metric) also refuses images with no value below 0: [0, 1] images by mistake.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (N, 1, 28, 28), got {type(images)}."
        )
    if images.ndim != 4 or tuple(images.shape[1:]) != IMAGE_SHAPE or len(images) == 0:
        hint = " Reshape with images.view(-1, 1, 28, 28)." if images.numel() % 784 == 0 else ""
        raise ValueError(f"{name} must have shape (N, 1, 28, 28), got {tuple(images.shape)}.{hint}")
    if not images.is_floating_point():
        raise TypeError(
            f"{name} must be floats in [-1, 1], got dtype {images.dtype}. "
            "Scale uint8 pixels with images.float() / 127.5 - 1."
        )
    lo, hi = images.min().item(), images.max().item()
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < -1.001 or hi > 1.001:
        raise ValueError(
            f"{name} must lie in [-1, 1] (a tanh generator's range), "
            f"got values in [{lo:.3g}, {hi:.3g}]. "
            "Images in [0, 1] become [-1, 1] with images * 2 - 1."
        )
    if signed and lo >= 0:
        raise ValueError(
            f"{name} have no value below 0, so they look like images in [0, 1]; this expects [-1, 1] "
            "(a tanh generator's range, real MNIST from mnist_tensors). Convert with images * 2 - 1."
        )
    return images


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
    """Make sure the uncompressed MNIST files exist and return the root torchvision should read.

    Order: the files as they are; gzip'd files (decompressed into `data/`, never into the folder they
    came from, which may be shared or read-only); a download by torchvision. Raises MNISTNotFoundError
    when all fail.
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


def mnist_transform() -> transforms.Compose:
    """PIL image -> tensor (1, 28, 28) in [-1, 1], the range of a tanh generator (notebook 01)."""
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def load_mnist(
    train: bool = True, root: str | os.PathLike | None = None, download: bool = True
) -> datasets.MNIST:
    """torchvision's MNIST dataset, images scaled to [-1, 1] per item (notebook 01)."""
    return datasets.MNIST(
        str(prepare_mnist(root, download)), train=train, download=False, transform=mnist_transform()
    )


def mnist_tensors(
    train: bool = True,
    root: str | os.PathLike | None = None,
    device: torch.device | str = "cpu",
    limit: int | None = None,
    download: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """All of MNIST as one tensor: images (N, 1, 28, 28) in [-1, 1] and labels (N,) (notebook 01).

    `limit` keeps the first N images (quick mode and tests).
    """
    ds = datasets.MNIST(str(prepare_mnist(root, download)), train=train, download=False)
    images, labels = ds.data, ds.targets  # uint8 (N, 28, 28), int64 (N,)
    if limit is not None:
        if not 0 < limit <= len(images):
            raise ValueError(f"limit must be between 1 and {len(images)}, got {limit}.")
        images, labels = images[:limit], labels[:limit]
    # One vectorised conversion instead of 60,000 PIL -> ToTensor -> Normalize calls.
    images = (
        images.to(device).unsqueeze(1).float().div_(127.5).sub_(1.0)
    )  # (N, 28, 28) -> (N, 1, 28, 28)
    return images, labels.to(device)


class InMemoryLoader:
    """Shuffled mini-batches cut from one tensor that already sits on the training device (notebook 01).

    Each epoch draws one permutation and slices it; no per-image Python work. The last incomplete
    batch is dropped so every batch has `batch_size` images (BatchNorm needs more than one).
    With `labels` (N,) it yields (images, labels) pairs, cut by the same permutation (notebook 09).
    """

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
        labels: torch.Tensor | None = None,
    ) -> None:
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}.")
        if not 0 < batch_size <= len(images):
            raise ValueError(
                f"batch_size must be between 1 and {len(images)} (the number of images), got {batch_size}."
            )
        if labels is not None and labels.shape != (len(images),):
            raise ValueError(
                f"labels must have shape ({len(images)},), one per image, got {tuple(labels.shape)}."
            )
        self.images, self.labels = images, labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        # The permutation is drawn on the CPU so a run is reproducible whatever the device.
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return len(self.images) // self.batch_size

    def __iter__(self) -> Iterator[torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        n = len(self) * self.batch_size
        if self.shuffle:
            order = torch.randperm(len(self.images), generator=self.generator)[:n]
        else:
            order = torch.arange(n)
        # One gather per epoch, then batches are free slices of it. Gathering batch by batch cost a
        # thread synchronisation per batch and was several times slower on a busy CPU.
        order = order.to(self.images.device)
        shuffled = self.images.index_select(0, order)  # (n, C, H, W)
        if self.labels is None:
            yield from shuffled.split(self.batch_size)
        else:
            labels = self.labels.to(self.images.device).index_select(0, order)
            yield from zip(
                shuffled.split(self.batch_size), labels.split(self.batch_size), strict=True
            )

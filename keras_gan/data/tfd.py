"""The Toronto Face Database as pylearn2 stores it: `TFD_48x48.mat` / `TFD_96x96.mat`.

Keys: `images` (N x S x S, pixel values 0..255), `folds` (N x 5; column f is
fold f, code 0 unlabeled, 1 train, 2 valid, 3 test), `labs_ex` (expression,
-1 when unlabeled) and `labs_id` (identity). TFD is not public; the file
comes from its owners.

`--data_dir` is read one of two ways: a folder holding the `.mat` file is
read directly; otherwise a tensorflow-datasets data_dir in which
`python -m keras_gan.prepare_tfd` (or `tfds build`) wrote `tfd/48x48`
(`keras_gan.data.tfd_dataset_builder`) is read through tfds. Both give the
same arrays.
"""

import dataclasses
import os
import re
from typing import Optional

import numpy as np

from keras_gan.config import TFD_SPLITS
from keras_gan.data.base import DataError, Splits

FOLD_CODES = {"unlabeled": 0, "train": 1, "valid": 2, "test": 3}
NUM_FOLDS = 5
_KEYS = ("images", "folds", "labs_ex", "labs_id")


@dataclasses.dataclass
class TfdFile:
    """The contents of one TFD file, checked.

    Attributes:
        images: uint8 (N, S, S, 1).
        fold_codes: (N, 5) ints; column f holds each image's code in fold f
            (`FOLD_CODES`).
        expressions: (N,) ints, 1..7, -1 when unlabeled; None if the file has no `labs_ex`.
        identities: (N,) ints; None if the file has no `labs_id`.
    """

    images: np.ndarray
    fold_codes: np.ndarray
    expressions: Optional[np.ndarray] = None
    identities: Optional[np.ndarray] = None


def tfd_file_name(size):
    """pylearn2's name of the TFD file of `size` x `size` images."""
    return f"TFD_{size}x{size}.mat"


def _read_mat(path):
    import scipy.io

    try:
        return scipy.io.loadmat(path, variable_names=_KEYS)
    except NotImplementedError:  # scipy: "Please use HDF reader for matlab v7.3 files"
        return _read_mat_v73(path)
    except (ValueError, TypeError, OSError) as e:
        raise DataError(f"{path}: not a readable MATLAB .mat file ({e})") from None


def _read_mat_v73(path):
    """MATLAB v7.3 files are HDF5; h5py (a TensorFlow dependency) reads them.
    MATLAB writes column-major, so every array comes back transposed."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return {k: np.asarray(f[k]).T for k in _KEYS if k in f}
    except OSError as e:
        raise DataError(f"{path}: a MATLAB v7.3 (HDF5) file that h5py cannot read ({e}); "
                        "re-save it from MATLAB with save(..., '-v7') or from scipy.io.savemat") from None


def read_tfd(path, size=48):
    """Reads and checks one pylearn2 TFD file.

    Args:
        path: The `.mat` file (MATLAB v5 or v7.3).
        size: The image size the file should hold (48 or 96).

    Returns:
        A `TfdFile`.

    Raises:
        DataError: naming the file and what is wrong with it.
    """
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file (the pylearn2 TFD file is expected in --data_dir)")
    mat = _read_mat(path)
    missing = [k for k in ("images", "folds") if k not in mat]
    if missing:
        raise DataError(
            f"{path}: missing key{'s' * (len(missing) > 1)} {', '.join(missing)} (expected {', '.join(_KEYS)})"
        )
    images, fold_codes = np.asarray(mat["images"]), np.asarray(mat["folds"])
    if images.ndim != 3 or images.shape[1:] != (size, size):
        raise DataError(f"{path}: images have shape {images.shape}, expected (N, {size}, {size})")
    if fold_codes.shape != (len(images), NUM_FOLDS):
        raise DataError(f"{path}: folds have shape {fold_codes.shape}, expected ({len(images)}, {NUM_FOLDS})")
    bad = np.setdiff1d(np.unique(fold_codes), list(FOLD_CODES.values()))
    if bad.size:
        raise DataError(
            f"{path}: fold codes {bad.tolist()} found, expected only 0 (unlabeled), 1 (train), 2 (valid), 3 (test)"
        )
    if images.min() < 0 or images.max() > 255:
        raise DataError(f"{path}: pixel values span [{images.min()}, {images.max()}], expected 0..255")

    def labels(key):
        if key not in mat:
            return None
        values = np.asarray(mat[key]).reshape(-1)
        if len(values) != len(images):
            raise DataError(f"{path}: {key} holds {len(values)} labels for {len(images)} images")
        return values.astype(np.int64)

    return TfdFile(images.astype(np.uint8)[..., None], fold_codes.astype(np.int64), labels("labs_ex"),
                   labels("labs_id"))


def load_tfd(data_dir, size=48, fold=0, train_split="unlabeled"):
    """TFD in memory: `train` is `train_split` of `fold`, `valid` and `test`
    are that fold's valid and test images. Images (N, size, size, 1) uint8."""
    return load_tfd_folds(data_dir, size, [fold], train_split)[0]


def load_tfd_folds(data_dir, size=48, folds=range(NUM_FOLDS), train_split="unlabeled"):
    """`Splits` for each of `folds`, reading the data once (Table 1's
    protocol scores every fold).

    Args:
        data_dir: A folder holding pylearn2's `TFD_<size>x<size>.mat`, or a
            tensorflow-datasets data_dir holding the built `tfd/<size>x<size>`.
        size: 48 or 96.
        folds: Which of the five folds.
        train_split: The split each fold trains on: unlabeled, train, valid,
            test, or full_train (train and valid, as pylearn2).
    """
    if train_split not in TFD_SPLITS:
        raise DataError(f"--tfd_split must be one of {', '.join(TFD_SPLITS)}; got {train_split!r}")
    for fold in folds:
        if not 0 <= fold < NUM_FOLDS:
            raise DataError(f"--tfd_fold must be in 0..{NUM_FOLDS - 1}; got {fold}")
    tfd, source = _read_either(data_dir, size)
    return [fold_splits(tfd, fold, train_split, source) for fold in folds]


def _read_either(data_dir, size):
    """(`TfdFile`, a name for messages) from the .mat in `data_dir`, else from
    the tfds data set built there."""
    path = os.path.join(data_dir, tfd_file_name(size))
    if os.path.exists(path):
        return read_tfd(path, size), path
    built = os.path.join(data_dir, "tfd", f"{size}x{size}")
    if os.path.isdir(built):
        return read_tfds_build(built), built
    if not os.path.isdir(data_dir):
        raise DataError(f"--data_dir {data_dir}: no such folder")
    raise DataError(
        f"--data_dir {data_dir}: holds neither pylearn2's {tfd_file_name(size)} nor a tensorflow-datasets build of "
        f"tfd/{size}x{size} (python -m keras_gan.prepare_tfd --manual_dir=FOLDER_WITH_THE_MAT --data_dir={data_dir}"
        f"{'' if size == 48 else f' --tfd_size={size}'})"
    )


def split_name(fold, which_set):
    """The tfds split holding `which_set` (unlabeled, train, valid, test) of `fold`."""
    return f"fold{fold}_{which_set}"


def read_tfds_build(folder):
    """The `TfdFile` of a tensorflow-datasets build of TFD (`folder` is
    <data_dir>/tfd/<size>x<size>, written by `keras_gan.data.tfd_dataset_builder`),
    in the `.mat`'s row order: the arrays `read_tfd` gives for the file it was
    built from. Read from the build's own metadata, without the builder class."""
    import tensorflow_datasets as tfds  # only on this route

    versions = [v for v in os.listdir(folder) if re.fullmatch(r"\d+\.\d+\.\d+", v)
                and os.path.exists(os.path.join(folder, v, "dataset_info.json"))]
    if not versions:
        raise DataError(f"{folder}: not a complete tensorflow-datasets build of TFD; build it again "
                        "(python -m keras_gan.prepare_tfd)")
    builder = tfds.builder_from_directory(
        os.path.join(folder, max(versions, key=lambda v: tuple(map(int, v.split("."))))))
    # Fold 0's splits hold every image once, each with its codes in all five folds.
    names = [split_name(0, which_set) for which_set in FOLD_CODES if split_name(0, which_set) in builder.info.splits]
    batches = [batch for name in names for batch in tfds.as_numpy(builder.as_dataset(split=name).batch(10_000))]
    rows = {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}
    order = np.argsort(rows["index"])
    if not np.array_equal(rows["index"][order], np.arange(len(order))):
        raise DataError(f"{folder}: fold 0's splits do not hold every row of the file once; build it again")
    return TfdFile(rows["image"][order], rows["folds"][order], rows["expression"][order], rows["identity"][order])


def fold_splits(tfd, fold, train_split="unlabeled", source="TFD"):
    """The `Splits` of one fold of a `TfdFile`: `train_split`'s images (and
    expressions) to train on, the fold's valid and test images."""
    codes = tfd.fold_codes[:, fold]
    train_mask = np.isin(codes, [1, 2]) if train_split == "full_train" else codes == FOLD_CODES[train_split]

    def pick(mask):
        if not mask.any():
            raise DataError(f"{source}: fold {fold} has no images in that split")
        return tfd.images[mask], (tfd.expressions[mask] if tfd.expressions is not None else None)

    (train, train_labels), (valid, valid_labels), (test, test_labels) = (
        pick(train_mask), pick(codes == FOLD_CODES["valid"]), pick(codes == FOLD_CODES["test"]))
    return Splits(train, valid, test, train_labels, valid_labels, test_labels)

"""The Toronto Face Database as pylearn2 stores it: `TFD_48x48.mat` / `TFD_96x96.mat`.

Keys: `images` (N x S x S, pixel values 0..255), `folds` (N x 5; column f is
fold f, code 0 unlabeled, 1 train, 2 valid, 3 test), `labs_ex` (expression,
-1 when unlabeled) and `labs_id` (identity). TFD is not public; the file
comes from its owners.
"""

import os

import numpy as np

from keras_gan.config import TFD_SPLITS
from keras_gan.data.base import DataError, Splits

FOLD_CODES = {"unlabeled": 0, "train": 1, "valid": 2, "test": 3}
NUM_FOLDS = 5
_KEYS = ("images", "folds", "labs_ex", "labs_id")


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


def load_tfd(data_dir, size=48, fold=0, train_split="unlabeled"):
    """TFD in memory: `train` is `train_split` of `fold`, `valid` and `test`
    are that fold's valid and test images. Images (N, size, size, 1) uint8."""
    return load_tfd_folds(data_dir, size, [fold], train_split)[0]


def load_tfd_folds(data_dir, size=48, folds=range(NUM_FOLDS), train_split="unlabeled"):
    """`Splits` for each of `folds`, reading the file once (Table 1's
    protocol scores every fold)."""
    if train_split not in TFD_SPLITS:
        raise DataError(f"--tfd_split must be one of {', '.join(TFD_SPLITS)}; got {train_split!r}")
    for fold in folds:
        if not 0 <= fold < NUM_FOLDS:
            raise DataError(f"--tfd_fold must be in 0..{NUM_FOLDS - 1}; got {fold}")
    path = os.path.join(data_dir, f"TFD_{size}x{size}.mat")
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
    images = images.astype(np.uint8)[..., None]
    labels = np.asarray(mat["labs_ex"]).reshape(-1) if "labs_ex" in mat else None

    def fold_splits(fold):
        codes = fold_codes[:, fold]
        train_mask = np.isin(codes, [1, 2]) if train_split == "full_train" else codes == FOLD_CODES[train_split]

        def pick(mask):
            if not mask.any():
                raise DataError(f"{path}: fold {fold} has no images in that split")
            return images[mask], (labels[mask] if labels is not None else None)

        (train, train_labels), (valid, valid_labels), (test, test_labels) = (
            pick(train_mask),
            pick(codes == 2),
            pick(codes == 3),
        )
        return Splits(train, valid, test, train_labels, valid_labels, test_labels)

    return [fold_splits(fold) for fold in folds]

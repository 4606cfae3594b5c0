"""keras_gan/data/tfd.py: the Toronto Face Database's .mat file and its folds, on files the tests write."""

import numpy as np
import pytest
import scipy.io

from keras_gan import data


def test_tfd_splits_follow_the_fold_codes(tmp_path, write_tfd):
    write_tfd(tmp_path / "TFD_48x48.mat")
    splits = data.load_tfd(str(tmp_path), fold=0, train_split="unlabeled")
    assert splits.train.shape == (30, 48, 48, 1) and splits.valid.shape == (10, 48, 48, 1)
    assert splits.test.shape == (10, 48, 48, 1)
    assert len(data.load_tfd(str(tmp_path), fold=0, train_split="full_train").train) == 20


def test_tfd_v73_files_are_read_with_h5py(tmp_path, write_tfd):
    write_tfd(tmp_path / "TFD_48x48.mat", v73=True)
    with pytest.raises(NotImplementedError):
        scipy.io.loadmat(tmp_path / "TFD_48x48.mat")  # what a user of scipy alone would hit
    plain = tmp_path / "plain"
    plain.mkdir()
    write_tfd(plain / "TFD_48x48.mat")
    np.testing.assert_array_equal(data.load_tfd(str(tmp_path)).test, data.load_tfd(str(plain)).test)


@pytest.mark.parametrize("kwargs,message", [
    (dict(drop=("folds",)), "missing key folds"),
    (dict(images=np.zeros((60, 32, 32), np.uint8)), r"images have shape \(60, 32, 32\), expected \(N, 48, 48\)"),
    (dict(folds=np.full((60, 5), 7)), r"fold codes \[7\] found"),
    (dict(folds=np.zeros((60, 3))), r"folds have shape \(60, 3\)"),
])
def test_tfd_bad_files(tmp_path, write_tfd, kwargs, message):
    write_tfd(tmp_path / "TFD_48x48.mat", **kwargs)
    with pytest.raises(data.DataError, match=message):
        data.load_tfd(str(tmp_path))


def test_tfd_missing_and_garbage_files(tmp_path):
    with pytest.raises(data.DataError, match="holds neither pylearn2's TFD_48x48.mat nor a tensorflow-datasets build"):
        data.load_tfd(str(tmp_path))
    (tmp_path / "TFD_48x48.mat").write_bytes(b"garbage" * 100)
    with pytest.raises(data.DataError, match="not a readable MATLAB"):
        data.load_tfd(str(tmp_path))

"""keras_gan/data/tfd_dataset_builder.py and keras_gan/prepare_tfd.py: TFD through tensorflow-datasets. The
command builds it with tfds' download_and_prepare from a manual folder holding a .mat the tests write (what
`tfds build --manual_dir` does; tfds' own command line needs apache-beam, which is not installed here); the
loader then reads that data_dir exactly as it reads the .mat, and training runs through it."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_gan import cli, data, train_lib
from keras_gan.config import Config
from keras_gan.data import tfd_dataset_builder
from keras_gan.data.tfd import read_tfd

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 60


def fold_codes():
    """Rows 0..19 unlabeled in every fold; each fold its own train/valid/test of rows 20..59."""
    folds = np.zeros((N, 5), np.int64)
    for f in range(5):
        order = 20 + (np.arange(40) + 8 * f) % 40
        folds[order[:10], f], folds[order[10:25], f], folds[order[25:], f] = 1, 2, 3
    return folds


@pytest.fixture(scope="module")
def built(tmp_path_factory, write_tfd):
    """(the manual folder with TFD_48x48.mat, the tfds data_dir `tfds build` wrote tfd/48x48 in)."""
    root = tmp_path_factory.mktemp("tfd_tfds")
    manual, data_dir = root / "manual", root / "tensorflow_datasets"
    manual.mkdir()
    expressions = np.where(np.arange(N) < 20, -1, 1 + np.arange(N) % 7)
    write_tfd(manual / "TFD_48x48.mat", folds=fold_codes(), expressions=expressions, identities=np.arange(N) // 3)
    out = subprocess.run([sys.executable, "-m", "keras_gan.prepare_tfd", f"--manual_dir={manual}",
                          f"--data_dir={data_dir}"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"Train on it with --dataset=tfd --data_dir={data_dir}" in out.stdout
    return str(manual), str(data_dir)


def test_tfds_build_writes_every_fold_and_code_with_the_labels(built):
    manual, data_dir = built
    tfd = read_tfd(os.path.join(manual, "TFD_48x48.mat"))
    builder = tfd_dataset_builder.Tfd(config="48x48", data_dir=data_dir)
    assert len(builder.info.splits) == 20
    for fold in range(5):
        for which_set, code in {"unlabeled": 0, "train": 1, "valid": 2, "test": 3}.items():
            examples = list(tfds.as_numpy(builder.as_dataset(split=f"fold{fold}_{which_set}")))
            rows = np.flatnonzero(tfd.fold_codes[:, fold] == code)
            assert sorted(int(ex["index"]) for ex in examples) == rows.tolist()
    example = examples[0]
    i = int(example["index"])
    assert example["image"].shape == (48, 48, 1) and example["image"].dtype == np.uint8
    np.testing.assert_array_equal(example["image"], tfd.images[i])
    np.testing.assert_array_equal(example["folds"], tfd.fold_codes[i])
    assert (example["expression"], example["identity"]) == (tfd.expressions[i], tfd.identities[i])
    assert builder.info.supervised_keys == ("image", "expression")


def test_the_tfds_data_dir_loads_as_the_mat_does(built):
    manual, data_dir = built
    for by_tfds, by_mat in zip(data.load_tfd_folds(data_dir, train_split="full_train"),
                               data.load_tfd_folds(manual, train_split="full_train")):
        for name in ("train", "valid", "test", "train_labels", "valid_labels", "test_labels"):
            np.testing.assert_array_equal(getattr(by_tfds, name), getattr(by_mat, name), err_msg=name)


def test_dataset_tfd_trains_through_the_tfds_data_dir(built, tmp_path):
    _, data_dir = built
    cfg = Config(dataset="tfd", data_dir=data_dir, batch_size=10, epochs=1, g_hidden_units=(16, 16),
                 d_maxout_units=(8, 8), d_num_pieces=2, noise_dim=4, log_every=2, grid_size=2, parzen_every=1,
                 parzen_samples=20, jit_compile=False)
    result = train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)
    assert result.step == 2 and all(np.isfinite(v) for v in result.metrics.values())  # 20 unlabeled faces


@pytest.mark.parametrize("content,message", [
    (None, "TFD_48x48.mat not found: Manual directory"),
    ({"TFD_96x96.mat": b""}, "TFD_48x48.mat: no such file; tfd/48x48 is built from pylearn2's TFD_48x48.mat"),
    ({"TFD_48x48.mat": b"garbage" * 100}, "TFD_48x48.mat: not a readable MATLAB .mat file"),
])
def test_a_missing_or_bad_manual_file_is_one_line(tmp_path, capsys, content, message):
    manual = tmp_path / "manual"
    manual.mkdir()
    for name, payload in (content or {}).items():
        (manual / name).write_bytes(payload)
    with pytest.raises(SystemExit) as info:  # as `python -m keras_gan.prepare_tfd` reports it
        cli.run_reporting_errors(tfd_dataset_builder.build, str(manual), str(tmp_path / "tfds"))
    err = capsys.readouterr().err.strip()
    assert info.value.code == 1 and len(err.splitlines()) == 1 and err.startswith("error: ") and message in err, err


def test_a_data_dir_with_neither_route_is_one_line(tmp_path):
    with pytest.raises(data.DataError, match=r"holds neither pylearn2's TFD_48x48.mat nor a tensorflow-datasets "
                                             r"build of tfd/48x48 \(python -m keras_gan.prepare_tfd --manual_dir="):
        data.load(dataclasses.replace(Config(), dataset="tfd", data_dir=str(tmp_path)))
    (tmp_path / "tfd" / "48x48").mkdir(parents=True)  # a build that never finished
    with pytest.raises(data.DataError, match="not a complete tensorflow-datasets build of TFD"):
        data.load(dataclasses.replace(Config(), dataset="tfd", data_dir=str(tmp_path)))

"""The tensorflow-datasets path as a fresh install runs it, offline: tfds' own
MNIST builder downloads and prepares the data, then the command line trains on
it without --data_dir. Only the network is replaced: the download manager is
handed the IDX .gz files the tests write, and tfds extracts, parses and writes
them itself. `tfds.testing.mock_data` skips `download_and_prepare`, so it
cannot catch what that step needs (it once failed on a missing
`importlib_resources` before reaching the network)."""

import os
import posixpath
import subprocess
import sys
from unittest import mock

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.image_classification import mnist as tfds_mnist

from keras_gan import data

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepare_mnist(idx_dir, tfds_dir):
    """Runs tfds' `download_and_prepare` for MNIST into `tfds_dir`, each download
    served from the file of the same name in `idx_dir`; returns the builder and
    the URLs tfds asked for."""
    requested = []

    def download_and_extract(dl_manager, urls):
        requested.extend(urls.values())
        return dl_manager.extract({key: os.path.join(idx_dir, posixpath.basename(url)) for key, url in urls.items()})

    # tfds' MNIST generator reads as many examples as its module says MNIST has.
    sizes = {name: len(data.read_idx(os.path.join(idx_dir, data.MNIST_FILES[key] + ".gz"), 1))
             for name, key in (("_TRAIN_EXAMPLES", "train_labels"), ("_TEST_EXAMPLES", "test_labels"))}
    with mock.patch.object(tfds.download.DownloadManager, "download_and_extract", download_and_extract), \
            mock.patch.multiple(tfds_mnist, **sizes):
        builder = tfds.builder("mnist", data_dir=str(tfds_dir))
        builder.download_and_prepare()
    return builder, requested


def test_cli_trains_on_mnist_prepared_by_tfds(mnist_dir, tmp_path):
    tfds_dir = tmp_path / "tensorflow_datasets"
    builder, requested = prepare_mnist(mnist_dir, tfds_dir)
    assert sorted(posixpath.basename(url) for url in requested) == sorted(f + ".gz" for f in data.MNIST_FILES.values())
    assert builder.info.splits["train"].num_examples == 240 and builder.info.splits["test"].num_examples == 40

    # tfds shuffles on write, so the digits are compared as a multiset.
    written = data.read_idx(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz"), 3)
    prepared = np.stack([ex["image"][..., 0] for ex in tfds.as_numpy(builder.as_dataset(split="train"))])
    assert sorted(x.tobytes() for x in prepared) == sorted(x.tobytes() for x in written)

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TFDS_DATA_DIR": str(tfds_dir)}
    out = subprocess.run([sys.executable, "-m", "keras_gan.train", "--dataset=mnist", f"--workdir={tmp_path / 'run'}",
                          "--epochs=1", "--batch_size=20", "--g_hidden_units=16,16", "--d_maxout_units=8,8",
                          "--parzen_every=0", "--max_steps=3"],
                         capture_output=True, text=True, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Trained to step 3" in out.stdout
    assert os.path.isdir(tmp_path / "run" / "checkpoints")

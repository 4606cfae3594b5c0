"""Small fixtures the tests write themselves: IDX files and tiny experiments."""

import gzip
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_gan.config import Config  # noqa: E402


def write_idx(path, array, magic=None, compress=True):
    """Writes `array` (uint8) as an IDX file, gzipped when `compress`."""
    array = np.asarray(array, np.uint8)
    magic = magic if magic is not None else {3: 2051, 1: 2049}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(payload)


def make_digits(n, rng):
    """Blurry blobs in 28 x 28: structured enough for a GAN to learn a little."""
    yy, xx = np.mgrid[:28, :28]
    centres = rng.uniform(8, 20, size=(n, 2))
    d2 = (yy[None] - centres[:, 0, None, None]) ** 2 + (xx[None] - centres[:, 1, None, None]) ** 2
    return (255 * np.exp(-d2 / 18.0)).astype(np.uint8)


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    """A folder with the four MNIST IDX files: 240 training digits, 40 test digits."""
    root = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    write_idx(root / "train-images-idx3-ubyte.gz", make_digits(240, rng))
    write_idx(root / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 240))
    write_idx(root / "t10k-images-idx3-ubyte.gz", make_digits(40, rng))
    write_idx(root / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 40))
    return str(root)


@pytest.fixture
def tiny_config(mnist_dir):
    """The MNIST experiment shrunk to run in seconds."""
    return Config(
        data_dir=mnist_dir,
        batch_size=20,
        epochs=2,
        g_hidden_units=(32, 32),
        d_maxout_units=(16, 16),
        d_num_pieces=2,
        noise_dim=8,
        log_every=5,
        grid_size=2,
        parzen_every=1,
        parzen_samples=50,
        parzen_valid=20,
        jit_compile=False,  # XLA's compile time would dominate these seconds-long runs
    )

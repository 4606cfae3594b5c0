"""What the tests share: files they write themselves (IDX, TFD .mat, CIFAR-10 binaries, PNGs), a reader of
the TensorBoard events a run writes, reference computations, and tiny experiments.

Test modules never import each other or this file: each helper is a fixture that gives the function,
e.g. `def test_x(tmp_path, write_tfd): write_tfd(tmp_path / "TFD_48x48.mat")`.
"""

import dataclasses
import glob
import gzip
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_gan.config import Config  # noqa: E402

# --- Data files ---------------------------------------------------------------------------------------


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


def write_tfd(path, n=60, size=48, folds=None, drop=(), images=None, v73=False, expressions=None, identities=None):
    """Writes a TFD_48x48.mat: `n` random images, rows 20..29 / 30..39 / 40..49 of every fold its
    train / valid / test split (unless `folds` is given), expressions -1 and identities 0 (unless
    given), the keys in `drop` left out; MATLAB v7.3 (HDF5) when `v73`, else the v5 format scipy writes."""
    import h5py
    import scipy.io

    rng = np.random.default_rng(0)
    if folds is None:
        folds = np.zeros((n, 5), np.int64)
        folds[20:30], folds[30:40], folds[40:50] = 1, 2, 3
    mat = {"images": images if images is not None else rng.integers(0, 256, (n, size, size)).astype(np.uint8),
           "folds": folds,
           "labs_ex": np.full((n, 1), -1) if expressions is None else np.reshape(expressions, (n, 1)),
           "labs_id": np.zeros((n, 1)) if identities is None else np.reshape(identities, (n, 1))}
    for key in drop:
        del mat[key]
    if not v73:
        scipy.io.savemat(path, mat)
        return
    # MATLAB v7.3: a 512-byte MATLAB header in the userblock of an HDF5 file, arrays stored transposed.
    with h5py.File(path, "w", userblock_size=512) as f:
        for k, v in mat.items():
            f[k] = np.asarray(v).T
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Nov 26 2026 HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        f.write(header.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02" + b"IM")


def write_cifar(folder, per_file=12, test=10, corrupt=None):
    """Writes CIFAR-10's binary release in `folder`: five training files of `per_file` random
    records and a test file of `test`; returns `folder`."""
    from keras_gan.data import cifar10

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, n in [(f, per_file) for f in cifar10.TRAIN_FILES] + [(cifar10.TEST_FILE, test)]:
        labels = rng.integers(0, 10, (n, 1), dtype=np.uint8)
        pixels = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        (folder / name).write_bytes(np.concatenate([labels, pixels], axis=1).tobytes())
    return folder


def write_png(path, value, size=20, channels=3):
    """Writes a `size` x `size` PNG whose every pixel is `value`."""
    import tensorflow as tf

    image = np.full((size, size, channels), value, np.uint8)
    path.write_bytes(tf.io.encode_png(image).numpy())


@pytest.fixture(name="write_idx", scope="session")
def write_idx_fixture():
    """`write_idx(path, array, magic=None, compress=True)`: an IDX file."""
    return write_idx


@pytest.fixture(name="write_tfd", scope="session")
def write_tfd_fixture():
    """`write_tfd(path, n=60, size=48, folds=None, drop=(), images=None, v73=False, expressions=None,
    identities=None)`: a TFD .mat file."""
    return write_tfd


@pytest.fixture(name="write_cifar", scope="session")
def write_cifar_fixture():
    """`write_cifar(folder, per_file=12, test=10)`: CIFAR-10's binary files; returns the folder."""
    return write_cifar


@pytest.fixture(name="write_png", scope="session")
def write_png_fixture():
    """`write_png(path, value, size=20, channels=3)`: a PNG of one grey level."""
    return write_png


# --- Experiment files ---------------------------------------------------------------------------------

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_flags(*args):
    """The validated `Config` that `python -m keras_gan.train` builds from `args` (flagfiles name each
    other relative to the repository, so they are read from there)."""
    from keras_gan import config

    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return config.parse_args(*args)
    finally:
        os.chdir(cwd)


@pytest.fixture(name="parse_flags", scope="session")
def parse_flags_fixture():
    """`parse_flags(*args)`: the `Config` the command line builds from `args`, e.g. "--flagfile=flags/tfd.cfg"."""
    return parse_flags


# --- TensorBoard events -------------------------------------------------------------------------------


def read_events(path):
    """The TensorBoard events of `path` (a run folder: every events.out.tfevents.* in it, in name order;
    or one events file), read with TensorBoard's own reader: `({tag: [(step, value), ...]}, {tags})`,
    the float scalars and the tags of string tensors (images are encoded PNGs, text the config)."""
    from tensorboard.backend.event_processing import event_accumulator

    paths = [path] if os.path.isfile(path) else sorted(glob.glob(os.path.join(path, "events.out.tfevents.*")))
    scalars, images = {}, set()
    for events_path in paths:
        acc = event_accumulator.EventAccumulator(str(events_path), size_guidance={event_accumulator.TENSORS: 0})
        acc.Reload()
        for tag in acc.Tags()["tensors"]:
            for event in acc.Tensors(tag):
                proto = event.tensor_proto
                value = np.frombuffer(proto.tensor_content, np.float32) if proto.tensor_content else proto.float_val
                if proto.dtype == 1 and len(value) == 1:  # float scalar
                    scalars.setdefault(tag, []).append((event.step, float(value[0])))
                elif proto.dtype == 7:  # string
                    images.add(tag)
    return scalars, images


@pytest.fixture(name="read_events", scope="session")
def read_events_fixture():
    """`read_events(path)`: `({tag: [(step, value), ...]}, {string tags})` of a run folder or one events file."""
    return read_events


# --- References ---------------------------------------------------------------------------------------


def reference_log_likelihood(samples, data, sigma):
    """The obviously correct double loop, in float64."""
    d = samples.shape[1]
    out = []
    for x in data.astype(np.float64):
        terms = [-np.sum((x - mu) ** 2) / (2 * sigma**2) for mu in samples.astype(np.float64)]
        m = max(terms)
        out.append(m + math.log(sum(math.exp(t - m) for t in terms) / len(samples))
                   - d * math.log(sigma * math.sqrt(2 * math.pi)))
    return np.array(out)


@pytest.fixture(name="reference_log_likelihood", scope="session")
def reference_log_likelihood_fixture():
    """`reference_log_likelihood(samples, data, sigma)`: the Parzen log-likelihood of each data point, by a
    float64 double loop."""
    return reference_log_likelihood


def one_dimensional_gan(num_classes=0, update="alternating"):
    """Small MLPs for a 1-D game (as flags/gaussian1d.cfg, no dropout), Adam
    for both players, built."""
    import keras

    from keras_gan.gan import GAN
    from keras_gan.networks import Discriminator, Generator

    generator = Generator(image_shape=(1,), hidden_units=(32, 32), hidden_activations=("relu", "relu"),
                          output_activation="linear", irange=0.5, seed=0)
    discriminator = Discriminator(maxout_units=(32, 32), num_pieces=5, irange=0.1, seed=1, input_include_prob=1.0,
                                  input_scale=1.0, hidden_include_prob=1.0, hidden_scale=1.0)
    gan = GAN(generator, discriminator, noise_dim=1, seed=0, num_classes=num_classes)
    gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5), update=update)
    gan.build()
    gan.build_optimizers()
    return gan


@pytest.fixture(name="one_dimensional_gan", scope="session")
def one_dimensional_gan_fixture():
    """`one_dimensional_gan(num_classes=0, update="alternating")`: a fresh, built GAN for a 1-D game."""
    return one_dimensional_gan


# --- Checkpoint contents -------------------------------------------------------------------------------


def state_by_name(gan, averages):
    """Every weight, momentum, dropout RNG state and average of G of a built `gan`, keyed
    `<player>/<layer>/<weight>` (a checkpoint lists them by position); `averages` is {decay: model}.
    tests/fixtures/main_checkpoints/make_fixtures.py writes the same with older code."""
    values = {}
    for player, model, optimizer in (("generator", gan.generator, gan.g_optimizer),
                                     ("discriminator", gan.discriminator, gan.d_optimizer)):
        for layer in model.layers:
            for w in layer.weights:
                values[f"{player}/{layer.name}/{w.name}"] = w.numpy()
                values[f"{player}_velocity/{layer.name}/{w.name}"] = optimizer.velocities[
                    optimizer._get_variable_index(w)].numpy()
            if hasattr(layer, "seed_generator"):
                values[f"{player}/{layer.name}/rng"] = layer.seed_generator.state.numpy()
        values[f"{player}/iterations"] = optimizer.iterations.numpy()
    for decay, average in averages.items():
        for layer in average.layers:
            for w in layer.weights:
                values[f"ema_{decay:g}/{layer.name}/{w.name}"] = w.numpy()
    values["noise_seed"] = gan.noise_seed.state.numpy()
    return values


@pytest.fixture(name="state_by_name", scope="session")
def state_by_name_fixture():
    """`state_by_name(gan)`: every weight, momentum, RNG state and average of G, keyed by layer name."""
    return lambda gan: state_by_name(gan, dict(zip(gan.averages.decays, gan.averages.models)))


# --- Tiny experiments ---------------------------------------------------------------------------------


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


def _tiny_config(mnist_dir):
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
        monitor_quality=False,  # its classifier's start-up would dominate; test_callbacks.py turns it on
        jit_compile=False,  # XLA's compile time would dominate these seconds-long runs
    )


@pytest.fixture(scope="session")
def make_tiny_config(mnist_dir):
    """`make_tiny_config(**changes)`: a fresh `tiny_config` with `changes`, for fixtures that outlive one
    test (module-scoped runs shared by a file's tests)."""
    return lambda **changes: dataclasses.replace(_tiny_config(mnist_dir), **changes)


@pytest.fixture
def tiny_config(mnist_dir):
    """The MNIST experiment shrunk to run in seconds."""
    return _tiny_config(mnist_dir)

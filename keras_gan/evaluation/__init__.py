"""What `python -m keras_gan.evaluate` runs, one module per method, each returning rows.

    parzen    Table 1's Parzen-window protocol (section 5), with --diagnose
    ais       annealed importance sampling of the same generators (Wu et al. 2017)
    quality   distances in an MNIST classifier's feature space (`keras_gan.quality`)

Every method scores the same sources (`load_sources`: a run's generators at a
checkpoint, an exported generator, or a .npy file of images from any model)
and returns one JSON-ready dict per generator; `write` stores them as JSON
and, for a run folder, as TensorBoard scalars at the checkpoint's step. The
command formats them (`lines` in each module) and does nothing else.
"""

import dataclasses
import os
from typing import Optional

import numpy as np


@dataclasses.dataclass
class Scored:
    """One set of images to score: `samples` in model space (N, ...), named and traced to where they came from."""

    name: str  # "generator" (G), "ema_<decay>" (an average of G), or "samples" (a file)
    samples: np.ndarray
    source: str  # the checkpoint, SavedModel or file
    step: Optional[int] = None  # the checkpoint's step, for a run


def generator_names(run, workdir, checkpoint, generators):
    """The generators a command scores: the given names, "all" (G and each
    average), or by default the monitor's pick for the best checkpoint, else G."""
    from keras_gan import experiment

    if generators in (None, [], ""):
        return [experiment.default_generator(workdir, checkpoint)]
    if generators in (["all"], "all"):
        return list(run.gan.averages.by_name)
    return list(generators)


def samples_from_file(path, dim):
    """Images from a .npy file: (n, ...) flattening to `dim` values in [0, 1] each."""
    from keras_gan.data import DataError

    if not os.path.exists(path):
        raise FileNotFoundError(f"--samples {path}: no such file")
    try:
        samples = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise DataError(f"--samples {path}: not a numpy .npy array ({e})") from None
    if samples.ndim < 2 or int(np.prod(samples.shape[1:])) != dim:
        raise DataError(
            f"--samples {path}: shape {samples.shape} does not flatten to (n, {dim}) images of this data set"
        )
    if len(samples) == 0:
        raise DataError(f"--samples {path}: holds no images (shape {samples.shape}); expected at least one")
    samples = samples.reshape(len(samples), dim).astype(np.float32)
    if np.isnan(samples).any():
        raise DataError(f"--samples {path}: holds NaN values; expected pixels in [0, 1]")
    if not np.all(np.isfinite(samples)) or samples.min() < 0.0 or samples.max() > 1.0:
        raise DataError(
            f"--samples {path}: values must be finite pixels in [0, 1]; got range [{samples.min()}, {samples.max()}]"
        )
    return samples


def samples_from_saved_model(path, count, seed):
    """`count` images from an exported generator, noise seeded by `seed`."""
    import tensorflow as tf

    if not os.path.isdir(path):
        raise FileNotFoundError(f"--saved_model {path}: no such folder")
    loaded = tf.saved_model.load(path)  # held: its variables die with it, mid-call
    return loaded.sample(count, seed)["images"].numpy()


def load_sources(cfg, workdir=None, saved_model=None, samples_path=None, checkpoint="latest", generators=None,
                 num_samples=10000, seed=0):
    """The images to score and the data to score them on.

    Exactly one of `workdir` (its `checkpoint`, see `experiment.find_checkpoint`,
    and its `generators`, see `generator_names`), `saved_model` or
    `samples_path` gives them; `cfg` names the data set. Every generator
    draws the same `num_samples` noise vectors (`seed`).

    Returns:
        (splits, [Scored, ...]).
    """
    from keras_gan import data as data_lib
    from keras_gan import experiment

    if workdir and not (samples_path or saved_model):
        run = experiment.load_run(workdir, checkpoint, cfg)
        scored = []
        for name in generator_names(run, workdir, checkpoint, generators):
            decay = run.gan.averages.decay(name)
            images = run.gan.sample(num_samples, seed=seed, average=decay).numpy()
            scored.append(Scored(name, images, run.checkpoint, run.step))
        return run.splits, scored
    splits = data_lib.load(cfg)
    if samples_path:
        return splits, [Scored("samples", samples_from_file(samples_path, int(np.prod(splits.image_shape))),
                               samples_path)]
    return splits, [Scored("generator", samples_from_saved_model(saved_model, num_samples, seed), saved_model)]


def to_model_space(cfg, splits):
    """images -> the float pixels the models see (flattened (n, d)), as the run's preprocessing makes them."""
    from keras_gan import data as data_lib

    preprocessing = data_lib.Preprocessing(cfg.preprocess, splits.train)

    def convert(images):
        pixels = preprocessing.forward(data_lib.to_float(images)).numpy()
        return pixels.reshape(len(pixels), -1)

    return convert


def _lookup(result, key):
    for part in key if isinstance(key, tuple) else (key,):
        result = result.get(part) if isinstance(result, dict) else None
    return result


def write(results, output=None, workdir=None, prefix=None, scalars=None):
    """Writes `results` to `output` (one dict, or a list for several
    generators), and for a run folder each result's `scalars` ({tag: key or
    key path}) as TensorBoard scalars `<prefix>/<tag>[_<generator>]` at its
    checkpoint step."""
    from keras_gan import averages, experiment

    if output:
        experiment.write_json(output, results[0] if len(results) == 1 else results)
    steps = {r.get("checkpoint_step") for r in results} - {None}
    if not (workdir and steps and scalars):
        return
    import tensorflow as tf

    with tf.summary.create_file_writer(workdir).as_default():
        for result in results:
            suffix = "" if result["generator"] == averages.GENERATOR else f"_{result['generator']}"
            for tag, key in scalars.items():
                value = _lookup(result, key)
                if value is not None:
                    tf.summary.scalar(f"{prefix}/{tag}{suffix}", value, step=result["checkpoint_step"])

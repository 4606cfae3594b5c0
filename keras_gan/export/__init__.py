"""The generator as a TF SavedModel that loads without keras_gan.

    loaded = tf.saved_model.load("runs/mnist/export/generator")
    images = loaded.signatures["serving_default"](noise=z)["images"]   # z: (n, noise_dim)
    int(loaded.noise_dim), loaded.image_shape.numpy(), int(loaded.num_classes)
    images = loaded.sample(16)           # or loaded.sample(16, seed) for a fixed draw

`python -m keras_gan.export --workdir=DIR` (`__main__.py`) writes it from a
run's latest checkpoint through `export_run`. The folder is written beside
its final name and renamed into place, so a reader never sees a half-written
export.
"""

import os
import shutil

import tensorflow as tf

from keras_gan import experiment


class _GeneratorModule(tf.Module):
    def __init__(self, gan, average=None):
        super().__init__(name="generator")
        # Only the exported generator is tracked: tracking the whole GAN would make the SavedModel trace D as well.
        self.generator = gan.averages.model(average)
        self._variables = list(self.generator.variables)
        # Metadata as variables: plain tensors are not saved with a tf.Module.
        self.noise_dim = tf.Variable(gan.noise_dim, trainable=False, name="noise_dim")
        self.image_shape = tf.Variable(gan.generator.image_shape, trainable=False, name="image_shape")
        self.num_classes = tf.Variable(gan.num_classes, trainable=False, name="num_classes")
        dim, classes = gan.noise_dim, gan.num_classes

        if classes:
            @tf.function(input_signature=[tf.TensorSpec([None, dim], tf.float32, name="noise"),
                                          tf.TensorSpec([None], tf.int32, name="label")])
            def serve(noise, label):
                return {"images": gan.generate(noise, label, average=average)}
        else:
            @tf.function(input_signature=[tf.TensorSpec([None, dim], tf.float32, name="noise")])
            def serve(noise):
                return {"images": gan.generate(noise, average=average)}

        @tf.function
        def sample(count, seed=None):
            if seed is None:
                # A seeded stateful op: fresh noise on every call, and allowed under op determinism.
                seed = tf.random.uniform([], maxval=tf.int64.max, dtype=tf.int64, seed=2014)
            count = tf.cast(count, tf.int32)
            # The same draw as GAN.sample(count, seed): z from the key [seed, 0], the classes in turn.
            z = gan.sample_noise(count, tf.stack([tf.cast(seed, tf.int64), 0]))
            out = {"noise": z, "images": gan.generate(z, gan.class_cycle(count), average=average)}
            if classes:
                out["label"] = gan.class_cycle(count)
            return out

        self.serve = serve
        self.sample = sample
        self.sample_with_seed = sample.get_concrete_function(
            tf.TensorSpec([], tf.int32, name="count"), tf.TensorSpec([], tf.int64, name="seed")
        )
        sample.get_concrete_function(tf.TensorSpec([], tf.int32, name="count"))


def recover_interrupted_export(path):
    """Cleans up after an export killed midway: a half-written `.tmp-*` folder
    is removed; a previous export moved aside (`.old-*`) while its successor
    was not yet in place is put back."""
    parent, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(parent):
        return
    for entry in sorted(os.listdir(parent)):
        full = os.path.join(parent, entry)
        if entry.startswith(name + ".tmp-"):
            shutil.rmtree(full, ignore_errors=True)
        elif entry.startswith(name + ".old-"):
            if os.path.exists(path):
                shutil.rmtree(full, ignore_errors=True)
            else:
                os.rename(full, path)


def export_generator(gan, path, average=None):
    """Writes `gan.generator` (or its moving average with decay `average`) as
    a SavedModel at `path`, atomically.

    Signatures: `serving_default(noise: float32 (batch, noise_dim)) ->
    {"images": float32 (batch, *image_shape)}` (a conditional model also
    takes `label: int32 (batch,)`) and `sample(count: int32, seed: int64) ->
    {"images", "noise"}` (and `label`, the classes in turn, for a
    conditional model). The restored object also has `sample(count)` and
    `sample(count, seed)` as plain functions.
    """
    module = _GeneratorModule(gan, average)
    return save_atomically(module, path, {"serving_default": module.serve, "sample": module.sample_with_seed})


def save_atomically(module, path, signatures):
    """`tf.saved_model.save` into a folder beside `path`, then renamed into
    place: `path` is never a half-written SavedModel."""
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    recover_interrupted_export(path)
    tmp, old = f"{path}.tmp-{os.getpid()}", f"{path}.old-{os.getpid()}"
    tf.saved_model.save(module, tmp, signatures=signatures)
    if os.path.exists(path):
        os.rename(path, old)
    os.rename(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def export_run(workdir, checkpoint="latest", generator=None, output=None):
    """Writes one generator of a run folder's checkpoint as a SavedModel (`export_generator`).

    Args:
        workdir: The run folder.
        checkpoint: Which of its checkpoints (`experiment.find_checkpoint`).
        generator: "generator" (G) or "ema_<decay>" (one of its averages);
            default: the validation monitor's pick for a best checkpoint, else G.
        output: The SavedModel's folder (default `<workdir>/export/generator`).

    Returns:
        (the generator's name, the `experiment.Run` it came from, the SavedModel's path).
    """
    run = experiment.load_run(workdir, checkpoint)
    name = generator or experiment.default_generator(workdir, checkpoint)
    path = export_generator(run.gan, output or os.path.join(workdir, "export", "generator"),
                            run.gan.averages.decay(name))
    return name, run, path

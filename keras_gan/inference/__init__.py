"""Learned approximate inference, the paper's second proposed extension
(section 7: "Learned approximate inference can be performed by training an
auxiliary network to predict z given x ... similar to the inference net
trained by the wake-sleep algorithm but with the advantage that the inference
net may be trained for a fixed generator net after the generator net has
finished training").

    python -m keras_gan.inference --workdir=runs/mnist [--steps=5000]     # infer_from_run; the command: __main__.py

E is trained on pairs (G(z), z) with fresh z ~ p_z (the sleep phase), to
minimize ||E(G(z)) - z||^2, with G fixed. Reported: the reconstruction error
mean ||G(E(x)) - x||^2 / d on held-out generated images and on real test
images; a figure of real test images beside G(E(x)); E exported as a
SavedModel (`serving_default`: images -> z) in `<workdir>/export/inference/`.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_gan import data as data_lib
from keras_gan import experiment, figures, summaries
from keras_gan.export import save_atomically


@keras.saving.register_keras_serializable(package="keras_gan")
class InferenceNet(keras.Model):
    """E: an image -> an estimate of the noise z that G maps to it.

    Args:
        noise_dim: Dimension of z.
        hidden_units: Widths of the ReLU hidden layers.
    """

    def __init__(self, noise_dim, hidden_units=(1200, 1200), **kwargs):
        super().__init__(**kwargs)
        self.noise_dim = int(noise_dim)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.hidden = [keras.layers.Dense(u, activation="relu", name=f"h{i}") for i, u in enumerate(self.hidden_units)]
        self.out = keras.layers.Dense(self.noise_dim, name="z")

    def call(self, x):
        h = keras.ops.reshape(x, (keras.ops.shape(x)[0], -1))
        for layer in self.hidden:
            h = layer(h)
        return self.out(h)

    def get_config(self):
        return {**super().get_config(), "noise_dim": self.noise_dim, "hidden_units": self.hidden_units}


def train_inference_net(gan, steps=5000, batch_size=100, learning_rate=1e-3, hidden_units=(1200, 1200), seed=0,
                        verbose=1, average=None):
    """Trains E for the fixed generator of `gan` (its moving average with decay
    `average`, if given); returns E."""
    generator = gan.averages.model(average)
    encoder = InferenceNet(gan.noise_dim, hidden_units)
    encoder(generator(tf.zeros((1, gan.noise_dim))))
    optimizer = keras.optimizers.Adam(learning_rate)

    @tf.function
    def train(start, n):
        for i in tf.range(start, start + n):
            z = gan.sample_noise(batch_size, seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(i, tf.int64)]))
            x = generator(z, training=False)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.reduce_sum(tf.square(encoder(x) - z), axis=1))
            optimizer.apply_gradients(
                zip(tape.gradient(loss, encoder.trainable_variables), encoder.trainable_variables)
            )
        return loss

    progbar = keras.utils.Progbar(steps, verbose=verbose, stateful_metrics=["z_loss"])
    done = 0
    while done < steps:
        chunk = min(500, steps - done)
        loss = train(tf.constant(done, tf.int64), tf.constant(chunk, tf.int64))
        done += chunk
        progbar.update(done, [("z_loss", float(loss))])
    return encoder


def reconstruction_error(gan, encoder, images, batch_size=1000, average=None):
    """Mean squared error per dimension of G(E(x)) against x, one value per image."""
    generator = gan.averages.model(average)
    errors = []
    for i in range(0, len(images), batch_size):
        x = tf.constant(images[i : i + batch_size], tf.float32)
        x_hat = generator(encoder(x), training=False)
        errors.append(tf.reduce_mean(tf.square(tf.reshape(x_hat - x, (len(x), -1))), axis=1).numpy())
    return np.concatenate(errors)


def export_inference_net(encoder, image_shape, path):
    """E as a SavedModel: `serving_default(images) -> {"noise"}`, written atomically."""
    module = tf.Module()
    module.encoder = encoder
    module.serve = tf.function(
        lambda images: {"noise": encoder(images)},
        input_signature=[tf.TensorSpec([None, *image_shape], tf.float32, name="images")],
    )
    return save_atomically(module, path, {"serving_default": module.serve})


def infer_from_run(workdir, checkpoint="latest", generator=None, steps=5000, batch_size=100, learning_rate=1e-3,
                   hidden_units=(1200, 1200), num_images=1000, seed=0, verbose=1):
    """Trains E for one generator of a run folder's checkpoint and measures
    it: writes `<workdir>/inference/result.json` and `reconstructions.png`
    (real test images beside G(E(x))) and exports E to
    `<workdir>/export/inference`.

    Args:
        workdir: The run folder (an unconditional model of image data).
        checkpoint: Which of its checkpoints (`experiment.find_checkpoint`).
        generator: "generator" (G) or "ema_<decay>"; default: the validation
            monitor's pick for a best checkpoint, else G.
        steps, batch_size, learning_rate, hidden_units, seed, verbose: As `train_inference_net`.
        num_images: Test and generated images the errors are measured on.

    Returns:
        (the result: reconstruction errors and their mean-image references, the figure's path, E's export path).
    """
    run = experiment.load_run(workdir, checkpoint)
    cfg, splits, gan = run.config, run.splits, run.gan
    if len(splits.image_shape) != 3 or gan.num_classes:
        raise experiment.TrainingError(
            f"inference needs an unconditional model of image data; {workdir} is "
            f"{'a conditional model (E would need the class too)' if gan.num_classes else cfg.dataset}"
        )
    name = generator or experiment.default_generator(workdir, checkpoint)
    average = gan.averages.decay(name)
    preprocessing = data_lib.Preprocessing(cfg.preprocess, splits.train)
    encoder = train_inference_net(gan, steps, batch_size, learning_rate, hidden_units, seed, verbose=verbose,
                                  average=average)
    test = preprocessing.forward(data_lib.to_float(splits.test[:num_images])).numpy()
    generated = gan.sample(num_images, seed=10**6, average=average).numpy()
    result = {
        "generator": name,
        "step": int(run.step),
        "steps": steps,
        "generated_mse": float(reconstruction_error(gan, encoder, generated, average=average).mean()),
        "test_mse": float(reconstruction_error(gan, encoder, test, average=average).mean()),
        # For scale: the error of always answering the mean image (of G's images, of the training images).
        "mean_image_generated_mse": float(np.mean((generated - generated.mean(axis=0)) ** 2)),
        "mean_image_test_mse": float(
            np.mean((test - preprocessing.forward(data_lib.to_float(splits.train)).numpy().mean(axis=0)) ** 2)
        ),
        "num_images": int(len(test)),
    }
    out_dir = os.path.join(workdir, "inference")
    os.makedirs(out_dir, exist_ok=True)
    figure = figures.write_png(os.path.join(out_dir, "reconstructions.png"),
                               reconstruction_pairs(gan, encoder, test, preprocessing, average))
    export = export_inference_net(encoder, splits.image_shape, os.path.join(workdir, "export", "inference"))
    experiment.write_json(os.path.join(out_dir, "result.json"), result)
    return result, figure, export


def reconstruction_pairs(gan, encoder, images, preprocessing, average=None):
    """A grid of up to 6 rows of 5 pairs: an image of `images` (in model space), then G(E(it))."""
    rows = max(1, min(6, len(images) // 5))
    real = images[: rows * 5]
    if len(real) < rows * 5:  # fewer than 5 images: repeat them to fill the row
        real = np.resize(real, (rows * 5, *real.shape[1:]))
    recon = gan.averages.model(average)(encoder(tf.constant(real)), training=False).numpy()
    pairs = np.stack([real, recon], axis=1).reshape(rows, 5 * 2, *real.shape[1:])
    return summaries.image_grid(preprocessing.inverse(pairs.reshape(-1, *real.shape[1:])), rows, 10)

"""Learned approximate inference, the paper's second proposed extension
(section 7: "Learned approximate inference can be performed by training an
auxiliary network to predict z given x ... similar to the inference net
trained by the wake-sleep algorithm but with the advantage that the inference
net may be trained for a fixed generator net after the generator net has
finished training").

    python -m keras_gan.inference --workdir=runs/mnist [--steps=5000]

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
    from keras_gan.export import save_atomically

    module = tf.Module()
    module.encoder = encoder
    module.serve = tf.function(
        lambda images: {"noise": encoder(images)},
        input_signature=[tf.TensorSpec([None, *image_shape], tf.float32, name="images")],
    )
    return save_atomically(module, path, {"serving_default": module.serve})


def main(argv):
    from absl import flags

    from keras_gan import cli, data, experiment, figures, summaries

    del argv
    cli.quiet_logs()
    FLAGS = flags.FLAGS

    def infer():
        run = experiment.load_run(FLAGS.workdir, FLAGS.checkpoint)
        cfg, splits, gan = run.config, run.splits, run.gan
        if len(splits.image_shape) != 3 or gan.num_classes:
            raise experiment.TrainingError(
                f"inference needs an unconditional model of image data; {FLAGS.workdir} is "
                f"{'a conditional model (E would need the class too)' if gan.num_classes else cfg.dataset}"
            )
        name = FLAGS.generator or experiment.default_generator(FLAGS.workdir, FLAGS.checkpoint)
        average = gan.averages.decay(name)
        preprocessing = data.Preprocessing(cfg.preprocess, splits.train)
        encoder = train_inference_net(
            gan,
            FLAGS.steps,
            FLAGS.batch_size,
            FLAGS.learning_rate,
            tuple(int(u) for u in FLAGS.hidden_units),
            FLAGS.seed,
            average=average,
        )
        test = preprocessing.forward(data.to_float(splits.test[: FLAGS.num_images])).numpy()
        generated = gan.sample(FLAGS.num_images, seed=10**6, average=average).numpy()
        result = {
            "generator": name,
            "step": int(run.step),
            "steps": FLAGS.steps,
            "generated_mse": float(reconstruction_error(gan, encoder, generated, average=average).mean()),
            "test_mse": float(reconstruction_error(gan, encoder, test, average=average).mean()),
            # For scale: the error of always answering the mean image (of G's images, of the training images).
            "mean_image_generated_mse": float(np.mean((generated - generated.mean(axis=0)) ** 2)),
            "mean_image_test_mse": float(
                np.mean((test - preprocessing.forward(data.to_float(splits.train)).numpy().mean(axis=0)) ** 2)
            ),
            "num_images": int(len(test)),
        }
        out_dir = os.path.join(FLAGS.workdir, "inference")
        os.makedirs(out_dir, exist_ok=True)
        rows = max(1, min(6, len(test) // 5))
        real = test[: rows * 5]
        if len(real) < rows * 5:  # fewer than 5 test images: repeat them to fill the row
            real = np.resize(real, (rows * 5, *real.shape[1:]))
        recon = gan.averages.model(average)(encoder(tf.constant(real)), training=False).numpy()
        pairs = np.stack([real, recon], axis=1).reshape(rows, 5 * 2, *real.shape[1:])
        grid = summaries.image_grid(preprocessing.inverse(pairs.reshape(-1, *real.shape[1:])), rows, 10)
        figures.write_png(os.path.join(out_dir, "reconstructions.png"), grid)
        export = export_inference_net(encoder, splits.image_shape, os.path.join(FLAGS.workdir, "export", "inference"))
        experiment.write_json(os.path.join(out_dir, "result.json"), result)
        print(
            f"Reconstruction error, mean squared error per pixel of G(E(x)): generated images "
            f"{result['generated_mse']:.4f} (their mean image: {result['mean_image_generated_mse']:.4f}), real test "
            f"images {result['test_mse']:.4f} (the mean training image: {result['mean_image_test_mse']:.4f})"
        )
        print(f"Wrote {out_dir}/reconstructions.png (pairs: real, G(E(real))) and exported E to {export}")

    cli.run_reporting_errors(infer)


def run():
    from absl import app, flags

    from keras_gan import cli

    flags.DEFINE_string("workdir", None, "A trained keras_gan run folder.", required=True)
    flags.DEFINE_integer("steps", 5000, "Training steps of E.", lower_bound=1)
    flags.DEFINE_integer("batch_size", 100, "Generated images per step.", lower_bound=1)
    flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate of E.", lower_bound=0.0)
    flags.DEFINE_list("hidden_units", ["1200", "1200"], "E's hidden layer widths.")
    flags.DEFINE_integer("num_images", 1000, "Test and generated images the errors are measured on.", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of E's training noise.", lower_bound=0)
    cli.define_generator_flags()
    app.run(main)


if __name__ == "__main__":
    run()

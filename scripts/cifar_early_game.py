"""Why the CIFAR-10 conv discriminator does not move in its first updates: the scale of its logits and gradients.

    python scripts/cifar_early_game.py --images=../shared/data/cifar10-jpeg.tar.gz [--batch=128]

Builds both players of flags/cifar10_conv.cfg at their initial weights (seed 0), as the audit left them (the
release's ceil pooling and untied output biases) and as they were before, and the MNIST players of
flags/mnist_table1.cfg for contrast. On one minibatch of real training images (GCN'd as the release does; read
straight from the JPEG archive) and one of G's samples it prints, for each: the spread of the values after each
of D's stages, D's logits on both batches, D(x) and D(G(z)), and for each of D's weights the norm of the
gradient of D's loss and the relative size of the first SGD step, lr * |grad| / |weight|. Nothing is trained or
written.
"""

import io
import tarfile

import numpy as np
from absl import app, flags

import keras_gan  # noqa: F401  (first: TensorFlow then starts quietly)

flags.DEFINE_string("images", "../shared/data/cifar10-jpeg.tar.gz", "The JPEG copy of CIFAR-10 (train/<class>/*.jpg).")
flags.DEFINE_integer("batch", 128, "Images per minibatch (the release's 128).", lower_bound=2)
FLAGS = flags.FLAGS


def _jpegs(path, n):
    """The first n training images of the archive, (n, 32, 32, 3) uint8."""
    import tensorflow as tf

    images = []
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and "train/" in member.name and member.name.endswith(".jpg"):
                data = archive.extractfile(member).read()
                images.append(tf.io.decode_jpeg(io.BytesIO(data).getvalue(), channels=3).numpy())
                if len(images) == n:
                    break
    return np.stack(images)


def _report(name, cfg, real):
    import tensorflow as tf

    from keras_gan import architectures, data

    shape = real.shape[1:]
    generator = architectures.build_generator(cfg, shape)
    discriminator = architectures.build_discriminator(cfg, shape)
    preprocessing = data.Preprocessing(cfg.preprocess, real)
    x = preprocessing.forward(data.to_float(real))
    z = tf.random.stateless_uniform((len(real), cfg.noise_dim), (0, 1), -1.0, 1.0) if cfg.noise == "uniform" \
        else tf.random.stateless_normal((len(real), cfg.noise_dim), (0, 1))
    fake = generator(z)
    discriminator(x)
    print(f"\n{name}: real inputs std {float(tf.math.reduce_std(x)):.3g}, G's samples std "
          f"{float(tf.math.reduce_std(fake)):.3g}")
    h = x
    for i, (conv, pool) in enumerate(zip(discriminator.convs, discriminator.pools)):
        h = pool(conv(h))
        print(f"  after conv{i} + pool{i} {tuple(h.shape[1:])}: std {float(tf.math.reduce_std(h)):.3g}, "
              f"mean {float(tf.reduce_mean(h)):.3g}")
    with tf.GradientTape() as tape:
        real_logits = discriminator(x, training=True)
        fake_logits = discriminator(fake, training=True)
        loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
    grads = tape.gradient(loss, discriminator.trainable_variables)
    print(f"  logits: real {float(tf.reduce_mean(real_logits)):.3g} +- {float(tf.math.reduce_std(real_logits)):.3g}, "
          f"fake {float(tf.reduce_mean(fake_logits)):.3g} +- {float(tf.math.reduce_std(fake_logits)):.3g}; "
          f"D(x) {float(tf.reduce_mean(tf.sigmoid(real_logits))):.4f}, "
          f"D(G(z)) {float(tf.reduce_mean(tf.sigmoid(fake_logits))):.4f}")
    for variable, grad in zip(discriminator.trainable_variables, grads):
        g, w = float(tf.norm(grad)), float(tf.norm(variable))
        step = cfg.learning_rate * g / w if w else float("nan")
        print(f"  {variable.path:40s} |w| {w:9.3g}  |grad| {g:9.3g}  lr |grad| / |w| {step:9.3g}")


def main(argv):
    del argv
    from keras_gan.config import parse_args

    real = _jpegs(FLAGS.images, FLAGS.batch)
    _report("cifar10_conv.cfg, as audited (ceil pooling, untied output biases)",
            parse_args("--flagfile=flags/cifar10_conv.cfg", "--seed=0"), real)
    _report("cifar10_conv.cfg, as before the audit (Keras pooling, tied biases)",
            parse_args("--flagfile=flags/cifar10_conv.cfg", "--seed=0", "--nod_conv_pool_ceil",
                       "--nog_conv_untied_bias"), real)
    from keras_gan import data

    mnist = data.load_mnist_idx("../shared/data/mnist").train[:FLAGS.batch]
    _report("mnist_table1.cfg (for contrast)", parse_args("--flagfile=flags/mnist_table1.cfg", "--seed=0"), mnist)


if __name__ == "__main__":
    app.run(main)

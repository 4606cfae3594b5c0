"""keras_gan: Generative Adversarial Nets (Goodfellow et al., 2014) in Keras 3 / TensorFlow.

The pieces a Keras user builds with, loaded on first use (importing this
package loads no TensorFlow; `keras_gan.startup_logs` then quiets its
start-up lines when it does load):

    keras_gan.GAN                              the minimax game, Algorithm 1 in train_step; GAN.sample
    keras_gan.Generator, Discriminator         the paper's MNIST players by default (and Conv* variants)
    keras_gan.release_optimizers               both players' SGD with the release's schedules
    keras_gan.callbacks                        SampleGrid, validation_monitor, checkpointer, ... for `fit`
    keras_gan.parzen                           the Parzen-window estimate of Table 1
    keras_gan.quality                          sample quality in an MNIST classifier's features (FD, precision, ...)
    keras_gan.data                             the data sets in memory and their tf.data pipeline
    keras_gan.layers                           Maxout, MaxoutConv2D, ScaledDropout

A whole resumable run, as `python -m keras_gan.train` does it:
`keras_gan.train_lib.train_and_evaluate(config, workdir)`; a run folder read
back: `keras_gan.experiment.load_run(workdir)`.
"""

import importlib

from keras_gan import startup_logs

__version__ = "0.1.0"

_NAMES = {
    "GAN": "keras_gan.gan",
    "Generator": "keras_gan.networks",
    "Discriminator": "keras_gan.networks",
    "ConvGenerator": "keras_gan.networks",
    "ConvDiscriminator": "keras_gan.networks",
    "MomentumSGD": "keras_gan.optimizers",
    "release_optimizers": "keras_gan.optimizers",
    "Config": "keras_gan.config",
}
_SUBMODULES = ("ais", "architectures", "averages", "callbacks", "config", "data", "evaluation", "experiment", "export",
               "gan", "layers", "losses", "networks", "optimizers", "parzen", "quality", "summaries", "sweep_lib",
               "theory")

startup_logs.install()


def __getattr__(name):
    """`keras_gan.GAN`, `keras_gan.parzen`, ...: imported when first asked for."""
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"keras_gan.{name}")
    raise AttributeError(f"module 'keras_gan' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_NAMES, *_SUBMODULES])

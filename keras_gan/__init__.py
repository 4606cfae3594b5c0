"""keras_gan: Generative Adversarial Nets (Goodfellow et al., 2014) in Keras 3 / TensorFlow.

The pieces, each importable on its own (importing this package itself loads
no TensorFlow, so the commands can quiet its start-up logs first):

    keras_gan.gan.GAN                         the minimax game, Algorithm 1 in train_step
    keras_gan.networks.Generator, Discriminator (and their convolutional variants)
    keras_gan.layers.Maxout, MaxoutConv2D, ScaledDropout
    keras_gan.parzen.log_likelihood, evaluate  the Parzen-window estimate of Table 1
    keras_gan.train_lib.train_and_evaluate     a whole resumable run
    keras_gan.experiment.load_run              a run folder read back (config, data, GAN)
"""

__version__ = "0.1.0"

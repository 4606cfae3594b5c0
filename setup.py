"""keras_gan: the Keras 3 / TensorFlow reproduction of Generative Adversarial Nets (Goodfellow et al., 2014)."""

from setuptools import find_packages, setup

setup(
    name="keras_gan",
    version="0.1.0",
    description="Generative Adversarial Nets (Goodfellow et al., 2014) in Keras 3 / TensorFlow, reproduced, measured.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["keras_gan", "keras_gan.*"]),
    # The sample-quality metrics' MNIST classifier: its weights and their SHA-256, read at run time.
    package_data={"keras_gan.quality": ["mnist_classifier.weights.h5", "mnist_classifier.json"]},
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3",
        "tensorflow-datasets",
        # tensorflow-datasets imports importlib_resources but declares it only for Python < 3.9;
        # etils[epath] stopped bringing it in at etils 1.14.
        "importlib_resources",
        "tensorboard",
        "absl-py",
        "numpy",
        "scipy",
    ],
    extras_require={"figures": ["matplotlib"], "test": ["pytest", "matplotlib"]},
    entry_points={
        "console_scripts": [
            "keras-gan-train=keras_gan.train:run",
            "keras-gan-evaluate=keras_gan.evaluate:run",
            "keras-gan-export=keras_gan.export.__main__:run",
            "keras-gan-figures=keras_gan.figures.__main__:run",
            "keras-gan-inference=keras_gan.inference.__main__:run",
            "keras-gan-sweep=keras_gan.sweep:run",
        ]
    },
)

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from keras_gan import data, experiment, inference, train_lib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_inference_net_learns_to_invert_the_generator(tiny_config, tmp_path):
    # Weights large enough that G is far from constant, so z can be read back off G(z).
    cfg = dataclasses.replace(tiny_config, epochs=1, parzen_every=0, g_irange=0.5)
    gan = experiment.build_gan(cfg, data.load(cfg))
    z = gan.sample_noise(200, seed=tf.constant([5, 5], tf.int64))
    x = gan.generator(z).numpy()
    untrained = inference.InferenceNet(cfg.noise_dim, (32,))
    untrained(x[:1])
    encoder = inference.train_inference_net(gan, steps=600, hidden_units=(64,), verbose=0)
    z_error = lambda e: float(tf.reduce_mean(tf.square(e(x) - z)))  # noqa: E731
    assert z_error(encoder) < 0.5 * z_error(untrained)
    assert (inference.reconstruction_error(gan, encoder, x).mean()
            < inference.reconstruction_error(gan, untrained, x).mean())
    path = inference.export_inference_net(encoder, (28, 28, 1), str(tmp_path / "export" / "inference"))
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](images=tf.constant(x[:3]))["noise"]
    np.testing.assert_allclose(out.numpy(), encoder(x[:3]).numpy(), rtol=1e-5, atol=1e-6)


def run_inference(workdir, *extra):
    return subprocess.run([sys.executable, "-m", "keras_gan.inference", f"--workdir={workdir}", *extra],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_inference_command(tiny_config, tmp_path):
    """E reconstructs G's images far better than the best constant answer
    (their mean image), and the command writes its figure, result and export.
    (On real test images a G as small and short-trained as this one does no
    better than the mean training image; the MNIST run of docs/extensions.md does.)"""
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=0, g_irange=0.5,
                                                     ema_decays=(0.5,)), workdir, verbose=0)
    out = run_inference(workdir, "--steps=600", "--hidden_units=64", "--num_images=40", "--generator=ema_0.5")
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(open(os.path.join(workdir, "inference", "result.json")).read())
    assert result["generator"] == "ema_0.5" and result["step"] > 0, result
    assert result["generated_mse"] < 0.1 * result["mean_image_generated_mse"], result
    assert f"generated images {result['generated_mse']:.4f}" in out.stdout
    assert os.path.exists(os.path.join(workdir, "inference", "reconstructions.png"))
    assert os.path.isdir(os.path.join(workdir, "export", "inference"))


def test_inference_refuses_a_conditional_model_in_one_line(tiny_config, tmp_path):
    workdir = str(tmp_path / "run")
    cfg = dataclasses.replace(tiny_config, epochs=1, parzen_every=0, conditional=True)
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    out = run_inference(workdir, "--steps=10")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("error: inference needs an unconditional model")

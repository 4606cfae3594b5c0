"""The whole path: flags -> training -> TensorBoard events -> SavedModel, and resume."""

import dataclasses
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from keras_gan import data, experiment, train_lib
from keras_gan.errors import TrainingError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_training_writes_events_checkpoints_and_a_loadable_export(tiny_config, tmp_path, read_events):
    workdir = str(tmp_path / "run")
    result = train_lib.train_and_evaluate(tiny_config, workdir, verbose=0)
    assert result.step == 2 * 10  # 200 training images / batch 20, two epochs
    scalars, strings = read_events(workdir)
    for tag in ("d_loss", "g_loss", "d_real", "d_fake", "value", "learning_rate", "momentum",
                "parzen/valid_log_likelihood"):
        assert tag in scalars, tag
    assert [s for s, _ in scalars["d_loss"]] == [5, 10, 15, 20]
    assert {"samples", "config"} <= strings
    assert all(0.0 <= v <= 1.0 for _, v in scalars["d_real"])
    assert os.path.exists(os.path.join(workdir, "checkpoints", "ckpt-20.index"))
    # The export's signatures and metadata, read without keras_gan: test_export.py.
    assert result.export_path == os.path.join(workdir, "export", "generator")
    loaded = tf.saved_model.load(result.export_path)  # held: the restored functions need its variables alive
    assert loaded.sample(2)["images"].shape == (2, 28, 28, 1)


def test_running_again_resumes_the_step_counter(tiny_config, tmp_path, read_events):
    workdir = str(tmp_path / "run")
    first = train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=0), workdir, verbose=0)
    assert first.step == 10
    second = train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=3, parzen_every=0), workdir,
                                          verbose=0)
    assert second.step == 30
    steps = [s for s, _ in read_events(workdir)[0]["d_loss"]]
    assert steps == sorted(steps) and steps[-1] == 30 and len(steps) == len(set(steps))


def run_state(gan):
    """Every number a resume must restore: both players, both optimizers'
    slots and counters, G's averages and every RNG state."""
    return [(v.path, v.numpy()) for v in (
        gan.generator.variables + gan.discriminator.variables + gan.d_optimizer.variables
        + gan.g_optimizer.variables + [w for a in gan.averages.models for w in a.weights]
        + [gan.noise_seed.state])]


def test_a_run_that_ends_mid_epoch_still_draws_its_samples(tiny_config, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, parzen_every=0, max_steps=7), workdir, verbose=0)
    acc = event_accumulator.EventAccumulator(glob.glob(os.path.join(workdir, "events.out.tfevents.*"))[0],
                                             size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    assert [event.step for event in acc.Tensors("samples")] == [7]  # 10 steps make an epoch: none ended


def test_resume_is_exact(tiny_config, tmp_path):
    """A run stopped and resumed ends with the same weights, optimizer slots,
    averages and RNG states as one that was not."""
    cfg = dataclasses.replace(tiny_config, parzen_every=0, epochs=2, ema_decays=(0.9,))
    train_lib.train_and_evaluate(cfg, str(tmp_path / "straight"), verbose=0)
    train_lib.train_and_evaluate(dataclasses.replace(cfg, max_steps=7), str(tmp_path / "resumed"), verbose=0)
    train_lib.train_and_evaluate(cfg, str(tmp_path / "resumed"), verbose=0)
    straight, resumed = (run_state(experiment.load_run(str(tmp_path / name)).gan) for name in ("straight", "resumed"))
    # G 6, D 6 + 3 dropout RNG states, 2 x (6 velocities + a counter), the average's 6, the noise RNG state.
    assert len(straight) == len(resumed) == 6 + 9 + 14 + 6 + 1
    assert any("velocity" in k for k, _ in straight) and any("ema_0.9" in k for k, _ in straight)
    for (name, a), (_, b) in zip(straight, resumed):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


def test_annealed_input_noise_trains_and_resumes_exactly(tiny_config, tmp_path):
    """--d_input_noise_anneal_updates reads G's step count, which the checkpoint restores: stopped inside the
    anneal (step 7 of 12) and resumed, the run ends as one that was not stopped; the schedule adds no variable."""
    cfg = dataclasses.replace(tiny_config, parzen_every=0, epochs=2, d_input_noise=0.3, d_input_noise_anneal_updates=12)
    train_lib.train_and_evaluate(cfg, str(tmp_path / "straight"), verbose=0)
    train_lib.train_and_evaluate(dataclasses.replace(cfg, max_steps=7), str(tmp_path / "resumed"), verbose=0)
    train_lib.train_and_evaluate(cfg, str(tmp_path / "resumed"), verbose=0)
    straight, resumed = (run_state(experiment.load_run(str(tmp_path / name)).gan) for name in ("straight", "resumed"))
    constant = run_state(experiment.build_gan(dataclasses.replace(cfg, d_input_noise_anneal_updates=0),
                                              data.load(cfg)))
    assert [a.shape for _, a in straight] == [a.shape for _, a in constant]
    for (name, a), (_, b) in zip(straight, resumed):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


def test_a_non_finite_loss_stops_training_and_keeps_the_checkpoint(tiny_config, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=0), workdir, verbose=0)
    checkpoints = os.path.join(workdir, "checkpoints")
    with pytest.raises(TrainingError, match="non-finite at step"):
        train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=2, parzen_every=0, learning_rate=1e30),
                                     workdir, verbose=0)
    assert sorted(f for f in os.listdir(checkpoints) if f.endswith(".index")) == ["ckpt-10.index"]


def run_cli(*args, cwd=REPO):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_cli_trains_from_a_flagfile(mnist_dir, tmp_path):
    out = run_cli("keras_gan.train", "--flagfile=flags/mnist.cfg", f"--data_dir={mnist_dir}", "--epochs=1",
                  "--g_hidden_units=16,16", "--d_maxout_units=8,8", "--batch_size=50", "--parzen_every=0",
                  f"--workdir={tmp_path / 'run'}")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Exported the generator" in out.stdout
    assert os.path.isdir(tmp_path / "run" / "export" / "generator")
    # A quiet start: none of TensorFlow's start-up lines (keras_gan/startup_logs.py).
    assert "cuInit" not in out.stderr and "InitializeLog" not in out.stderr, out.stderr
    assert not re.search(r"^[IWEF]\d{4} ", out.stderr, re.M), out.stderr
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["learning_rate"] == 0.1 and config["lr_decay_factor"] == 1.000004 and config["d_input_scale"] == 1.25


def test_without_workdir_the_run_goes_to_runs_dataset(mnist_dir, tmp_path):
    """In the current folder (here a copy of flags/, never the repository's runs/)."""
    shutil.copytree(os.path.join(REPO, "flags"), tmp_path / "flags")
    env = {**os.environ, "PYTHONPATH": REPO}
    out = subprocess.run([sys.executable, "-m", "keras_gan.train", "--flagfile=flags/mnist.cfg",
                          f"--data_dir={mnist_dir}", "--max_steps=10", "--g_hidden_units=16,16",
                          "--d_maxout_units=8,8", "--batch_size=20", "--parzen_every=0", "--nojit_compile"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Run folder: runs/mnist (--workdir not given)" in out.stdout
    assert os.path.exists(tmp_path / "runs" / "mnist" / "checkpoints" / "ckpt-10.index")


def test_the_reproduction_without_a_data_folder_takes_the_tfds_path(tmp_path):
    """No network is used: tensorflow-datasets' data_dir is a file, so tfds fails before it could download."""
    for folder in ("scripts", "flags"):
        shutil.copytree(os.path.join(REPO, folder), tmp_path / folder)
    (tmp_path / "not_a_folder").write_text("")
    env = {**os.environ, "PYTHONPATH": REPO, "TFDS_DATA_DIR": str(tmp_path / "not_a_folder")}
    out = subprocess.run(["bash", str(tmp_path / "scripts" / "reproduce_table1.sh")], capture_output=True, text=True,
                         cwd=tmp_path, env=env)
    assert out.returncode != 0
    assert out.stderr.strip().splitlines()[-1].startswith("error: tensorflow-datasets could not load mnist"), out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("flag,message", [
    ("--batch_size=0", "batch_size"),
    ("--k_steps=0", "k_steps"),
    ("--noise=cauchy", "noise"),
    ("--g_architecture=dcgan", "--g_architecture must be one of mlp, conv; got 'dcgan'"),
    ("--update=simultaneous --k_steps=2", "--update=simultaneous needs --k_steps=1"),
    ("--flagfile=flags/no_such.cfg", "no_such.cfg"),
])
def test_cli_bad_flag_is_one_clear_error(flag, message, tmp_path):
    out = run_cli("keras_gan.train", *flag.split(), f"--workdir={tmp_path}")
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_corrupt_idx_is_one_clear_error(mnist_dir, tmp_path):
    import shutil

    data_dir = tmp_path / "mnist"
    shutil.copytree(mnist_dir, data_dir)
    (data_dir / "t10k-images-idx3-ubyte.gz").write_bytes(b"garbage")
    out = run_cli("keras_gan.train", f"--data_dir={data_dir}", f"--workdir={tmp_path / 'run'}")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "t10k-images-idx3-ubyte.gz: not a gzip file" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains_and_exports_float32_images(tiny_config, tmp_path, policy):
    cfg = dataclasses.replace(tiny_config, epochs=1, parzen_every=0, mixed_precision=policy)
    result = train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)
    assert all(np.isfinite(v) for v in result.metrics.values())
    loaded = tf.saved_model.load(result.export_path)
    images = loaded.sample(3)["images"]
    assert images.dtype == tf.float32 and images.shape == (3, 28, 28, 1)
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the global policy is left as it was

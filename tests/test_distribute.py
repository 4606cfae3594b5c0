"""tf.distribute on one machine, with the real engine: two logical CPU devices
under MirroredStrategy, and two local worker processes under
MultiWorkerMirroredStrategy. Each runs in its own process, since TensorFlow's
devices and collectives are fixed once initialized."""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

MIRRORED_VS_ONE_DEVICE = textwrap.dedent("""
    import numpy as np, tensorflow as tf
    from keras_gan import distribute
    distribute.configure_cpu_devices(2)
    from keras_gan.gan import GAN
    from keras_gan.networks import Discriminator, Generator
    from keras_gan.optimizers import MomentumSGD

    TABLE = tf.constant(np.random.default_rng(0).uniform(-1, 1, (64, 3)).astype("float32"))

    class FixedNoiseGAN(GAN):
        # Noise fixed by position in the global batch (replica r holds rows r*b..(r+1)*b),
        # so both runs see the same z; dropout is off. Only the engine differs.
        def sample_noise(self, batch_size, seed=None):
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            return TABLE[replica * batch_size: (replica + 1) * batch_size]

    def run(strategy):
        with strategy.scope():
            g = Generator(image_shape=(4, 4, 1), hidden_units=(16,), hidden_activations=("relu",), seed=1)
            d = Discriminator(maxout_units=(8,), num_pieces=2, irange=0.1, input_include_prob=1.0, input_scale=1.0,
                              hidden_include_prob=1.0, hidden_scale=1.0, seed=2)
            gan = FixedNoiseGAN(g, d, noise_dim=3, seed=3)
            gan.compile(MomentumSGD(0.1, 0.5), MomentumSGD(0.1, 0.5))
            gan.build(); gan.build_optimizers()
        data = np.random.default_rng(1).uniform(size=(5 * 16, 4, 4, 1)).astype("float32")
        dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(data).batch(16))
        @tf.function
        def step(batch):
            strategy.run(gan.train_step, args=(batch,))
        for batch in dataset:
            step(batch)
        return [v.numpy() for v in gan.generator.variables + gan.discriminator.variables if v.trainable]

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    a, b = run(tf.distribute.get_strategy()), run(mirrored)
    print(json.dumps({"max_diff": max(float(np.abs(x - y).max()) for x, y in zip(a, b)),
                      "max_weight": max(float(np.abs(x).max()) for x in a)}))
""").replace("import numpy as np", "import json, numpy as np")


def test_mirrored_over_two_cpu_devices_matches_one_device():
    out = subprocess.run([sys.executable, "-c", MIRRORED_VS_ONE_DEVICE], capture_output=True, text=True, env=ENV,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # float32 sums in a different order across replicas: agreement to 1e-5 of weights of size ~0.1.
    assert result["max_diff"] < 1e-5, result
    assert result["max_weight"] > 0.01


def test_cli_trains_with_mirrored_on_two_logical_devices(mnist_dir, tmp_path):
    out = subprocess.run([sys.executable, "-m", "keras_gan.train", "--strategy=mirrored", "--num_cpu_devices=2",
                          f"--data_dir={mnist_dir}", "--epochs=1", "--batch_size=20", "--g_hidden_units=16,16",
                          "--d_maxout_units=8,8", "--noise_dim=4", "--parzen_every=1", "--parzen_samples=40",
                          "--ema_decays=0.9", f"--workdir={tmp_path / 'run'}"],
                         capture_output=True, text=True, env=ENV, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "MirroredStrategy with 2 replica(s); global batch 20" in out.stdout
    assert "Trained to step 10" in out.stdout
    # The average of G is updated across replicas (in cross-replica context) and scored by the monitor.
    assert re.search(r"validation monitor .*: generator -?\d+\.\d .*, ema_0.9 -?\d+\.\d", out.stdout), out.stdout


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_two_workers(mnist_dir, workdir, epochs):
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = {**ENV, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "keras_gan.train", "--strategy=multi_worker", f"--data_dir={mnist_dir}",
             f"--epochs={epochs}", "--batch_size=20", "--g_hidden_units=16,16", "--d_maxout_units=8,8",
             "--noise_dim=4", "--parzen_every=0", f"--workdir={workdir}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO))
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_stdout, stderr) in zip(procs, outs):
        assert p.returncode == 0, stderr[-3000:]
    return [o[0] for o in outs]


def test_two_local_workers_train_write_once_and_resume(mnist_dir, tmp_path):
    workdir = tmp_path / "run"
    chief_out, worker_out = run_two_workers(mnist_dir, workdir, epochs=1)
    assert "MultiWorkerMirroredStrategy with 2 replica(s)" in chief_out
    assert "Exported the generator" in chief_out and "Exported the generator" not in worker_out
    checkpoints = sorted(f for f in os.listdir(workdir / "checkpoints") if f.endswith(".index"))
    assert checkpoints == ["ckpt-10.index"]
    assert os.path.isdir(workdir / "export" / "generator")
    assert len([f for f in os.listdir(workdir) if f.startswith("events.out")]) == 1
    chief_out, worker_out = run_two_workers(mnist_dir, workdir, epochs=2)
    assert "Resuming from" in chief_out and "Trained to step 20" in chief_out
    checkpoints = sorted(f for f in os.listdir(workdir / "checkpoints") if f.endswith(".index"))
    assert checkpoints == ["ckpt-10.index", "ckpt-20.index"]

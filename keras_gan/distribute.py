"""Training beyond one device through `tf.distribute`, nothing home-made.

`--strategy` picks one; `--batch_size` is always the global batch, split
evenly across replicas. The GAN's losses are per-replica means divided by the
number of replicas, so the optimizers' all-reduce (a sum) applies the
global-batch mean gradient; each replica draws its own noise and dropout masks.
"""

import json
import os
import shutil
import tempfile

import tensorflow as tf

from keras_gan.config import STRATEGIES
from keras_gan.errors import TrainingError


def configure_cpu_devices(count):
    """Splits the CPU into `count` logical devices (for trying `mirrored` on a
    machine without GPUs). Must run before TensorFlow touches a device."""
    if count > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def make_strategy(name, tpu=""):
    """The `tf.distribute.Strategy` called `name`.

    auto: mirrored over all GPUs when there are several, else the default
    strategy. mirrored: all GPUs, or all logical CPU devices when there is no
    GPU. multi_worker: `MultiWorkerMirroredStrategy`, configured by the
    `TF_CONFIG` environment variable. tpu: `TPUStrategy` on the TPU at `tpu`
    ("" for the local one, or a name or grpc:// address).
    """
    # Collective ops must be set up before anything initializes the runtime,
    # which listing logical devices does.
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "--strategy=multi_worker needs the TF_CONFIG environment variable (see docs/scaling.md)"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if name == "auto":
        name = "mirrored" if len(tf.config.list_physical_devices("GPU")) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
    if name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}; got {name!r}")


def strategy_for(config):
    """The strategy `config.strategy` names, after splitting the CPU into
    `config.num_cpu_devices` logical devices if asked; a `TrainingError` for
    a setting that cannot be honoured."""
    try:
        configure_cpu_devices(config.num_cpu_devices)
    except RuntimeError:
        raise TrainingError("--num_cpu_devices must be set before TensorFlow initializes its devices") from None
    try:
        return make_strategy(config.strategy, config.tpu)
    except ValueError as e:
        raise TrainingError(str(e)) from None


def replica_seed(seed_generator):
    """The next stateless seed of `seed_generator`, made distinct per replica.

    Every replica advances the same (checkpointed) generator state in step, so
    without the replica id in the seed all replicas would draw the same noise
    and dropout masks.
    """
    seed = tf.cast(seed_generator.next(), "int64")
    context = tf.distribute.get_replica_context()
    if context is not None:
        replica = tf.cast(context.replica_id_in_sync_group, "int64")
        seed = seed + tf.stack([replica * 1_000_003, tf.constant(0, "int64")])
    return seed


def is_chief(strategy):
    """Whether this process writes the run's files (always, except on the
    non-chief workers of a multi-worker run)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None:
        return True
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in cluster)


class WorkerFiles:
    """Where this process writes: the workdir on the chief; elsewhere a
    temporary folder (the collective saves need every worker to write), removed
    at the end."""

    def __init__(self, workdir, chief):
        self.chief = chief
        self.root = workdir if chief else tempfile.mkdtemp(prefix="keras_gan_worker_")

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def cleanup(self):
        if not self.chief:
            shutil.rmtree(self.root, ignore_errors=True)

"""What a run writes to TensorBoard: scalars, sample grids and its settings."""

import os

import numpy as np
import tensorflow as tf


def image_grid(images, rows, cols):
    """Tiles `rows * cols` images (N, H, W, C) into one (1, rows*H, cols*W, C)
    image with 1-pixel white borders, as TensorBoard expects."""
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    if n < rows * cols:
        raise ValueError(f"image_grid needs {rows * cols} images; got {n}")
    grid = np.ones((rows * (h + 1) + 1, cols * (w + 1) + 1, c), np.float32)
    for i in range(rows * cols):
        r, col = divmod(i, cols)
        grid[1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + col * (w + 1): 1 + col * (w + 1) + w] = images[i]
    return np.clip(grid, 0.0, 1.0)[None]


_WRITERS = {}


def file_writer(log_dir):
    """One `tf.summary` writer per folder in this process, so the callbacks
    given the same `log_dir` under `fit` write one events file, as the
    command's loop does."""
    key = os.path.abspath(log_dir)
    if key not in _WRITERS:
        _WRITERS[key] = tf.summary.create_file_writer(log_dir)
    return _WRITERS[key]


def write_scalars(writer, step, scalars, prefix=""):
    with writer.as_default(step=step):
        for name, value in scalars.items():
            tf.summary.scalar(prefix + name, value)


def write_config(writer, config_json, step):
    """Records the run's settings as a text summary (TensorBoard's Text tab)."""
    with writer.as_default(step=step):
        tf.summary.text("config", "```\n" + config_json + "\n```")


def write_hparams(writer, config, trial_id=None):
    """Records the run's settings with TensorBoard's HParams plugin, so `tensorboard --logdir` over several runs
    (a sweep) compares them in its HParams tab, beside the scores each run writes (`best/...`)."""
    import dataclasses

    from tensorboard.plugins.hparams import api as hp

    values = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if isinstance(value, tuple):
            value = ",".join(map(str, value))
        values[field.name] = "" if value is None else value
    with writer.as_default():
        hp.hparams(values, trial_id=trial_id)


def read_scalars(workdir, tags=None):
    """A run's float scalars read back with TensorBoard's own reader.

    Args:
        workdir: a run folder; every `events.out.tfevents.*` in it is read, one
            per training process (a resumed run has one per invocation).
        tags: the tags to return (default: all float scalars).

    Returns:
        `{tag: [(step, elapsed_seconds, value), ...]}` sorted by step, where
        `elapsed_seconds` is training wall-clock time: within each process the
        time since that process's first event, plus the whole span of every
        earlier process (the time a run spent stopped is not counted). A step
        written twice (after a resume from an earlier checkpoint) keeps its
        last value.
    """
    import glob

    from tensorboard.backend.event_processing import event_accumulator

    paths = glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
    events, spans = [], {}  # spans: each file's first and last event of any kind (the settings come first)
    for path in paths:
        acc = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.TENSORS: 0})
        acc.Reload()
        for tag in acc.Tags()["tensors"]:
            for event in acc.Tensors(tag):
                first, last = spans.get(path, (event.wall_time, event.wall_time))
                spans[path] = (min(first, event.wall_time), max(last, event.wall_time))
                proto = event.tensor_proto
                value = np.frombuffer(proto.tensor_content, np.float32) if proto.tensor_content else proto.float_val
                if proto.dtype == 1 and len(value) == 1 and (tags is None or tag in tags):
                    events.append((path, event.wall_time, tag, event.step, float(value[0])))
    offset, before = 0.0, {}
    for path, (first, last) in sorted(spans.items(), key=lambda item: item[1][0]):
        before[path] = offset
        offset += last - first
    points = {}
    for path, wall_time, tag, step, value in sorted(events, key=lambda e: e[1]):
        points.setdefault(tag, {})[step] = (step, before[path] + wall_time - spans[path][0], value)
    return {tag: sorted(by_step.values()) for tag, by_step in points.items()}

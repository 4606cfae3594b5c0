"""What a run writes to TensorBoard: scalars, sample grids and its settings; the scalars and grids read back."""

import glob
import os
import struct

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

from keras_gan import cli


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


def read_scalars(workdir, tags=None, skipped=None):
    """A run's float scalars read back from its events files.

    Args:
        workdir: a run folder; every `events.out.tfevents.*` in it is read, one
            per training process (a resumed run has one per invocation).
        tags: the tags to return (default: all float scalars).
        skipped: a list that gets one line per events file with records cut
            short or garbled (the file, which bytes); by default each such line
            is a warning on stderr. The intact records around them are read.

    Returns:
        `{tag: [(step, elapsed_seconds, value), ...]}` sorted by step, where
        `elapsed_seconds` is training wall-clock time: within each process the
        time since that process's first event, plus the whole span of every
        earlier process (the time a run spent stopped is not counted). A step
        written twice (after a resume from an earlier checkpoint) keeps its
        last value.
    """
    events, spans = [], {}  # spans: each file's first and last event with a tensor (the settings come first)
    for path, event in _run_events(workdir, skipped):
        for value in event.summary.value:
            if not value.HasField("tensor"):
                continue
            first, last = spans.get(path, (event.wall_time, event.wall_time))
            spans[path] = (min(first, event.wall_time), max(last, event.wall_time))
            proto = value.tensor
            number = np.frombuffer(proto.tensor_content, np.float32) if proto.tensor_content else proto.float_val
            if proto.dtype == 1 and len(number) == 1 and (tags is None or value.tag in tags):
                events.append((path, event.wall_time, value.tag, event.step, float(number[0])))
    offset, before = 0.0, {}
    for path, (first, last) in sorted(spans.items(), key=lambda item: item[1][0]):
        before[path] = offset
        offset += last - first
    points = {}
    for path, wall_time, tag, step, value in sorted(events, key=lambda e: e[1]):
        points.setdefault(tag, {})[step] = (step, before[path] + wall_time - spans[path][0], value)
    return {tag: sorted(by_step.values()) for tag, by_step in points.items()}


def read_images(workdir, tag, skipped=None):
    """The image summaries `tag` of a run (the sample grids `SampleGrid`
    writes: "samples" for G, "samples/ema_<decay>" for an average), read back
    from its events files.

    Args:
        workdir: a run folder; every `events.out.tfevents.*` in it is read, in
            the order of their names (the order the processes started).
        tag: the image summary's tag.
        skipped: as `read_scalars`'s: a list that gets one line per damaged
            events file (default: a warning on stderr); the intact records
            around the damage are read.

    Returns:
        `[(step, uint8 array (H, W, C)), ...]` sorted by step, the first image
        of each summary; a step written twice (after a resume) keeps the
        later file's.
    """
    by_step = {}
    for step, value in _image_values(workdir, skipped):
        if value.tag == tag:
            by_step[step] = value.tensor.string_val[2]  # the tensor: width, height, then one PNG per image
    return [(step, tf.io.decode_png(png).numpy()) for step, png in sorted(by_step.items())]


def image_tags(workdir):
    """The tags of the image summaries a run wrote (for an error that lists them)."""
    return sorted({value.tag for _, value in _image_values(workdir, [])})


def _image_values(workdir, skipped):
    """(step, summary value) of every image summary in a run's events files, in the order written."""
    for _, event in _run_events(workdir, skipped):
        for value in event.summary.value:
            if (value.HasField("tensor") and value.metadata.plugin_data.plugin_name == "images"
                    and len(value.tensor.string_val) > 2):
                yield event.step, value


def _run_events(workdir, skipped):
    """(path, event) of the intact events of every `events.out.tfevents.*` in `workdir`, file by file in the
    order of their names (the order the processes started), each file in the order written."""
    for path in sorted(glob.glob(os.path.join(workdir, "events.out.tfevents.*"))):
        with open(path, "rb") as f:
            data = f.read()
        for event in _events(path, data, skipped):
            yield path, event


def _events(path, data, skipped):
    """The intact events of one events file's bytes `data`, saying what was
    skipped (`read_scalars`'s `skipped`)."""
    records, damaged = _records(data)
    events = []
    for start, record in records:
        try:
            events.append(event_pb2.Event.FromString(record))
        except DecodeError:  # checksums that hold over bytes that are no event
            damaged.append((start, start + len(record) + 16))
    if damaged:
        where = ", ".join(f"{a}-{b}" for a, b in sorted(damaged))
        line = (f"{path} is damaged (bytes {where} of its {len(data)} bytes are cut short or garbled); read its "
                f"{len(events)} intact events")
        if skipped is None:
            cli.warn(line)
        else:
            skipped.append(line)
    return events


def _records(data):
    """The intact records of a TFRecord file's bytes (an events file: each
    record is its length, the length's checksum, the record and its checksum)
    and the `(start, end)` byte ranges that are not. Reading goes on at the
    next place where an intact record starts, so a garbled stretch costs only
    the records it touches. Records come as `(offset, bytes)`."""
    records, damaged, offset, bad = [], [], 0, None
    while offset < len(data):
        record = _record_at(data, offset)
        if record is None:
            bad = offset if bad is None else bad
            offset += 1
            continue
        if bad is not None:
            damaged.append((bad, offset))
            bad = None
        records.append((offset, record))
        offset += len(record) + 16
    if bad is not None:
        damaged.append((bad, len(data)))
    return records, damaged


def _record_at(data, offset):
    """The record that starts at `offset` of `data` if both its checksums hold, else None."""
    header = data[offset:offset + 12]
    if len(header) < 12 or struct.unpack("<I", header[8:])[0] != masked_crc32c(header[:8]):
        return None
    end = offset + 12 + struct.unpack("<Q", header[:8])[0]
    if end + 4 > len(data) or struct.unpack("<I", data[end:end + 4])[0] != masked_crc32c(data[offset + 12:end]):
        return None
    return data[offset + 12:end]

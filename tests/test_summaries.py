"""keras_gan.summaries: the grid TensorBoard shows and the scalars read back."""

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from keras_gan import summaries


def _write(folder, suffix, events):
    """Writes `(wall_time, tag, step, value)` float scalars (value None: a string tensor) to one events file."""
    writer = EventFileWriter(str(folder), filename_suffix=suffix)
    for wall_time, tag, step, value in events:
        if value is None:
            tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"settings"])
        else:
            tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
        metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="x"))
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])
        writer.add_event(event_pb2.Event(wall_time=wall_time, step=step, summary=summary))
    writer.close()


def test_image_grid_tiles_with_white_borders():
    images = np.zeros((6, 2, 3, 1), np.float32)
    grid = summaries.image_grid(images, rows=2, cols=3)
    assert grid.shape == (1, 2 * 3 + 1, 3 * 4 + 1, 1)
    assert grid[0, 0].min() == 1.0 and grid[0, 1, 1:4].max() == 0.0


def test_read_scalars_counts_training_time_only(tmp_path):
    # First process: settings at t=1000, scalars until t=1100, then stopped for an hour.
    _write(tmp_path, ".a", [(1000.0, "config", 0, None), (1050.0, "loss", 100, 0.5), (1100.0, "loss", 200, 0.4)])
    # Resumed from step 100's checkpoint at t=5000: step 200 is written again, then step 300.
    _write(tmp_path, ".b", [(5000.0, "config", 100, None), (5030.0, "loss", 200, 0.3), (5060.0, "loss", 300, 0.2),
                            (5060.0, "other", 300, 7.0)])
    points = summaries.read_scalars(str(tmp_path), tags=["loss"])
    assert list(points) == ["loss"]
    # The first process spans 100 s; the second's times are 100 s plus its own elapsed time.
    np.testing.assert_allclose(np.array(points["loss"], float), [[100, 50, 0.5], [200, 130, 0.3], [300, 160, 0.2]],
                               rtol=1e-6)


def test_a_run_records_its_settings_for_the_hparams_tab(tiny_config, tmp_path):
    """A new run writes TensorBoard's HParams session record with every setting (lists as comma-joined text)."""
    import dataclasses

    import tensorflow as tf
    from tensorboard.plugins.hparams import metadata

    from keras_gan import train_lib

    workdir = tmp_path / "seed=3"
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, seed=3), str(workdir), verbose=0)
    sessions = []
    for path in workdir.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME:
                    data = metadata.parse_session_start_info_plugin_data(value.metadata.plugin_data.content) \
                        if value.tag == metadata.SESSION_START_INFO_TAG else None
                    if data is not None:
                        sessions.append(data)
    [session] = sessions
    assert session.group_name == "seed=3"
    assert session.hparams["seed"].number_value == 3 and session.hparams["update"].string_value == "alternating"
    assert session.hparams["g_hidden_units"].string_value == "32,32"
    assert session.hparams["learning_rate"].number_value == pytest.approx(0.1)

"""What a run writes to TensorBoard: scalars, sample grids and its settings."""

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


def write_scalars(writer, step, scalars, prefix=""):
    with writer.as_default(step=step):
        for name, value in scalars.items():
            tf.summary.scalar(prefix + name, value)


def write_config(writer, config_json, step):
    """Records the run's settings as a text summary (TensorBoard's Text tab)."""
    with writer.as_default(step=step):
        tf.summary.text("config", "```\n" + config_json + "\n```")

"""keras_gan/data/folder.py: a folder of images, on PNGs the tests write."""

import numpy as np
import pytest

from keras_gan import data


def test_image_folder_with_classes_resizes_and_skips_non_images(tmp_path, write_png, caplog):
    for c, cls in enumerate(("cat", "dog")):
        (tmp_path / cls).mkdir()
        for i in range(6):
            write_png(tmp_path / cls / f"{i}.png", 40 * c + i)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "dog" / "broken.png").write_bytes(b"not a png")
    splits = data.load_folder(str(tmp_path), image_size=8, channels=1)
    assert splits.train.shape[1:] == (8, 8, 1)
    # Without a test/ folder, validation (sigma is chosen on it) and test are two separate held-out parts.
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (10, 1, 1)
    pixels = lambda split: {int(x.max()) for x in split}  # noqa: E731  (every image has its own value)
    assert len(pixels(splits.train) | pixels(splits.valid) | pixels(splits.test)) == 12
    assert set(np.unique(np.concatenate([splits.train_labels, splits.valid_labels, splits.test_labels]))) == {0, 1}
    assert any("skipped 2 of 14 files" in r.getMessage() for r in caplog.records)


def test_image_folder_with_train_and_test(tmp_path, write_png):
    for split, n in (("train", 20), ("test", 4)):
        (tmp_path / split / "a").mkdir(parents=True)
        for i in range(n):
            write_png(tmp_path / split / "a" / f"{i}.png", i)
    splits = data.load_folder(str(tmp_path), image_size=16)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (18, 2, 4)
    assert splits.train.shape[1:] == (16, 16, 3)


def test_empty_image_folder_is_an_error(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(data.DataError, match="no images found"):
        data.load_folder(str(tmp_path))
    with pytest.raises(data.DataError, match="no such folder"):
        data.load_folder(str(tmp_path / "missing"))

"""TFD as a tensorflow-datasets data set, built from the `.mat` file its owners give out.

    python -m keras_gan.prepare_tfd --manual_dir=FOLDER --data_dir=DIR     # or, with apache-beam installed:
    tfds build tfd/48x48 --imports=keras_gan.data.tfd_dataset_builder --manual_dir=FOLDER --data_dir=DIR
    python -m keras_gan.train --flagfile=flags/tfd.cfg --data_dir=DIR --workdir=runs/tfd/stage1

TFD is licensed, not downloadable, so this is a manual-download builder
(`MANUAL_DOWNLOAD_INSTRUCTIONS`): `FOLDER` holds pylearn2's `TFD_48x48.mat`
(config `48x48`) or `TFD_96x96.mat` (config `96x96`), read by
`keras_gan.data.tfd.read_tfd`. The splits are pylearn2's
`TFD(which_set, fold)`: `fold0_unlabeled`, `fold0_train`, `fold0_valid`,
`fold0_test`, ... `fold4_test` (pylearn2's `full_train` is
`fold0_train+fold0_valid`). Every split of a fold is stored whole, so the
build takes about five times the `.mat`'s size.
"""

import os

import numpy as np
import tensorflow_datasets as tfds

from keras_gan.data.base import DataError
from keras_gan.data.tfd import FOLD_CODES, NUM_FOLDS, read_tfd, split_name, tfd_file_name

_CITATION = """@techreport{susskind2010tfd,
  title = {The {Toronto} Face Database},
  author = {Susskind, Joshua M. and Anderson, Adam K. and Hinton, Geoffrey E.},
  institution = {University of Toronto},
  number = {UTML TR 2010-001},
  year = {2010}
}"""


class TfdConfig(tfds.core.BuilderConfig):
    """One TFD file: `size` x `size` grey images.

    Args:
        size: 48 (`TFD_48x48.mat`) or 96 (`TFD_96x96.mat`).
    """

    def __init__(self, size):
        super().__init__(name=f"{size}x{size}", description=f"{size} x {size} grey faces from {tfd_file_name(size)}.")
        self.size = size


class Tfd(tfds.core.GeneratorBasedBuilder):
    """The Toronto Face Database as pylearn2 stores it, split by fold and fold code."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "pylearn2's TFD file: five folds, each split into unlabeled, train, valid and test."}
    BUILDER_CONFIGS = [TfdConfig(48), TfdConfig(96)]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "TFD is licensed by the University of Toronto and cannot be downloaded. Put the file you received from "
        "its owners, in pylearn2's layout, in the manual folder: TFD_48x48.mat for tfd/48x48, TFD_96x96.mat for "
        "tfd/96x96 (keys images, folds, labs_ex, labs_id; MATLAB v5 or v7.3). Pass the folder as "
        "`python -m keras_gan.prepare_tfd --manual_dir=FOLDER`, `tfds build --manual_dir=FOLDER` or "
        "`tfds.download.DownloadConfig(manual_dir=FOLDER)`; the default is <data_dir>/downloads/manual/."
    )

    def _info(self):
        size = self.builder_config.size
        return tfds.core.DatasetInfo(
            builder=self,
            description=(
                "The Toronto Face Database (Susskind et al., 2010) as pylearn2 stores it and Goodfellow et al. "
                "(2014) used it for Table 1: grey faces, five folds, each dividing the images into unlabeled, "
                "train, valid and test."
            ),
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(size, size, 1), dtype=np.uint8),
                "expression": tfds.features.Scalar(np.int64, doc="Expression 1..7 (labs_ex); -1 when unlabeled."),
                "identity": tfds.features.Scalar(np.int64, doc="Identity of the person (labs_id)."),
                "folds": tfds.features.Tensor(shape=(NUM_FOLDS,), dtype=np.int64,
                                              doc="The image's code in each fold: 0 unlabeled, 1 train, 2 valid, "
                                                  "3 test (the file's folds row)."),
                "index": tfds.features.Scalar(np.int64, doc="Row of the image in the .mat file."),
            }),
            supervised_keys=("image", "expression"),
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager):
        size = self.builder_config.size
        tfd = read_tfd(_manual_file(dl_manager, size), size)
        return {
            split_name(fold, which_set): self._generate_examples(tfd, np.flatnonzero(tfd.fold_codes[:, fold] == code))
            for fold in range(NUM_FOLDS) for which_set, code in FOLD_CODES.items()
            if (tfd.fold_codes[:, fold] == code).any()  # tfds cannot write an empty split
        }

    def _generate_examples(self, tfd, rows):
        for i in rows:
            yield int(i), {
                "image": tfd.images[i],
                "expression": -1 if tfd.expressions is None else tfd.expressions[i],
                "identity": -1 if tfd.identities is None else tfd.identities[i],
                "folds": tfd.fold_codes[i],
                "index": i,
            }


def build(manual_dir, data_dir=None, size=48):
    """Builds tfd/<size>x<size> from pylearn2's file in `manual_dir`, as
    `tfds build --manual_dir` does.

    Args:
        manual_dir: The folder holding `TFD_<size>x<size>.mat`.
        data_dir: The tensorflow-datasets data_dir to build in (default: tfds' own).
        size: 48 or 96.

    Returns:
        The prepared `Tfd` builder.

    Raises:
        DataError: the file is missing or not a TFD file (one line).
    """
    builder = Tfd(config=f"{size}x{size}", data_dir=data_dir)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
    return builder


def _manual_file(dl_manager, size):
    """The `.mat` in the manual folder; a one-line `DataError` if it is not there."""
    name = tfd_file_name(size)
    try:
        manual_dir = os.fspath(dl_manager.manual_dir)
    except AssertionError as e:  # tfds: the manual folder does not exist or is empty
        raise DataError(f"{name} not found: {str(e).splitlines()[0]} (put pylearn2's {name} there)") from None
    path = os.path.join(manual_dir, name)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; tfd/{size}x{size} is built from pylearn2's {name} in --manual_dir")
    return path

"""Builds TFD as a tensorflow-datasets data set from pylearn2's file, which TFD's owners give out.

    python -m keras_gan.prepare_tfd --manual_dir=FOLDER_WITH_TFD_48x48.mat --data_dir=~/tensorflow_datasets
    python -m keras_gan.train --flagfile=flags/tfd.cfg --data_dir=~/tensorflow_datasets --workdir=runs/tfd/stage1

It does what `tfds build tfd/48x48 --imports=keras_gan.data.tfd_dataset_builder
--manual_dir=FOLDER --data_dir=DIR` does; tfds' own command line imports
apache-beam at start-up (tensorflow-datasets 4.9, tensorflow/datasets#5463),
this one does not. The splits: `keras_gan.data.tfd_dataset_builder`.
"""

import os


def main(argv):
    from absl import app, flags

    from keras_gan import cli, config

    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    cli.quiet_logs()
    FLAGS = flags.FLAGS

    def prepare():
        if FLAGS.tfd_size not in (48, 96):
            raise config.ConfigError(f"--tfd_size must be 48 or 96; got {FLAGS.tfd_size}")
        from keras_gan.data import tfd_dataset_builder

        builder = tfd_dataset_builder.build(FLAGS.manual_dir, FLAGS.data_dir, FLAGS.tfd_size)
        sizes = ", ".join(f"{name} {split.num_examples}" for name, split in sorted(builder.info.splits.items())
                          if name.startswith("fold0_"))
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.fspath(builder.data_dir))))
        print(f"Built {builder.info.full_name} in {builder.data_dir} (fold 0: {sizes}; folds 1-4 alike). "
              f"Train on it with --dataset=tfd --data_dir={root}")

    cli.run_reporting_errors(prepare)


def run():
    from absl import app, flags

    flags.DEFINE_string("manual_dir", None, "Folder holding pylearn2's TFD_48x48.mat (or TFD_96x96.mat).",
                        required=True)
    flags.DEFINE_string("data_dir", None, "The tensorflow-datasets data_dir to build in (default: tfds' own, "
                        "$TFDS_DATA_DIR or ~/tensorflow_datasets).")
    flags.DEFINE_integer("tfd_size", 48, "Image size: 48 (TFD_48x48.mat) or 96 (TFD_96x96.mat).")
    app.run(main)


if __name__ == "__main__":
    run()

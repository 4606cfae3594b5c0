"""Table 1: the Parzen-window log-likelihood of the test set under a generator.

    python -m keras_gan.evaluate --workdir=runs/mnist                  # latest checkpoint
    python -m keras_gan.evaluate --saved_model=runs/mnist/export/generator --data_dir=../shared/data/mnist
    python -m keras_gan.evaluate --samples=other_model.npy --data_dir=../shared/data/mnist

sigma is chosen on the validation split (the first 1,000 images by default, as
the release) from `numpy.logspace(-1, 0, 10)`; the mean over the test split
and its standard error are reported beside the paper's row (section 5).
"""

import os

import numpy as np

PAPER_TABLE1 = {"mnist": (225.0, 2.0), "tfd": (2057.0, 26.0)}
_ROW = "{:<30} {:<6} {}"


def _samples_from_file(path, dim):
    from keras_gan.data import DataError

    if not os.path.exists(path):
        raise FileNotFoundError(f"--samples {path}: no such file")
    try:
        samples = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise DataError(f"--samples {path}: not a numpy .npy array ({e})") from None
    if samples.ndim < 2 or int(np.prod(samples.shape[1:])) != dim:
        raise DataError(
            f"--samples {path}: shape {samples.shape} does not flatten to (n, {dim}) images of this data set"
        )
    samples = samples.reshape(len(samples), dim).astype(np.float32)
    if not np.all(np.isfinite(samples)) or samples.min() < 0.0 or samples.max() > 1.0:
        raise DataError(f"--samples {path}: values must be finite pixels in [0, 1]; got range [{np.nanmin(samples)}, {np.nanmax(samples)}]")
    return samples


def _samples_from_saved_model(path, count, seed):
    import tensorflow as tf

    if not os.path.isdir(path):
        raise FileNotFoundError(f"--saved_model {path}: no such folder")
    loaded = tf.saved_model.load(path)
    out = [loaded.sample(min(1000, count - i), seed * 1_000_003 + i)["images"].numpy() for i in range(0, count, 1000)]
    return np.concatenate(out)


def evaluate(cfg, workdir=None, saved_model=None, samples_path=None, num_samples=10000, valid_images=1000,
             sigmas=None, seed=0, output=None, folds=None):
    """Scores one generator with the paper's protocol; returns the result dict.

    Exactly one of `workdir` (its latest checkpoint), `saved_model` or
    `samples_path` gives the samples; `cfg` names the data set. For TFD,
    `folds` (e.g. range(5)) scores each fold with its own sigma and reports
    the mean and standard error across folds (`result["per_fold"]` holds each).
    """
    from keras_gan import data as data_lib
    from keras_gan import parzen

    splits = data_lib.load(cfg)
    dim = int(np.prod(splits.image_shape))
    step = None
    if samples_path:
        samples, source = _samples_from_file(samples_path, dim), samples_path
    elif saved_model:
        samples, source = _samples_from_saved_model(saved_model, num_samples, seed), saved_model
    else:
        from keras_gan import train_lib

        gan = train_lib.build_gan_for(cfg, splits)
        checkpoint = train_lib.restore_latest(gan, workdir)
        if checkpoint is None:
            raise FileNotFoundError(f"--workdir {workdir}: no checkpoint to evaluate")
        step = int(gan.g_optimizer.iterations.numpy())
        samples, source = train_lib.generate(gan, num_samples, seed=seed), checkpoint
    sigmas = parzen.PAPER_SIGMAS if sigmas is None else sigmas
    preprocessing = data_lib.Preprocessing(cfg.preprocess, splits.train)

    def score(fold_splits):
        valid = fold_splits.valid if not valid_images else fold_splits.valid[:valid_images]
        to_model = lambda images: preprocessing.forward(data_lib.to_float(images)).numpy()  # noqa: E731
        return parzen.evaluate(samples, to_model(valid), to_model(fold_splits.test), sigmas=sigmas).to_dict()

    if cfg.dataset == "tfd" and folds is not None:
        # Table 1's TFD protocol: sigma chosen on each fold's valid split, the
        # mean over its test split; mean and standard error across folds.
        per_fold = [score(s) for s in data_lib.load_tfd_folds(cfg.data_dir, cfg.tfd_size, folds, cfg.tfd_split)]
        means = np.array([r["mean"] for r in per_fold])
        result = {"mean": float(means.mean()), "se": float(means.std() / np.sqrt(len(means))),
                  "sigma": None, "folds": list(folds),
                  "per_fold": per_fold, "n_samples": len(samples)}
    else:
        result = score(splits)
    result.update(dataset=cfg.dataset, source=source, checkpoint_step=step)
    if output:
        from keras_gan.train_lib import write_json

        write_json(output, result)
    if workdir and step is not None:
        import tensorflow as tf

        with tf.summary.create_file_writer(workdir).as_default(step=step):
            tf.summary.scalar("parzen/test_log_likelihood", result["mean"])
            if result["sigma"] is not None:
                tf.summary.scalar("parzen/sigma", result["sigma"])
    return result


def table1_rows(result):
    """The paper's Table 1 row and this run's, as printable lines."""
    lines = [_ROW.format("Model", "Data", "Parzen log-likelihood")]
    if result["dataset"] in PAPER_TABLE1:
        mean, se = PAPER_TABLE1[result["dataset"]]
        lines.append(_ROW.format("Adversarial nets (paper)", result["dataset"].upper(), f"{mean:.0f} +- {se:.0f}"))
    sigma = f"sigma={result['sigma']:.4g}" if "per_fold" not in result else (
        "folds " + ",".join(map(str, result["folds"])) + ", sigma per fold " +
        ",".join(f"{r['sigma']:.3g}" for r in result["per_fold"]))
    lines.append(_ROW.format(
        "Adversarial nets (this run)", result["dataset"].upper(),
        f"{result['mean']:.1f} +- {result['se']:.1f}  ({sigma})",
    ))
    return lines


def main(argv):
    from absl import flags

    from keras_gan import cli, config

    del argv
    cli.quiet_logs()
    FLAGS = flags.FLAGS

    def run_evaluation():
        sources = [bool(FLAGS.workdir), bool(FLAGS.saved_model), bool(FLAGS.samples)]
        if FLAGS.samples and FLAGS.saved_model:
            raise config.ConfigError("give one of --saved_model and --samples, not both")
        if not any(sources):
            raise config.ConfigError("give --workdir, --saved_model or --samples")
        cfg = config.load_run_config(FLAGS.workdir) if FLAGS.workdir else config.Config()
        if FLAGS["dataset"].present or not FLAGS.workdir:
            cfg.dataset = FLAGS.dataset
        if FLAGS.data_dir:
            cfg.data_dir = FLAGS.data_dir
        if FLAGS.sigma_min >= FLAGS.sigma_max:
            raise config.ConfigError(f"--sigma_min must be below --sigma_max; got {FLAGS.sigma_min} >= {FLAGS.sigma_max}")
        sigmas = np.logspace(np.log10(FLAGS.sigma_min), np.log10(FLAGS.sigma_max), FLAGS.num_sigmas)
        output = FLAGS.output or (os.path.join(FLAGS.workdir, "parzen.json") if FLAGS.workdir else None)
        folds = None
        if cfg.dataset == "tfd":
            folds = range(5) if FLAGS.tfd_fold < 0 else [FLAGS.tfd_fold]
            cfg.tfd_fold = folds[0]
        valid_images = FLAGS.valid_images
        if valid_images is None:  # the release: 1,000 MNIST digits, TFD's whole valid split
            valid_images = 0 if cfg.dataset == "tfd" else 1000
        result = evaluate(
            cfg, workdir=FLAGS.workdir, saved_model=FLAGS.saved_model, samples_path=FLAGS.samples,
            num_samples=FLAGS.num_samples, valid_images=valid_images, sigmas=sigmas,
            seed=FLAGS.seed, output=output, folds=folds,
        )
        print("\n".join(table1_rows(result)))
        if output:
            print(f"Wrote {output}")

    cli.run_reporting_errors(run_evaluation)


def run():
    from absl import app, flags

    flags.DEFINE_string("workdir", None, "A keras_gan run folder: its latest checkpoint is evaluated.")
    flags.DEFINE_string("saved_model", None, "An exported generator (SavedModel) to evaluate instead.")
    flags.DEFINE_string("samples", None, "A .npy array of images in [0, 1] from any model, to evaluate instead.")
    flags.DEFINE_enum("dataset", "mnist", ["mnist", "tfd", "cifar10", "folder"], "Data set whose splits are used (default: the run's).")
    flags.DEFINE_integer("tfd_fold", -1, "TFD: the fold to score (-1: all five, the paper's protocol).", lower_bound=-1, upper_bound=4)
    flags.DEFINE_string("data_dir", None, "Folder with the data set's files (default: the run's, else tfds).")
    flags.DEFINE_integer("num_samples", 10000, "Generator samples used as kernel centres.", lower_bound=1)
    flags.DEFINE_integer("valid_images", None, "Validation images sigma is chosen on (0: all; default: 1,000 for "
                         "MNIST as the release, all for TFD).", lower_bound=0)
    flags.DEFINE_float("sigma_min", 0.1, "Smallest sigma of the grid.", lower_bound=1e-6)
    flags.DEFINE_float("sigma_max", 1.0, "Largest sigma of the grid.", lower_bound=1e-6)
    flags.DEFINE_integer("num_sigmas", 10, "Sigmas in the grid (log-spaced).", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of the generator's noise.", lower_bound=0)
    flags.DEFINE_string("output", None, "Where to write the JSON result (default <workdir>/parzen.json).")
    app.run(main)


if __name__ == "__main__":
    run()

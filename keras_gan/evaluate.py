"""Table 1: the Parzen-window log-likelihood of the test set under a generator.

    python -m keras_gan.evaluate --workdir=runs/mnist                       # G of the latest checkpoint
    python -m keras_gan.evaluate --workdir=runs/mnist --checkpoint=best     # the validation monitor's pick
    python -m keras_gan.evaluate --workdir=runs/mnist --generator=all       # G and each of its averages
    python -m keras_gan.evaluate --workdir=runs/mnist --diagnose            # and where the nats go
    python -m keras_gan.evaluate --saved_model=runs/mnist/export/generator --data_dir=../shared/data/mnist
    python -m keras_gan.evaluate --samples=other_model.npy --data_dir=../shared/data/mnist
    python -m keras_gan.evaluate --workdir=runs/mnist --method=ais           # annealed importance sampling instead

sigma is chosen on the validation split (the first 1,000 images by default, as
the release) from `numpy.logspace(-1, 0, 10)`; the mean over the test split
and its standard error are reported beside the paper's row (section 5).

With `--method=ais` a run's generators are scored by annealed importance
sampling of p(x) = integral p(z) N(x; G(z), sigma^2 I) dz instead (Wu et al.,
2017; `keras_gan.ais`): a stochastic lower bound per test image (a random
subset of them by default, to finish in minutes on a CPU), sigma chosen on
validation images, and the BDMC gap of the schedule on images simulated from
the generator. The result goes to `<workdir>/ais.json`.
"""

import os

import numpy as np

PAPER_TABLE1 = {"mnist": (225.0, 2.0), "tfd": (2057.0, 26.0)}
DEFAULT_AIS_SIGMAS = (0.05, 0.07, 0.1, 0.14, 0.2)  # = ais.DEFAULT_SIGMAS, here so that --help needs no TensorFlow
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
    if len(samples) == 0:
        raise DataError(f"--samples {path}: holds no images (shape {samples.shape}); expected at least one")
    samples = samples.reshape(len(samples), dim).astype(np.float32)
    if np.isnan(samples).any():
        raise DataError(f"--samples {path}: holds NaN values; expected pixels in [0, 1]")
    if not np.all(np.isfinite(samples)) or samples.min() < 0.0 or samples.max() > 1.0:
        raise DataError(
            f"--samples {path}: values must be finite pixels in [0, 1]; got range [{samples.min()}, {samples.max()}]"
        )
    return samples


def _samples_from_saved_model(path, count, seed):
    import tensorflow as tf

    if not os.path.isdir(path):
        raise FileNotFoundError(f"--saved_model {path}: no such folder")
    loaded = tf.saved_model.load(path)
    return loaded.sample(count, seed)["images"].numpy()


def score(cfg, samples, splits, valid_images=1000, sigmas=None, folds=None):
    """The paper's protocol for `samples` (model space) on `splits`.

    sigma is chosen on the first `valid_images` validation images (0: all);
    the result is the mean and standard error of the test log-likelihoods.
    For TFD, `folds` (e.g. range(5)) scores each fold with its own sigma and
    reports the mean and standard error across folds (`per_fold` holds each).
    """
    from keras_gan import data as data_lib
    from keras_gan import parzen

    sigmas = parzen.PAPER_SIGMAS if sigmas is None else sigmas
    preprocessing = data_lib.Preprocessing(cfg.preprocess, splits.train)

    def one(fold_splits):
        valid = fold_splits.valid if not valid_images else fold_splits.valid[:valid_images]
        to_model = lambda images: preprocessing.forward(data_lib.to_float(images)).numpy()  # noqa: E731
        return parzen.evaluate(samples, to_model(valid), to_model(fold_splits.test), sigmas=sigmas).to_dict()

    if cfg.dataset == "tfd" and folds is not None:
        # Table 1's TFD protocol: sigma chosen on each fold's valid split, the
        # mean over its test split; mean and standard error across folds.
        per_fold = [one(s) for s in data_lib.load_tfd_folds(cfg.data_dir, cfg.tfd_size, folds, cfg.tfd_split)]
        means = np.array([r["mean"] for r in per_fold])
        return {
            "mean": float(means.mean()),
            "se": float(means.std() / np.sqrt(len(means))),
            "sigma": None,
            "folds": list(folds),
            "per_fold": per_fold,
            "n_samples": len(samples),
        }
    return one(splits)


def _generator_names(run, workdir, checkpoint, generators):
    """The generators a command scores: the given names, "all" (G and each
    average), or by default the monitor's pick for the best checkpoint, else G."""
    from keras_gan import experiment

    if generators in (None, []):
        return [experiment.default_generator(workdir, checkpoint)]
    if generators == ["all"] or generators == "all":
        return [experiment.average_name(d) for d in (None, *run.gan.ema_decays)]
    return list(generators)


def evaluate(
    cfg,
    workdir=None,
    saved_model=None,
    samples_path=None,
    num_samples=10000,
    valid_images=1000,
    sigmas=None,
    seed=0,
    output=None,
    folds=None,
    checkpoint="latest",
    generators=None,
    diagnose=False,
):
    """Scores generators with the paper's protocol; returns one result dict per generator.

    Exactly one of `workdir` (its `checkpoint`, see `experiment.find_checkpoint`),
    `saved_model` or `samples_path` gives the samples; `cfg` names the data
    set. `generators` names which of a run's generators are scored
    ("generator" for G, "ema_<decay>" for its averages, "all"; default: the
    monitor's pick for the best checkpoint, else G); each draws the same
    `num_samples` noise vectors. With `diagnose`, each result also holds
    `diagnosis` (`keras_gan.diagnose`). `output` gets the JSON: one dict, or
    a list when several generators are scored.
    """
    from keras_gan import data as data_lib
    from keras_gan import experiment

    sources = {}
    step = None
    if workdir and not (samples_path or saved_model):
        run = experiment.load_run(workdir, checkpoint, cfg)
        splits, step = run.splits, run.step
        generators = _generator_names(run, workdir, checkpoint, generators)
        for name in generators:
            decay = experiment.average_decay(run.gan, name)
            sources[name] = (run.gan.sample(num_samples, seed=seed, average=decay).numpy(), run.checkpoint)
    else:
        splits = data_lib.load(cfg)
        dim = int(np.prod(splits.image_shape))
        if samples_path:
            sources["samples"] = (_samples_from_file(samples_path, dim), samples_path)
        else:
            sources["generator"] = (_samples_from_saved_model(saved_model, num_samples, seed), saved_model)
    results = []
    for name, (samples, source) in sources.items():
        result = score(cfg, samples, splits, valid_images, sigmas, folds)
        result.update(dataset=cfg.dataset, source=source, checkpoint_step=step, generator=name)
        if diagnose:
            from keras_gan import diagnose as diagnose_lib

            result["diagnosis"] = diagnose_lib.diagnose(cfg, samples, splits, valid_images)
        results.append(result)
    if output:
        experiment.write_json(output, results[0] if len(results) == 1 else results)
    if workdir and step is not None:
        import tensorflow as tf

        with tf.summary.create_file_writer(workdir).as_default(step=step):
            for result in results:
                suffix = "" if result["generator"] == experiment.GENERATOR else f"_{result['generator']}"
                tf.summary.scalar(f"parzen/test_log_likelihood{suffix}", result["mean"])
                if result["sigma"] is not None:
                    tf.summary.scalar(f"parzen/sigma{suffix}", result["sigma"])
    return results


def _subset(count, wanted, seed, split):
    """Sorted indices of a seeded random subset of `wanted` of `count` images
    (all of them for 0 or more than there are): MNIST's test split is ordered
    (its first 5,000 digits are the cleaner ones), so a prefix would be biased."""
    if wanted == 0 or wanted >= count:
        return np.arange(count)
    from keras_gan.seeds import stream_seed

    return np.sort(np.random.default_rng(stream_seed(seed, "ais_subset", split)).choice(count, wanted, replace=False))


def evaluate_ais(cfg, workdir, checkpoint="latest", generators=None, num_examples=50, num_chains=4, num_steps=500,
                 leapfrog_steps=10, sigmas=None, valid_images=10, valid_steps=None, bdmc_examples=10, seed=0,
                 output=None, verbose=1):
    """AIS log-likelihoods (`keras_gan.ais`) of a run's generators on test images; one result dict per generator.

    Args:
        cfg: The run's config (`data_dir` may point elsewhere).
        workdir: The run folder; `checkpoint` and `generators` as in `evaluate`.
        num_examples: Test images scored, a seeded random subset (0: all).
        num_chains, num_steps, leapfrog_steps: K chains per image, T
            intermediate distributions, leapfrog steps per HMC transition.
        sigmas: The observation noise grid, chosen on `valid_images` random
            validation images with `valid_steps` distributions (default:
            `num_steps`; one sigma: used as it is). Default `ais.DEFAULT_SIGMAS`.
        bdmc_examples: Images simulated from each generator for the BDMC gap (0: none).
        seed: Seeds the subsets and the chains.
        output: Where the JSON goes (one dict, or a list for several generators).
        verbose: 1 for what runs and progress bars.

    Returns:
        A list of dicts: `ais.AISEvaluation` fields plus dataset, source,
        checkpoint_step, generator, noise and test_indices.
    """
    import tensorflow as tf

    from keras_gan import ais, config, experiment
    from keras_gan import data as data_lib

    run = experiment.load_run(workdir, checkpoint, cfg)
    gan = run.gan
    if gan.num_classes:
        raise config.ConfigError("--method=ais scores the paper's unconditional generator; this run is "
                                 "--conditional, whose p(x) sums over classes (use --method=parzen)")
    preprocessing = data_lib.Preprocessing(cfg.preprocess, run.splits.train)

    def to_model(images):
        pixels = preprocessing.forward(data_lib.to_float(images)).numpy()
        return pixels.reshape(len(pixels), -1)

    test_indices = _subset(len(run.splits.test), num_examples, seed, "test")
    valid_indices = _subset(len(run.splits.valid), valid_images, seed, "valid")
    test, valid = to_model(run.splits.test[test_indices]), to_model(run.splits.valid[valid_indices])
    to_noise = ais.latent_to_noise(gan.noise)
    results = []
    for name in _generator_names(run, workdir, checkpoint, generators):
        decay = experiment.average_decay(gan, name)

        def decode(u, decay=decay):
            return tf.reshape(gan.generate(to_noise(u), average=decay), (tf.shape(u)[0], -1))

        if verbose:
            print(f"{name} of {run.checkpoint} (step {run.step}):")
        result = ais.evaluate(decode, gan.noise_dim, valid, test,
                              sigmas=ais.DEFAULT_SIGMAS if sigmas is None else sigmas, num_chains=num_chains,
                              num_steps=num_steps, leapfrog_steps=leapfrog_steps, valid_steps=valid_steps,
                              bdmc_examples=bdmc_examples, seed=seed, verbose=verbose).to_dict()
        result.update(dataset=cfg.dataset, source=run.checkpoint, checkpoint_step=run.step, generator=name,
                      noise=gan.noise, test_indices=test_indices.tolist())
        results.append(result)
    if output:
        experiment.write_json(output, results[0] if len(results) == 1 else results)
    with tf.summary.create_file_writer(workdir).as_default(step=run.step):
        for result in results:
            suffix = "" if result["generator"] == experiment.GENERATOR else f"_{result['generator']}"
            tf.summary.scalar(f"ais/test_log_likelihood{suffix}", result["mean"])
            tf.summary.scalar(f"ais/sigma{suffix}", result["sigma"])
            if result["bdmc"]:
                tf.summary.scalar(f"ais/bdmc_gap{suffix}", result["bdmc"]["gap_mean"])
    return results


def ais_rows(results):
    """One printable line per generator: the AIS estimate, how it was made, the BDMC gap and the cost."""
    results = [results] if isinstance(results, dict) else results
    lines = [_ROW.format("Model", "Data", "AIS log-likelihood (a stochastic lower bound), nats")]
    for r in results:
        name = "Adversarial nets (this run)" if r["generator"] == "generator" else f"this run, {r['generator']}"
        estimate = (f"{r['mean']:.1f} +- {r['se']:.1f}  (sigma={r['sigma']:.3g}, {r['n_test']} test images, "
                    f"{r['num_chains']} chains, {r['num_steps']} distributions, {r['leapfrog_steps']} leapfrog "
                    f"steps, acceptance {r['acceptance']:.2f})")
        lines.append(_ROW.format(name, r["dataset"].upper(), estimate))
        if len(r["sigmas"]) > 1 and r["sigma"] in (min(r["sigmas"]), max(r["sigmas"])):
            lines.append(f"  sigma={r['sigma']:.3g} is at the edge of the grid: widen --ais_sigmas to be sure of it")
        if r["bdmc"]:
            b = r["bdmc"]
            lines.append(f"  BDMC on {b['n_simulated']} simulated images: lower {b['lower_mean']:.1f}, upper "
                         f"{b['upper_mean']:.1f}, gap {b['gap_mean']:.2f} +- {b['gap_se']:.2f} nats")
        lines.append("  wall-clock: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["seconds"].items()))
    return lines


def table1_rows(results):
    """The paper's Table 1 row and one row per scored generator, as printable lines."""
    results = [results] if isinstance(results, dict) else results
    lines = [_ROW.format("Model", "Data", "Parzen log-likelihood")]
    dataset = results[0]["dataset"]
    if dataset in PAPER_TABLE1:
        mean, se = PAPER_TABLE1[dataset]
        lines.append(_ROW.format("Adversarial nets (paper)", dataset.upper(), f"{mean:.0f} +- {se:.0f}"))
    for result in results:
        sigma = (
            f"sigma={result['sigma']:.4g}"
            if "per_fold" not in result
            else (
                "folds "
                + ",".join(map(str, result["folds"]))
                + ", sigma per fold "
                + ",".join(f"{r['sigma']:.3g}" for r in result["per_fold"])
            )
        )
        name = (
            "Adversarial nets (this run)"
            if result["generator"] in ("generator", "samples")
            else (f"this run, {result['generator']}")
        )
        lines.append(_ROW.format(name, dataset.upper(), f"{result['mean']:.1f} +- {result['se']:.1f}  ({sigma})"))
    return lines


def main(argv):
    from absl import flags

    from keras_gan import cli, config

    del argv
    cli.quiet_logs()
    FLAGS = flags.FLAGS

    def run_ais():
        if not FLAGS.workdir or FLAGS.samples or FLAGS.saved_model:
            raise config.ConfigError("--method=ais needs the generator itself: give --workdir (a --samples file has "
                                     "no generator, and a --saved_model does not record its noise prior)")
        if FLAGS.diagnose:
            raise config.ConfigError("--diagnose goes with --method=parzen")
        try:
            sigmas = [float(s) for s in FLAGS.ais_sigmas]
        except ValueError:
            sigmas = []
        if not sigmas or not all(np.isfinite(s) and s > 0 for s in sigmas):
            raise config.ConfigError(f"--ais_sigmas must be positive numbers, comma-separated; got "
                                     f"{','.join(FLAGS.ais_sigmas)!r}")
        cfg = config.load_run_config(FLAGS.workdir)
        if FLAGS.data_dir:
            cfg.data_dir = FLAGS.data_dir
        output = FLAGS.output or os.path.join(FLAGS.workdir, "ais.json")
        results = evaluate_ais(
            cfg, FLAGS.workdir, checkpoint=FLAGS.checkpoint,
            generators=FLAGS.generator.split(",") if FLAGS.generator else None, num_examples=FLAGS.ais_examples,
            num_chains=FLAGS.ais_chains, num_steps=FLAGS.ais_steps, leapfrog_steps=FLAGS.ais_leapfrog, sigmas=sigmas,
            valid_images=FLAGS.ais_valid, valid_steps=FLAGS.ais_valid_steps or None, bdmc_examples=FLAGS.ais_bdmc,
            seed=FLAGS.seed, output=output)
        print(f"{results[0]['source']} (step {results[0]['checkpoint_step']})")
        print("\n".join(ais_rows(results)))
        print(f"Wrote {output}")

    def run_evaluation():
        if FLAGS.method == "ais":
            return run_ais()
        if (
            sum(
                map(
                    bool, (FLAGS.workdir and not (FLAGS.samples or FLAGS.saved_model), FLAGS.saved_model, FLAGS.samples)
                )
            )
            != 1
        ):
            raise config.ConfigError("give one of --workdir, --saved_model and --samples")
        cfg = config.load_run_config(FLAGS.workdir) if FLAGS.workdir else config.Config()
        if FLAGS["dataset"].present or not FLAGS.workdir:
            cfg.dataset = FLAGS.dataset
        if FLAGS.data_dir:
            cfg.data_dir = FLAGS.data_dir
        if FLAGS.sigma_min >= FLAGS.sigma_max:
            raise config.ConfigError(
                f"--sigma_min must be below --sigma_max; got {FLAGS.sigma_min} >= {FLAGS.sigma_max}"
            )
        sigmas = np.logspace(np.log10(FLAGS.sigma_min), np.log10(FLAGS.sigma_max), FLAGS.num_sigmas)
        output = FLAGS.output or (os.path.join(FLAGS.workdir, "parzen.json") if FLAGS.workdir else None)
        folds = None
        if cfg.dataset == "tfd":
            folds = range(5) if FLAGS.tfd_fold < 0 else [FLAGS.tfd_fold]
            cfg.tfd_fold = folds[0]
        valid_images = FLAGS.valid_images
        if valid_images is None:  # the release: 1,000 MNIST digits, TFD's whole valid split
            valid_images = 0 if cfg.dataset == "tfd" else 1000
        results = evaluate(
            cfg,
            workdir=FLAGS.workdir,
            saved_model=FLAGS.saved_model,
            samples_path=FLAGS.samples,
            num_samples=FLAGS.num_samples,
            valid_images=valid_images,
            sigmas=sigmas,
            seed=FLAGS.seed,
            output=output,
            folds=folds,
            checkpoint=FLAGS.checkpoint,
            generators=FLAGS.generator.split(",") if FLAGS.generator else None,
            diagnose=FLAGS.diagnose,
        )
        if results[0]["checkpoint_step"] is not None:
            print(f"{results[0]['source']} (step {results[0]['checkpoint_step']})")
        print("\n".join(table1_rows(results)))
        if FLAGS.diagnose:
            from keras_gan import diagnose as diagnose_lib

            for result in results:
                print(f"\nDiagnosis of {result['generator']}:")
                print("\n".join(diagnose_lib.report(result["diagnosis"])))
        if output:
            print(f"Wrote {output}")

    cli.run_reporting_errors(run_evaluation)


def run():
    from absl import app, flags

    from keras_gan import cli, config

    flags.DEFINE_string("workdir", None, "A keras_gan run folder: one of its checkpoints is evaluated.")
    flags.DEFINE_string("saved_model", None, "An exported generator (SavedModel) to evaluate instead.")
    flags.DEFINE_string("samples", None, "A .npy array of images in [0, 1] from any model, to evaluate instead.")
    flags.DEFINE_enum("dataset", "mnist", config.DATASETS, "Data set whose splits are used (default: the run's).")
    flags.DEFINE_integer(
        "tfd_fold", -1, "TFD: the fold to score (-1: all five, the paper's protocol).", lower_bound=-1, upper_bound=4
    )
    flags.DEFINE_string("data_dir", None, "Folder with the data set's files (default: the run's, else tfds).")
    flags.DEFINE_integer("num_samples", 10000, "Generator samples used as kernel centres.", lower_bound=1)
    flags.DEFINE_integer(
        "valid_images",
        None,
        "Validation images sigma is chosen on (0: all; default: 1,000 for MNIST as the release, all for TFD).",
        lower_bound=0,
    )
    flags.DEFINE_float("sigma_min", 0.1, "Smallest sigma of the grid.", lower_bound=1e-6)
    flags.DEFINE_float("sigma_max", 1.0, "Largest sigma of the grid.", lower_bound=1e-6)
    flags.DEFINE_integer("num_sigmas", 10, "Sigmas in the grid (log-spaced).", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of the generator's noise.", lower_bound=0)
    flags.DEFINE_string("output", None, "Where to write the JSON result (default <workdir>/parzen.json, or ais.json).")
    flags.DEFINE_enum("method", "parzen", ("parzen", "ais"), "parzen: Table 1's Parzen-window protocol; ais: "
                      "annealed importance sampling of p(x) = int p(z) N(x; G(z), sigma^2 I) dz (Wu et al. 2017), "
                      "with a BDMC check of its accuracy (keras_gan/ais.py).")
    flags.DEFINE_integer("ais_examples", 50, "--method=ais: test images scored, a seeded random subset (0: all).",
                         lower_bound=0)
    flags.DEFINE_integer("ais_chains", 4, "--method=ais: AIS chains per image.", lower_bound=1)
    flags.DEFINE_integer("ais_steps", 500, "--method=ais: intermediate distributions (sigmoid schedule) of the "
                         "test and BDMC runs.", lower_bound=1)
    flags.DEFINE_integer("ais_leapfrog", 10, "--method=ais: leapfrog steps per HMC transition.", lower_bound=1)
    flags.DEFINE_list("ais_sigmas", [f"{s:g}" for s in DEFAULT_AIS_SIGMAS], "--method=ais: the observation noise "
                      "sigma, or a grid of them chosen on validation images (comma-separated).")
    flags.DEFINE_integer("ais_valid", 10, "--method=ais: validation images the sigma grid is scored on.",
                         lower_bound=1)
    flags.DEFINE_integer("ais_valid_steps", 0, "--method=ais: intermediate distributions of the sigma search (0: "
                         "--ais_steps; fewer make small sigmas look worse than they are).", lower_bound=0)
    flags.DEFINE_integer("ais_bdmc", 10, "--method=ais: images simulated from the generator for the BDMC gap "
                         "(0: no BDMC).", lower_bound=0)
    flags.DEFINE_bool(
        "diagnose",
        False,
        "Also print where the log-likelihood goes: the sigma curve, per-class "
        "test log-likelihoods, the samples' class mix, nearest-neighbour distances, background and "
        "sharpness, each beside the same figure for real training images.",
    )
    cli.define_generator_flags()
    flags.FLAGS["generator"].help += " Several, comma-separated, or all."
    app.run(main)


if __name__ == "__main__":
    run()

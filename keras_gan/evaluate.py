"""Scores a run's generators, an exported generator or any model's images, as Table 1 does.

    python -m keras_gan.evaluate --workdir=runs/mnist                       # G of the latest checkpoint, Parzen
    python -m keras_gan.evaluate --workdir=runs/mnist --checkpoint=best     # the validation monitor's pick
    python -m keras_gan.evaluate --workdir=runs/mnist --generator=all       # G and each of its averages
    python -m keras_gan.evaluate --workdir=runs/mnist --diagnose            # and where the nats go
    python -m keras_gan.evaluate --workdir=runs/mnist --method=quality      # FD, KID, precision/recall, coverage
    python -m keras_gan.evaluate --workdir=runs/mnist --method=ais          # annealed importance sampling
    python -m keras_gan.evaluate --saved_model=runs/mnist/export/generator --data_dir=../shared/data/mnist
    python -m keras_gan.evaluate --samples=other_model.npy --data_dir=../shared/data/mnist

Each method is a library function (`keras_gan.evaluation.<method>.evaluate`)
returning one dict per generator; this command reads its flags, calls it, and
prints its rows. The result goes to `<workdir>/<method's file>` (parzen.json,
ais.json, quality.json) or `--output`, and a run folder gets TensorBoard scalars.
"""

import os

from absl import app, flags

from keras_gan import cli, config
from keras_gan.evaluation import ais as ais_method

config.define_flags(only=("dataset", "data_dir"))
flags.DEFINE_string("workdir", None, "A keras_gan run folder: one of its checkpoints is evaluated.")
flags.DEFINE_string("saved_model", None, "An exported generator (SavedModel) to evaluate instead.")
flags.DEFINE_string("samples", None, "A .npy array of images in [0, 1] from any model, to evaluate instead.")
cli.define_generator_flags()
flags.FLAGS["generator"].help += " Several, comma-separated, or all."
flags.DEFINE_integer("num_samples", 10000, "Generator samples scored (Parzen: the kernel centres).", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the generator's noise (and of AIS's subsets and chains).", lower_bound=0)
flags.DEFINE_string("output", None, "Where to write the JSON result (default <workdir>/<method>.json: parzen.json, "
                    "quality.json or ais.json).")
flags.DEFINE_list("tfd_folds", ["0", "1", "2", "3", "4"], "TFD: the folds scored, each with its own sigma (the "
                  "paper's protocol: all five, mean and standard error across them).")
# --method=parzen
flags.DEFINE_integer("valid_images", None, "Validation images sigma is chosen on (0: all; default: 1,000 for MNIST "
                     "as the release, all for TFD).", lower_bound=0)
flags.DEFINE_float("sigma_min", 0.1, "Smallest sigma of the grid.", lower_bound=1e-6)
flags.DEFINE_float("sigma_max", 1.0, "Largest sigma of the grid.", lower_bound=1e-6)
flags.DEFINE_integer("num_sigmas", 10, "Sigmas in the grid (log-spaced).", lower_bound=1)
flags.DEFINE_bool("diagnose", False, "Also print where the log-likelihood goes: the sigma curve, per-class test "
                  "log-likelihoods, the samples' class mix, nearest-neighbour distances, background, sharpness and "
                  "(MNIST) the sample-quality metrics, each beside the same figure for real training images.")
# --method=quality
flags.DEFINE_enum("quality_reference", "test", ("test", "valid"), "--method=quality: the real digits the samples are "
                  "compared with (test: Table 1's rows; valid: to choose between checkpoints without the test set).")
# --method=ais
flags.DEFINE_integer("ais_examples", 50, "--method=ais: test images scored, a seeded random subset (0: all).",
                     lower_bound=0)
flags.DEFINE_integer("ais_chains", 4, "--method=ais: AIS chains per image.", lower_bound=1)
flags.DEFINE_integer("ais_steps", 500, "--method=ais: intermediate distributions (sigmoid schedule) of the test and "
                     "BDMC runs.", lower_bound=1)
flags.DEFINE_integer("ais_leapfrog", 10, "--method=ais: leapfrog steps per HMC transition.", lower_bound=1)
flags.DEFINE_list("ais_sigmas", [f"{s:g}" for s in ais_method.DEFAULT_SIGMAS], "--method=ais: the observation "
                  "noise sigma, or a grid of them chosen on validation images (comma-separated).")
flags.DEFINE_integer("ais_valid", 10, "--method=ais: validation images the sigma grid is scored on.", lower_bound=1)
flags.DEFINE_integer("ais_valid_steps", 0, "--method=ais: intermediate distributions of the sigma search (0: "
                     "--ais_steps; fewer make small sigmas look worse than they are).", lower_bound=0)
flags.DEFINE_integer("ais_bdmc", 10, "--method=ais: images simulated from the generator for the BDMC gap (0: none).",
                     lower_bound=0)
FLAGS = flags.FLAGS


def _generators():
    return FLAGS.generator.split(",") if FLAGS.generator else None


def _sources():
    """The images' source, exactly one of --workdir, --saved_model and --samples."""
    given = [FLAGS.workdir and not (FLAGS.samples or FLAGS.saved_model), FLAGS.saved_model, FLAGS.samples]
    if sum(map(bool, given)) != 1:
        raise config.ConfigError("give one of --workdir, --saved_model and --samples")
    return dict(workdir=FLAGS.workdir, saved_model=FLAGS.saved_model, samples_path=FLAGS.samples,
                checkpoint=FLAGS.checkpoint, generators=_generators(), num_samples=FLAGS.num_samples, seed=FLAGS.seed)


def _positive_floats(name):
    try:
        values = [float(s) for s in FLAGS[name].value]
    except ValueError:
        values = []
    if not values or not all(v > 0 and v < float("inf") for v in values):
        raise config.ConfigError(f"--{name} must be positive numbers, comma-separated; got "
                                 f"{','.join(FLAGS[name].value)!r}")
    return values


def parzen(output):
    import numpy as np

    from keras_gan.evaluation import parzen as method

    if FLAGS.sigma_min >= FLAGS.sigma_max:
        raise config.ConfigError(f"--sigma_min must be below --sigma_max; got {FLAGS.sigma_min} >= {FLAGS.sigma_max}")
    sources, cfg = _sources(), run_config()
    folds = None
    if cfg.dataset == "tfd":
        folds = _tfd_folds()
        cfg.tfd_fold = folds[0]
    valid_images = FLAGS.valid_images
    if valid_images is None:  # the release: 1,000 MNIST digits, TFD's whole valid split
        valid_images = 0 if cfg.dataset == "tfd" else 1000
    sigmas = np.logspace(np.log10(FLAGS.sigma_min), np.log10(FLAGS.sigma_max), FLAGS.num_sigmas)
    return method, method.evaluate(cfg, **sources, valid_images=valid_images, sigmas=sigmas, output=output,
                                   folds=folds, diagnose=FLAGS.diagnose)


def _tfd_folds():
    values = FLAGS.tfd_folds
    if not values or any(not v.isdigit() or int(v) > 4 for v in values):
        raise config.ConfigError(f"--tfd_folds must be TFD folds 0..4, comma-separated; got {','.join(values)!r}")
    return [int(v) for v in values]


def quality(output):
    from keras_gan.evaluation import quality as method

    if FLAGS.diagnose:
        raise config.ConfigError("--diagnose goes with --method=parzen (whose report includes the quality metrics)")
    sources = _sources()
    return method, method.evaluate(run_config(), **sources, output=output, split=FLAGS.quality_reference)


def ais(output):
    method = ais_method
    if not FLAGS.workdir or FLAGS.samples or FLAGS.saved_model:
        raise config.ConfigError("--method=ais needs the generator itself: give --workdir (a --samples file has no "
                                 "generator, and a --saved_model does not record its noise prior)")
    if FLAGS.diagnose:
        raise config.ConfigError("--diagnose goes with --method=parzen")
    sigmas = _positive_floats("ais_sigmas")
    return method, method.evaluate(
        run_config(), FLAGS.workdir, checkpoint=FLAGS.checkpoint, generators=_generators(),
        num_examples=FLAGS.ais_examples, num_chains=FLAGS.ais_chains, num_steps=FLAGS.ais_steps,
        leapfrog_steps=FLAGS.ais_leapfrog, sigmas=sigmas, valid_images=FLAGS.ais_valid,
        valid_steps=FLAGS.ais_valid_steps or None, bdmc_examples=FLAGS.ais_bdmc, seed=FLAGS.seed, output=output)


# One entry per method: its name is --method's value and its result file's (<workdir>/<method>.json).
METHODS = {"parzen": parzen, "quality": quality, "ais": ais}
flags.DEFINE_enum("method", "parzen", list(METHODS),
                  "parzen: Table 1's Parzen-window protocol. quality: distances between the samples and the test "
                  "digits in an MNIST classifier's feature space (Frechet distance, KID, precision/recall, "
                  "density/coverage, classifier score; keras_gan/quality). ais: annealed importance sampling of "
                  "p(x) = int p(z) N(x; G(z), sigma^2 I) dz (Wu et al. 2017), with a BDMC check (keras_gan/ais.py).")


def run_config():
    """The config the sources are read with: the run's, with --dataset and --data_dir where given."""
    cfg = config.load_run_config(FLAGS.workdir) if FLAGS.workdir else config.Config()
    if FLAGS["dataset"].present or not FLAGS.workdir:
        cfg.dataset = FLAGS.dataset
    if FLAGS.data_dir:
        cfg.data_dir = FLAGS.data_dir
    return cfg


def evaluate():
    output = FLAGS.output or (os.path.join(FLAGS.workdir, f"{FLAGS.method}.json") if FLAGS.workdir else None)
    method, results = METHODS[FLAGS.method](output)
    if results[0].get("checkpoint_step") is not None:
        print(f"{results[0]['source']} (step {results[0]['checkpoint_step']})")
    print("\n".join(method.lines(results)))
    if output:
        print(f"Wrote {output}")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    cli.quiet_logs()
    cli.run_reporting_errors(evaluate)


def run():
    app.run(main)


if __name__ == "__main__":
    run()

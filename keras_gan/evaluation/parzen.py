"""Table 1: the Parzen-window log-likelihood of the test set under each source's samples.

sigma is chosen on the validation split (the first 1,000 images by default, as
the release) from `numpy.logspace(-1, 0, 10)`; the mean over the test split
and its standard error are reported beside the paper's row (section 5). For
TFD, each fold is scored with its own sigma and the mean and standard error
across folds are reported, as the paper's TFD row.
"""

import numpy as np

from keras_gan import evaluation

PAPER_TABLE1 = {"mnist": (225.0, 2.0), "tfd": (2057.0, 26.0)}
SCALARS = {"test_log_likelihood": "mean", "sigma": "sigma"}  # TensorBoard tags (under parzen/) -> result keys
_ROW = "{:<30} {:<6} {}"


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

    def one(fold_splits):
        to_model = evaluation.to_model_space(cfg, fold_splits)
        valid = fold_splits.valid if not valid_images else fold_splits.valid[:valid_images]
        return parzen.evaluate(samples, to_model(valid), to_model(fold_splits.test), sigmas=sigmas).to_dict()

    if cfg.dataset == "tfd" and folds is not None:
        per_fold = [one(s) for s in data_lib.load_tfd_folds(cfg.data_dir, cfg.tfd_size, folds, cfg.tfd_split)]
        means = np.array([r["mean"] for r in per_fold])
        return {"mean": float(means.mean()), "se": float(means.std() / np.sqrt(len(means))), "sigma": None,
                "folds": list(folds), "per_fold": per_fold, "n_samples": len(samples)}
    return one(splits)


def evaluate(cfg, workdir=None, saved_model=None, samples_path=None, num_samples=10000, valid_images=1000,
             sigmas=None, seed=0, output=None, folds=None, checkpoint="latest", generators=None, diagnose=False):
    """Scores generators with the paper's protocol; returns one result dict per generator.

    The sources are `evaluation.load_sources`'s (`workdir` with `checkpoint`
    and `generators`, or `saved_model`, or `samples_path`; `num_samples`
    images each, noise seeded by `seed`). With `diagnose`, each result also
    holds `diagnosis` (`keras_gan.diagnose`, plus the sample-quality metrics
    against the test digits for MNIST). `output` gets the JSON; a run folder
    gets the scores as TensorBoard scalars.
    """
    splits, sources = evaluation.load_sources(cfg, workdir, saved_model, samples_path, checkpoint, generators,
                                              num_samples, seed)
    results = []
    for scored in sources:
        result = score(cfg, scored.samples, splits, valid_images, sigmas, folds)
        result.update(dataset=cfg.dataset, source=scored.source, checkpoint_step=scored.step, generator=scored.name)
        if diagnose:
            result["diagnosis"] = _diagnosis(cfg, scored.samples, splits, valid_images)
        results.append(result)
    evaluation.write(results, output, workdir, "parzen", SCALARS)
    return results


def _diagnosis(cfg, samples, splits, valid_images):
    from keras_gan import diagnose, quality

    diagnosis = diagnose.diagnose(cfg, samples, splits, valid_images)
    try:
        quality.check_dataset(cfg.dataset, splits.image_shape, cfg.preprocess)
    except quality.QualityError:
        return diagnosis
    reference = quality.Reference(splits.test)
    diagnosis["quality"] = {"generator": reference.score(samples.reshape(len(samples), *splits.image_shape)).to_dict(),
                            "real_training_images": reference.score(splits.train[:len(samples)] / 255.0).to_dict()}
    return diagnosis


def lines(results):
    """The paper's Table 1 row and one row per scored generator, as printable lines."""
    lines = [_ROW.format("Model", "Data", "Parzen log-likelihood")]
    dataset = results[0]["dataset"]
    if dataset in PAPER_TABLE1:
        mean, se = PAPER_TABLE1[dataset]
        lines.append(_ROW.format("Adversarial nets (paper)", dataset.upper(), f"{mean:.0f} +- {se:.0f}"))
    for result in results:
        if "per_fold" in result:
            sigma = (f"folds {','.join(map(str, result['folds']))}, sigma per fold "
                     + ",".join(f"{r['sigma']:.3g}" for r in result["per_fold"]))
        else:
            sigma = f"sigma={result['sigma']:.4g}"
        name = ("Adversarial nets (this run)" if result["generator"] in ("generator", "samples")
                else f"this run, {result['generator']}")
        lines.append(_ROW.format(name, dataset.upper(), f"{result['mean']:.1f} +- {result['se']:.1f}  ({sigma})"))
    for result in results:
        if "diagnosis" in result:
            from keras_gan import diagnose

            lines += ["", f"Diagnosis of {result['generator']}:", *diagnose.report(result["diagnosis"])]
    return lines

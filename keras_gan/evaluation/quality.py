"""Sample quality of each source against real digits, in an MNIST classifier's feature space.

Table 1's protocol for the quality metrics (`keras_gan.quality`): 10,000
samples against the 10,000 t10k digits, every generator with the same noise.
"""

from keras_gan import evaluation

SCALARS = {f"test_{key}": key for key in ("fd", "kid", "precision", "recall", "density", "coverage",
                                          "classifier_score")}
_HEADER = ("fd", "kid", "precision", "recall", "density", "coverage", "classifier_score")


def evaluate(cfg, workdir=None, saved_model=None, samples_path=None, num_samples=10000, seed=0, output=None,
             checkpoint="latest", generators=None, split="test"):
    """The sample-quality metrics of each source (as `evaluation.load_sources`) against the `split` digits.

    Returns:
        One dict per generator: `quality.QualityResult` fields (fd, kid,
        kid_std, precision, recall, density, coverage, classifier_score, the
        class histograms, n_generated, n_real, classifier_sha256) plus
        dataset, source, checkpoint_step, generator and split.
    """
    from keras_gan import data as data_lib
    from keras_gan import quality

    quality.check_dataset(cfg.dataset, data_lib.image_shape(cfg), cfg.preprocess)
    splits, sources = evaluation.load_sources(cfg, workdir, saved_model, samples_path, checkpoint, generators,
                                              num_samples, seed)
    reference = quality.Reference(getattr(splits, split))
    results = []
    for scored in sources:
        result = reference.score(scored.samples.reshape(len(scored.samples), *splits.image_shape)).to_dict()
        result.update(dataset=cfg.dataset, source=scored.source, checkpoint_step=scored.step, generator=scored.name,
                      split=split)
        results.append(result)
    evaluation.write(results, output, workdir, "quality", SCALARS)
    return results


def lines(results):
    """One row per generator: every metric, with the direction that is better."""
    names = [("generator" if r["generator"] in ("generator", "samples") else r["generator"]) for r in results]
    width = max(12, *map(len, names))
    header = f"{'':<{width}} " + " ".join(f"{k:>10}" for k in ("FD", "KID", "precision", "recall", "density",
                                                                    "coverage", "clf score"))
    out = [f"Sample quality against {results[0]['n_real']} {results[0]['split']} digits, "
           f"{results[0]['n_generated']} samples each (MNIST classifier features; FD and KID: lower is better, "
           "the others higher; density about 1 for samples distributed as the data)", header]
    for name, r in zip(names, results):
        out.append(f"{name:<{width}} " + " ".join(f"{r[k]:10.4f}" if k == "kid" else f"{r[k]:10.3f}" for k in _HEADER))
        out.append(f"{'':<{width}} predicted classes of the samples: "
                   + " ".join(f"{c}:{share:.3f}" for c, share in enumerate(r["class_histogram"]))
                   + f" (real {' '.join(f'{s:.3f}' for s in r['real_class_histogram'])})")
    return out

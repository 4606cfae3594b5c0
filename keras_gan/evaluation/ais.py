"""AIS log-likelihoods (`keras_gan.ais`) of a run's generators on test images.

p(x) = integral p(z) N(x; G(z), sigma^2 I) dz is estimated by annealed
importance sampling (Wu et al., 2017): a stochastic lower bound per test image
(a seeded random subset of them by default, to finish in minutes on a CPU),
sigma chosen on validation images, and the BDMC gap of the schedule on images
simulated from the generator.
"""

import numpy as np

from keras_gan import evaluation

DEFAULT_SIGMAS = (0.05, 0.07, 0.1, 0.14, 0.2)  # = keras_gan.ais.DEFAULT_SIGMAS, here so --help needs no TensorFlow
SCALARS = {"test_log_likelihood": "mean", "sigma": "sigma", "bdmc_gap": ("bdmc", "gap_mean")}
_ROW = "{:<30} {:<6} {}"


def subset(count, wanted, seed, split):
    """Sorted indices of a seeded random subset of `wanted` of `count` images
    (all of them for 0 or more than there are): MNIST's test split is ordered
    (its first 5,000 digits are the cleaner ones), so a prefix would be biased."""
    if wanted == 0 or wanted >= count:
        return np.arange(count)
    from keras_gan.seeds import stream_seed

    return np.sort(np.random.default_rng(stream_seed(seed, "ais_subset", split)).choice(count, wanted, replace=False))


def evaluate(cfg, workdir, checkpoint="latest", generators=None, num_examples=50, num_chains=4, num_steps=500,
             leapfrog_steps=10, sigmas=None, valid_images=10, valid_steps=None, bdmc_examples=10, seed=0,
             output=None, verbose=1):
    """AIS log-likelihoods of a run's generators on test images; one result dict per generator.

    Args:
        cfg: The run's config (`data_dir` may point elsewhere).
        workdir: The run folder; `checkpoint` and `generators` as for `evaluation.load_sources`.
        num_examples: Test images scored, a seeded random subset (0: all).
        num_chains, num_steps, leapfrog_steps: K chains per image, T
            intermediate distributions, leapfrog steps per HMC transition.
        sigmas: The observation noise grid, chosen on `valid_images` random
            validation images with `valid_steps` distributions (default:
            `num_steps`; one sigma: used as it is). Default `DEFAULT_SIGMAS`.
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

    run = experiment.load_run(workdir, checkpoint, cfg)
    gan = run.gan
    if gan.num_classes:
        raise config.ConfigError("--method=ais scores the paper's unconditional generator; this run is "
                                 "--conditional, whose p(x) sums over classes (use --method=parzen)")
    to_model = evaluation.to_model_space(cfg, run.splits)
    test_indices = subset(len(run.splits.test), num_examples, seed, "test")
    valid_indices = subset(len(run.splits.valid), valid_images, seed, "valid")
    test, valid = to_model(run.splits.test[test_indices]), to_model(run.splits.valid[valid_indices])
    to_noise = ais.latent_to_noise(gan.noise)
    results = []
    for name in evaluation.generator_names(run, workdir, checkpoint, generators):
        decay = gan.averages.decay(name)

        def decode(u, decay=decay):
            return tf.reshape(gan.generate(to_noise(u), average=decay), (tf.shape(u)[0], -1))

        if verbose:
            print(f"{name} of {run.checkpoint} (step {run.step}):")
        result = ais.evaluate(decode, gan.noise_dim, valid, test, sigmas=DEFAULT_SIGMAS if sigmas is None else sigmas,
                              num_chains=num_chains, num_steps=num_steps, leapfrog_steps=leapfrog_steps,
                              valid_steps=valid_steps, bdmc_examples=bdmc_examples, seed=seed,
                              verbose=verbose).to_dict()
        result.update(dataset=cfg.dataset, source=run.checkpoint, checkpoint_step=run.step, generator=name,
                      noise=gan.noise, test_indices=test_indices.tolist())
        results.append(result)
    evaluation.write(results, output, workdir, "ais", SCALARS)
    return results


def lines(results):
    """One printable line per generator: the AIS estimate, how it was made, the BDMC gap and the cost."""
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

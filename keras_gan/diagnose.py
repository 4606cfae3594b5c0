"""Where a generator's Parzen log-likelihood goes: the figures behind one Table 1 number.

`python -m keras_gan.evaluate --workdir=DIR --diagnose` prints them beside the
Table 1 row. Each figure of the generator's samples stands beside the same
figure for a reference: as many real training images as there are samples,
used as kernel centres under the same protocol (the score a perfect sampler
of the training distribution would get; 241 on MNIST with 10,000 digits).

    sigma curve          mean validation log-likelihood for each sigma of a 41-point grid
    per class            mean test log-likelihood of each class's test images
    class mix            share of samples whose nearest training image is of each class
    nearest neighbours   squared distance from each test image to its nearest kernel centre
    pixels               mean value in the background (where no training image has ink),
                         and the share of pixels strictly between 0.1 and 0.9 (how grey)

A generator short of the reference everywhere (every class, larger
nearest-neighbour distances, clean backgrounds, the same greys) covers the
data less closely than real images do; one short in some classes, or with a
skewed class mix, has dropped modes.
"""

import numpy as np

FINE_SIGMAS = np.logspace(-1, 0, 41)
GREY = (0.1, 0.9)


def _summary(ll_or_d2, labels):
    if labels is None:
        return None
    return {int(c): float(ll_or_d2[labels == c].mean()) for c in np.unique(labels)}


def _side(centres, valid, test, test_labels, background, pixels):
    """The figures for one set of kernel centres."""
    from keras_gan import parzen

    fine = parzen.evaluate(centres, valid, test, sigmas=FINE_SIGMAS)
    protocol = parzen.evaluate(centres, valid, test)
    test_ll = parzen.log_likelihood(centres, test, protocol.sigma)
    d2, _ = parzen.nearest(test, centres)
    side = {
        "test_log_likelihood": protocol.mean,
        "sigma": protocol.sigma,
        "sigma_curve": dict(zip((round(s, 4) for s in fine.sigmas), fine.valid_scores)),
        "fine_grid_test_log_likelihood": fine.mean,
        "fine_grid_sigma": fine.sigma,
        "per_class_test_log_likelihood": _summary(test_ll, test_labels),
        "nearest_centre_squared_distance": {"median": float(np.median(d2)), "mean": float(d2.mean())},
        "per_class_nearest_squared_distance": _summary(d2, test_labels),
    }
    if pixels:
        side["background_mean"] = float(centres[:, background].mean())
        side["grey_share"] = float(((centres > GREY[0]) & (centres < GREY[1])).mean())
    return side


def diagnose(cfg, samples, splits, valid_images=1000):
    """The figures above for `samples` (model space, (N, ...)) and for N real
    training images, on `splits`; a JSON-ready dict."""
    from keras_gan import data as data_lib
    from keras_gan import parzen

    preprocessing = data_lib.Preprocessing(cfg.preprocess, splits.train)
    to_model = lambda images: preprocessing.forward(data_lib.to_float(images)).numpy().reshape(len(images), -1)  # noqa: E731
    samples = np.asarray(samples, np.float32).reshape(len(samples), -1)
    train = to_model(splits.train)
    valid = to_model(splits.valid[:valid_images] if valid_images else splits.valid)
    test = to_model(splits.test)
    reference = train[: len(samples)]
    # Pixels only: the background is where no training image has ink.
    pixels = cfg.preprocess == "unit" and train.min() >= 0.0 and train.max() <= 1.0
    background = train.max(axis=0) < 0.01 if pixels else None
    out = {
        "n_samples": len(samples),
        "generator": _side(samples, valid, test, splits.test_labels, background, pixels),
        "real_training_images": _side(reference, valid, test, splits.test_labels, background, pixels),
    }
    if splits.train_labels is not None:
        _, nearest = parzen.nearest(samples, train)
        classes = np.unique(splits.train_labels)
        mix = np.bincount(splits.train_labels[nearest], minlength=classes.max() + 1)[classes] / len(samples)
        share = np.bincount(splits.train_labels, minlength=classes.max() + 1)[classes] / len(splits.train_labels)
        out["class_mix"] = {int(c): {"samples": float(m), "training_set": float(t)}
                            for c, m, t in zip(classes, mix, share)}
    if pixels:
        out["test_pixels"] = {"background_mean": float(test[:, background].mean()),
                              "grey_share": float(((test > GREY[0]) & (test < GREY[1])).mean())}
    return out


def report(diagnosis):
    """The diagnosis as printable lines: generator beside real training images."""
    g, r = diagnosis["generator"], diagnosis["real_training_images"]
    n = diagnosis["n_samples"]
    lines = [
        f"{'':<44} {'generator':>10} {f'{n} real':>10}",
        f"{'test log-likelihood, paper protocol':<44} {g['test_log_likelihood']:10.1f} "
        f"{r['test_log_likelihood']:10.1f}",
        f"{'  its sigma':<44} {g['sigma']:10.3f} {r['sigma']:10.3f}",
        f"{'test log-likelihood, 41-point sigma grid':<44} {g['fine_grid_test_log_likelihood']:10.1f} "
        f"{r['fine_grid_test_log_likelihood']:10.1f}",
        f"{'  its sigma':<44} {g['fine_grid_sigma']:10.3f} {r['fine_grid_sigma']:10.3f}",
        f"{'squared distance, test image to nearest centre':<44} "
        f"{g['nearest_centre_squared_distance']['median']:10.2f} "
        f"{r['nearest_centre_squared_distance']['median']:10.2f}  (median)",
    ]
    if "background_mean" in g:
        t = diagnosis["test_pixels"]
        lines += [
            f"{'background pixel mean (test images: ' + format(t['background_mean'], '.4f') + ')':<44} "
            f"{g['background_mean']:10.4f} {r['background_mean']:10.4f}",
            f"{'share of grey pixels (test images: ' + format(t['grey_share'], '.3f') + ')':<44} "
            f"{g['grey_share']:10.3f} {r['grey_share']:10.3f}",
        ]
    if "quality" in diagnosis:
        gq, rq = diagnosis["quality"]["generator"], diagnosis["quality"]["real_training_images"]
        lines.append(f"sample quality against the {gq['n_real']} test digits (MNIST classifier features):")
        for key, better in (("fd", "lower"), ("kid", "lower"), ("precision", "higher"), ("recall", "higher"),
                            ("density", "about 1"), ("coverage", "higher"), ("classifier_score", "higher")):
            lines.append(f"  {key + ' (' + better + ')':<42} {gq[key]:10.4f} {rq[key]:10.4f}")
    lines.append("sigma curve (mean validation log-likelihood):")
    for (sigma, gv), rv in zip(g["sigma_curve"].items(), r["sigma_curve"].values()):
        if sigma < 0.4:  # beyond it the curves only fall
            lines.append(f"  sigma {sigma:<8.4f}{'':<28} {gv:10.1f} {rv:10.1f}")
    if g["per_class_test_log_likelihood"]:
        mix = diagnosis.get("class_mix", {})
        lines.append(
            f"per class: {'test LL':>20} {'(real)':>8} {'NN dist':>9} {'(real)':>8} {'share':>7} {'(train)':>8}"
        )
        for c, gv in g["per_class_test_log_likelihood"].items():
            m = mix.get(c, {"samples": float("nan"), "training_set": float("nan")})
            lines.append(
                f"  class {c:<6} {gv:18.1f} {r['per_class_test_log_likelihood'][c]:8.1f} "
                f"{g['per_class_nearest_squared_distance'][c]:9.2f} "
                f"{r['per_class_nearest_squared_distance'][c]:8.2f} {m['samples']:7.3f} {m['training_set']:8.3f}"
            )
    return lines

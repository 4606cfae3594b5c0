"""The paper's figures from a trained run.

    python -m keras_gan.figures figure1 --workdir=runs/gaussian1d     # Figure 1, and section 4 checked
    python -m keras_gan.figures samples --workdir=runs/mnist          # Figure 2: samples and nearest neighbours
    python -m keras_gan.figures interpolation --workdir=runs/mnist    # Figure 3: walks through z space
    python -m keras_gan.figures progress --workdir=runs/mnist         # the sample grid over training time

PNGs go to `<workdir>/figures/` (or `--output`), and Figures 2 and 3 also to
TensorBoard. Image grids are upscaled (nearest neighbour) to at least 500
pixels wide (`--min_width`); Figure 2 sets the nearest training images apart
from the samples by a white gap. Figure 1 and `scalar_curves` (training
curves, `scripts/plot_scalars.py`) need matplotlib (`pip install -e '.[figures]'`).

The command (`__main__.py`) reads its flags and calls `figure1_of_run`,
`grid_of_run` or `progress_of_run`, which read a run folder and draw.
"""

import math
import os

import numpy as np
import tensorflow as tf

from keras_gan import config, experiment, parzen, summaries, theory
from keras_gan import data as data_lib

MIN_WIDTH = 500  # pixels: a 28 x 28 digit tile drawn at least 2 x 2 screen pixels per pixel in an 8-wide grid
NEIGHBOUR_GAP = 6  # pixels (before upscaling) between the samples and their nearest training images
PANEL_GAP = 6  # pixels (before upscaling) between the grids of `progress_of_run`


def upscale(grid, min_width=MIN_WIDTH):
    """A (1, H, W, C) grid repeated pixel by pixel (nearest neighbour, an
    integer factor) until it is at least `min_width` pixels wide."""
    factor = max(1, math.ceil(min_width / grid.shape[2]))
    return np.repeat(np.repeat(grid, factor, axis=1), factor, axis=2)


def write_png(path, grid, min_width=MIN_WIDTH):
    """Writes a (1, H, W, C) grid in [0, 1] as a PNG, atomically, upscaled
    (`upscale`) to at least `min_width` pixels wide so that a person can read it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    grid = upscale(np.asarray(grid, np.float32), min_width)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(tf.io.encode_png(tf.cast(tf.round(grid[0] * 255.0), tf.uint8)).numpy())
    os.replace(tmp, path)
    return path


def samples_with_neighbours(gan, train_images, preprocessing, rows=6, cols=6, seed=0, average=None):
    """Figure 2: `rows x cols` fair random samples (shown in model order, not
    picked) and, set apart on the right by a white gap, the nearest training
    example of each row's last sample, so memorization would show as identical
    pairs. A conditional model draws row r from class r mod C. `average`:
    sample one of G's moving averages instead of G."""
    samples = gan.sample(rows * cols, seed=seed, labels=gan.grid_labels(rows, cols), average=average).numpy()
    last = samples.reshape(rows, cols, *samples.shape[1:])[:, -1]
    train_model_space = preprocessing.forward(data_lib.to_float(train_images)).numpy()
    nearest = train_model_space[parzen.nearest(last, train_model_space)[1]]
    left = summaries.image_grid(preprocessing.inverse(samples), rows, cols)
    right = summaries.image_grid(preprocessing.inverse(nearest), rows, 1)
    gap = np.ones((1, left.shape[1], NEIGHBOUR_GAP, left.shape[3]), np.float32)
    return np.concatenate([left, gap, right], axis=2)


def interpolation(gan, preprocessing, rows=6, steps=10, seed=0, average=None):
    """Figure 3: each row is G(z) along the line from one random z to another
    (a conditional model: row r in class r mod C)."""
    ends = gan.sample_noise(2 * rows, seed=tf.constant((seed, 3), tf.int64)).numpy().reshape(rows, 2, -1)
    alphas = np.linspace(0.0, 1.0, steps)[None, :, None]
    z = (1 - alphas) * ends[:, :1] + alphas * ends[:, 1:]
    images = gan.generate(tf.constant(z.reshape(rows * steps, -1), tf.float32), gan.grid_labels(rows, steps),
                          average=average).numpy()
    return summaries.image_grid(preprocessing.inverse(images), rows, steps)


def figure1(checkpoints, p_data, grid, output, samples=20_000, arrows=25):
    """Figure 1 at several points of training, plus Proposition 1 and Theorem 1.

    The arrows of x = G(z) are drawn when z is one-dimensional (the figure's
    own setting); with more noise dimensions only the curves are.

    Args:
        checkpoints: [(label, gan)] in training order.
        p_data: The data density (callable).
        grid: x values for the curves and the integrals.

    Returns:
        One dict per checkpoint: C(G) with D* (Eq. 4), -log 4 + 2 JSD (Eq. 5,
        6), the largest |D(x) - D*(x)| where the data has mass
        (`max_abs_D_minus_D_star`), and the mean D* there (`mean_D_star`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(checkpoints), figsize=(4 * len(checkpoints), 3.4), squeeze=False)
    report = []
    support = grid[p_data(grid) > 0.05 * p_data(grid).max()]
    for ax, (label, gan) in zip(axes[0], checkpoints):
        z = gan.sample_noise(samples, seed=tf.constant((0, 1), tf.int64))
        x_g = gan.generator(z, training=False).numpy().reshape(-1)
        p_g = theory.kernel_density(x_g)
        d = tf.sigmoid(gan.discriminator(grid[:, None].astype(np.float32), training=False)).numpy().reshape(-1)
        d_star = theory.optimal_discriminator(p_data, p_g)
        ax.plot(grid, p_data(grid), "k:", label="p_data")
        ax.plot(grid, p_g(grid), "g-", label="p_g")
        ax.plot(grid, d, "b--", label="D(x)")
        top = ax.get_ylim()[1]
        if gan.noise_dim == 1:
            # The mapping x = G(z): arrows from an evenly spaced z line up to the x line.
            z_line = np.linspace(float(tf.reduce_min(z)), float(tf.reduce_max(z)), arrows)
            x_of_z = gan.generator(z_line[:, None].astype(np.float32), training=False).numpy().reshape(-1)
            z_pos = np.interp(z_line, (z_line[0], z_line[-1]), (grid[0], grid[-1]))
            for zp, xp in zip(z_pos, x_of_z):
                ax.annotate("", xy=(xp, -0.08 * top), xytext=(zp, -0.3 * top),
                            arrowprops=dict(arrowstyle="->", lw=0.6, color="0.4"))
            ax.axhline(-0.3 * top, color="k", lw=0.8)
            ax.axhline(-0.08 * top, color="k", lw=0.8)
        ax.set_ylim(-0.35 * top if gan.noise_dim == 1 else 0.0, top)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_title(label)
        ax.set_yticks([])
        # The integrals need all of both densities' mass, wherever G has put its samples.
        wide = np.linspace(min(grid[0], x_g.min() - 1.0), max(grid[-1], x_g.max() + 1.0), 4001)
        p_g_wide = theory.tabulated(p_g, wide)
        c = theory.virtual_training_criterion(p_data, p_g_wide, wide)
        report.append({
            "checkpoint": label,
            "C(G)": c,
            "-log4+2JSD": -math.log(4.0) + 2.0 * theory.jensen_shannon(p_data, p_g_wide, wide),
            "max_abs_D_minus_D_star": float(np.abs(np.interp(support, grid, d) - d_star(support)).max()),
            "mean_D_star": float(d_star(support).mean()),
        })
    axes[0][0].legend(loc="upper left", fontsize=7)
    _save(fig, output)
    return report


def scalar_curves(runs, tags, output, ylabel, ymin=None, title=""):
    """TensorBoard scalars of several runs as curves in one PNG (about 770
    pixels wide), with labelled axes and a legend naming each run and
    generator.

    Args:
        runs: Run folders.
        tags: Scalar tags, e.g. `parzen/valid_log_likelihood` (G's validation
            monitor) and `parzen/valid_log_likelihood_ema_0.9999` (an average's).
        output: The PNG to write.
        ylabel: The y axis's label.
        ymin: Lower limit of the y axis (default: every point shown).
        title: The figure's title.

    Returns:
        The matplotlib `Axes` drawn (closed): one line per curve, labelled as
        in the legend (a run lacking a tag has no curve).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for run in runs:
        scalars = summaries.read_scalars(run, tags)
        for tag in tags:
            if scalars.get(tag):
                steps, _, values = zip(*scalars[tag])
                ax.plot(steps, values, label=_curve_label(run, tag))
    ax.set_xlabel("step (generator updates)")
    ax.set_ylabel(ylabel)
    if ymin is not None:
        ax.set_ylim(bottom=ymin)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if ax.get_lines():
        ax.legend(fontsize=8)
    _save(fig, output)
    return ax


def _save(fig, output):
    """Writes a matplotlib figure as a PNG, atomically, and closes it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    tmp = f"{output}.tmp.png"
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, output)


def _curve_label(run, tag):
    """"table1: G", "table1: EMA 0.9999" for the monitor's tags; the tag itself for others."""
    name = tag.split("/")[-1]
    for prefix in ("valid_log_likelihood", "valid_sigma"):
        if name == prefix:
            name = "G"
        elif name.startswith(prefix + "_ema_"):
            name = "EMA " + name[len(prefix + "_ema_"):]
    return f"{os.path.basename(os.path.normpath(run))}: {name}"


def figure1_of_run(workdir, output, panels=4):
    """Figure 1 of a `--dataset=gaussian1d` run folder: `panels` of its
    checkpoints, evenly spaced through training, drawn into `output` by
    `figure1`, whose rows it returns."""
    cfg = config.load_run_config(workdir)
    if cfg.dataset != "gaussian1d":
        raise config.ConfigError(f"figure1 draws a --dataset=gaussian1d run; {workdir} is {cfg.dataset}")
    # The latest few, oldest first: the ones the state file names and those in the folder.
    paths = [c.path for c in reversed(experiment.checkpoint_candidates(workdir)) if c.folder == 0]
    if not paths:
        raise FileNotFoundError(f"--workdir {workdir}: no checkpoint to draw from")
    picks = sorted({paths[int(round(i))] for i in np.linspace(0, len(paths) - 1, min(panels, len(paths)))},
                   key=paths.index)
    checkpoints = [(f"step {p.rsplit('-', 1)[1]}", experiment.load_run(workdir, p).gan) for p in picks]
    spread = 4 * cfg.gaussian_std
    grid = np.linspace(cfg.gaussian_mean - spread, cfg.gaussian_mean + spread, 2001)
    return figure1(checkpoints, theory.gaussian_density(cfg.gaussian_mean, cfg.gaussian_std), grid, output)


def grid_of_run(figure, workdir, output, checkpoint="latest", generator=None, rows=6, cols=8, seed=0,
                min_width=MIN_WIDTH):
    """Figure 2 (`figure="samples"`: `samples_with_neighbours`) or Figure 3
    ("interpolation": `interpolation`) of a run folder's generator, written to
    `output` (`write_png`) and to the run's TensorBoard images as `figures/<figure>`.

    Args:
        figure: "samples" or "interpolation".
        workdir: The run folder.
        output: The PNG to write.
        checkpoint: Which of its checkpoints (`experiment.find_checkpoint`).
        generator: "generator" (G) or "ema_<decay>"; default: the validation
            monitor's pick for a best checkpoint, else G.
        rows, cols: Rows of the grid, and samples (or interpolation steps) per row.
        seed: Seed of the noise.
        min_width: The PNG is upscaled to at least this many pixels wide.

    Returns:
        (the generator's name, the `experiment.Run` it came from).
    """
    run = experiment.load_run(workdir, checkpoint)
    if len(run.splits.image_shape) != 3:
        raise config.ConfigError(f"{figure} draws image data; {workdir} is {run.config.dataset}")
    name = generator or experiment.default_generator(workdir, checkpoint)
    average = run.gan.averages.decay(name)
    preprocessing = data_lib.Preprocessing(run.config.preprocess, run.splits.train)
    if figure == "samples":
        grid = samples_with_neighbours(run.gan, run.splits.train, preprocessing, rows, cols, seed, average)
    else:
        grid = interpolation(run.gan, preprocessing, rows, cols, seed, average)
    write_png(output, grid, min_width)
    with tf.summary.create_file_writer(workdir).as_default(step=run.step):
        tf.summary.image(f"figures/{figure}", grid)
    return name, run


def progress_of_run(workdir, output, panels=4, generator=None, min_width=MIN_WIDTH):
    """The sample grid over training time: `panels` of the grids the run
    wrote to TensorBoard (`callbacks.SampleGrid`: at each epoch's end and at
    the run's last step, the same noise each time), evenly spaced from the
    first to the last (one panel: the last), left to right with a white gap
    between them, written to `output` (`write_png`). A grid shorter than the
    others (`--grid_size` changed on a resume) is padded with white below.

    Args:
        workdir: The run folder.
        output: The PNG to write.
        panels: How many grids.
        generator: "generator" (G, the default) or "ema_<decay>".
        min_width: The PNG is upscaled to at least this many pixels wide.

    Returns:
        The steps of the grids drawn, left to right.
    """
    config.load_run_config(workdir)  # a one-line error for a folder that is no run
    tag = "samples" if generator in (None, "generator") else f"samples/{generator}"
    grids = summaries.read_images(workdir, tag)
    if not grids:
        names = ["generator" if t == "samples" else t[len("samples/"):] for t in summaries.image_tags(workdir)
                 if t == "samples" or t.startswith("samples/")]
        if not names:
            raise config.ConfigError(f"--workdir {workdir}: its TensorBoard events hold no sample grids (a run of "
                                     f"image data writes one at each epoch's end)")
        raise config.ConfigError(f"--generator must be one of {', '.join(names)} for this run's sample grids; got "
                                 f"{generator!r}")
    picks = [len(grids) - 1] if panels == 1 else sorted(
        {int(round(i)) for i in np.linspace(0, len(grids) - 1, min(panels, len(grids)))})
    height = max(grids[i][1].shape[0] for i in picks)
    row = []
    for i in picks:
        image = grids[i][1]
        image = np.pad(image, ((0, height - image.shape[0]), (0, 0), (0, 0)), constant_values=255)
        row += [image, np.full((height, PANEL_GAP, image.shape[2]), 255, np.uint8)]
    write_png(output, np.concatenate(row[:-1], axis=1)[None].astype(np.float32) / 255.0, min_width)
    return [grids[i][0] for i in picks]

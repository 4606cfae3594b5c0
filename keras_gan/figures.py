"""The paper's figures from a trained run.

    python -m keras_gan.figures figure1 --workdir=runs/gaussian1d     # Figure 1, and section 4 checked
    python -m keras_gan.figures samples --workdir=runs/mnist          # Figure 2: samples and nearest neighbours
    python -m keras_gan.figures interpolation --workdir=runs/mnist    # Figure 3: walks through z space

PNGs go to `<workdir>/figures/` (or `--output`), and Figures 2 and 3 also to
TensorBoard. Figure 1 needs matplotlib (`pip install -e '.[figures]'`).
"""

import math
import os

import numpy as np
import tensorflow as tf

from keras_gan import parzen, summaries, theory

FIGURES = ("figure1", "samples", "interpolation")


def write_png(path, grid):
    """Writes a (1, H, W, C) grid in [0, 1] as a PNG, atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(tf.io.encode_png(tf.cast(tf.round(grid[0] * 255.0), tf.uint8)).numpy())
    os.replace(tmp, path)
    return path


def samples_with_neighbours(gan, train_images, preprocessing, rows=6, cols=6, seed=0, average=None):
    """Figure 2: `rows x cols` fair random samples (shown in model order, not
    picked); the rightmost column holds the nearest training example of each
    row's last sample, so memorization would show as identical pairs. A
    conditional model draws row r from class r mod C. `average`: sample one
    of G's moving averages instead of G."""
    from keras_gan import data as data_lib

    samples = gan.sample(rows * cols, seed=seed, labels=gan.grid_labels(rows, cols), average=average).numpy()
    last = samples.reshape(rows, cols, *samples.shape[1:])[:, -1]
    train_model_space = preprocessing.forward(data_lib.to_float(train_images)).numpy()
    nearest = train_model_space[parzen.nearest(last, train_model_space)[1]]
    tiles = np.concatenate([samples.reshape(rows, cols, *samples.shape[1:]), nearest[:, None]], axis=1)
    tiles = preprocessing.inverse(tiles.reshape(rows * (cols + 1), *samples.shape[1:]))
    return summaries.image_grid(tiles, rows, cols + 1)


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
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    tmp = f"{output}.tmp.png"
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, output)
    return report


def main(argv):
    from absl import flags

    from keras_gan import cli, config, data, experiment

    cli.quiet_logs()
    FLAGS = flags.FLAGS

    def draw():
        if len(argv) != 2 or argv[1] not in FIGURES:
            raise config.ConfigError(f"name one figure: {', '.join(FIGURES)}; got {' '.join(argv[1:]) or 'none'}")
        figure, workdir = argv[1], FLAGS.workdir
        output = FLAGS.output or os.path.join(workdir, "figures", f"{figure}.png")
        if figure == "figure1":
            cfg = config.load_run_config(workdir)
            if cfg.dataset != "gaussian1d":
                raise config.ConfigError(f"figure1 draws a --dataset=gaussian1d run; {workdir} is {cfg.dataset}")
            # The latest few, oldest first: the ones the state file names and those in the folder.
            paths = [c.path for c in reversed(experiment.checkpoint_candidates(workdir)) if c.folder == 0]
            if not paths:
                raise FileNotFoundError(f"--workdir {workdir}: no checkpoint to draw from")
            picks = sorted(
                {paths[int(round(i))] for i in np.linspace(0, len(paths) - 1, min(FLAGS.panels, len(paths)))},
                key=paths.index,
            )
            checkpoints = [(f"step {p.rsplit('-', 1)[1]}", experiment.load_run(workdir, p).gan) for p in picks]
            spread = 4 * cfg.gaussian_std
            grid = np.linspace(cfg.gaussian_mean - spread, cfg.gaussian_mean + spread, 2001)
            report = figure1(checkpoints, theory.gaussian_density(cfg.gaussian_mean, cfg.gaussian_std), grid, output)
            print(f"{'checkpoint':<14} {'C(G)':>9} {'-log4+2JSD':>11} {'max|D-D*|':>10} {'mean D*':>8}")
            for r in report:
                print(
                    f"{r['checkpoint']:<14} {r['C(G)']:9.4f} {r['-log4+2JSD']:11.4f} "
                    f"{r['max_abs_D_minus_D_star']:10.3f} {r['mean_D_star']:8.3f}"
                )
            print(f"Theorem 1: the global minimum of C(G) is -log 4 = {-math.log(4):.4f}, reached when p_g = p_data.")
        else:
            run = experiment.load_run(workdir, FLAGS.checkpoint)
            if len(run.splits.image_shape) != 3:
                raise config.ConfigError(f"{figure} draws image data; {workdir} is {run.config.dataset}")
            name = FLAGS.generator or experiment.default_generator(workdir, FLAGS.checkpoint)
            average = experiment.average_decay(run.gan, name)
            preprocessing = data.Preprocessing(run.config.preprocess, run.splits.train)
            if figure == "samples":
                grid = samples_with_neighbours(
                    run.gan, run.splits.train, preprocessing, FLAGS.rows, FLAGS.cols, FLAGS.seed, average
                )
            else:
                grid = interpolation(run.gan, preprocessing, FLAGS.rows, FLAGS.cols, FLAGS.seed, average)
            write_png(output, grid)
            print(f"{name} at step {run.step} ({run.checkpoint})")
            with tf.summary.create_file_writer(workdir).as_default(step=run.step):
                tf.summary.image(f"figures/{figure}", grid)
        print(f"Wrote {output}")

    cli.run_reporting_errors(draw)


def run():
    from absl import app, flags

    flags.DEFINE_string("workdir", None, "A keras_gan run folder.", required=True)
    flags.DEFINE_string("output", None, "PNG to write (default <workdir>/figures/<figure>.png).")
    flags.DEFINE_integer("rows", 6, "Rows of the grid.", lower_bound=1)
    flags.DEFINE_integer("cols", 8, "Samples per row (samples) or interpolation steps (interpolation).", lower_bound=2)
    flags.DEFINE_integer("panels", 4, "figure1: checkpoints drawn, evenly spaced through training.", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of the noise.", lower_bound=0)
    from keras_gan import cli

    cli.define_generator_flags()
    app.run(main)


if __name__ == "__main__":
    run()

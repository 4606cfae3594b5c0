"""Learned approximate inference for a run's generator (`keras_gan.inference.infer_from_run`).

    python -m keras_gan.inference --workdir=runs/mnist [--checkpoint=best] [--steps=5000]
"""

from absl import app, flags

from keras_gan import cli, inference

flags.DEFINE_string("workdir", None, "A trained keras_gan run folder.", required=True)
flags.DEFINE_integer("steps", 5000, "Training steps of E.", lower_bound=1)
flags.DEFINE_integer("batch_size", 100, "Generated images per step.", lower_bound=1)
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate of E.", lower_bound=0.0)
flags.DEFINE_list("hidden_units", ["1200", "1200"], "E's hidden layer widths.")
flags.DEFINE_integer("num_images", 1000, "Test and generated images the errors are measured on.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of E's training noise.", lower_bound=0)
cli.define_generator_flags()
FLAGS = flags.FLAGS


def infer():
    result, figure, export = inference.infer_from_run(
        FLAGS.workdir, FLAGS.checkpoint, FLAGS.generator, FLAGS.steps, FLAGS.batch_size, FLAGS.learning_rate,
        tuple(int(u) for u in FLAGS.hidden_units), FLAGS.num_images, FLAGS.seed)
    print(f"Reconstruction error, mean squared error per pixel of G(E(x)): generated images "
          f"{result['generated_mse']:.4f} (their mean image: {result['mean_image_generated_mse']:.4f}), real test "
          f"images {result['test_mse']:.4f} (the mean training image: {result['mean_image_test_mse']:.4f})")
    print(f"Wrote {figure} (pairs: real, G(E(real))) and exported E to {export}")


def main(argv):
    del argv
    cli.quiet_logs()
    cli.run_reporting_errors(infer)


def run():
    app.run(main)


if __name__ == "__main__":
    run()

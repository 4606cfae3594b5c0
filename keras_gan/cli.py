"""What the commands share: one-line errors for the mistakes a user can make,
and one-line warnings for what a command works around (a damaged file it skips)."""

import os
import sys

# TensorFlow's C++ start-up chatter buries the one line a user needs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_gan.errors import UserError  # noqa: E402


def quiet_logs():
    """TensorFlow's INFO lines (savers, signatures) hide the progress bar;
    keep them unless the user asked for them with --verbosity."""
    from absl import flags, logging

    if not flags.FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)


def run_reporting_errors(fn, *args, **kwargs):
    """Calls `fn`; a user error (a `UserError`, or a file that cannot be
    read or written) becomes one line on stderr and exit status 1."""
    try:
        return fn(*args, **kwargs)
    except (UserError, OSError) as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(1)


def warn(message):
    """`warning: <message>` as one line on stderr: what a command worked
    around, said where a user looks for it, whatever the --verbosity."""
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def define_generator_flags():
    """--checkpoint and --generator: which weights of a run folder a command reads."""
    from absl import flags

    flags.DEFINE_string("checkpoint", "latest", "Which checkpoint of --workdir: latest, best (the validation "
                        "monitor's pick), a step number (a recent or a kept checkpoint) or a checkpoint path.")
    flags.DEFINE_string("generator", None, "Which generator of that checkpoint: generator (G itself) or "
                        "ema_<decay> (one of its moving averages, --ema_decays); default: the one the validation "
                        "monitor picked for --checkpoint=best, else G.")

"""What the commands share: one-line errors for the mistakes a user can make."""

import os
import sys

# TensorFlow's C++ start-up chatter buries the one line a user needs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_gan.config import ConfigError  # noqa: E402
from keras_gan.data import DataError  # noqa: E402
from keras_gan.parzen import ParzenError  # noqa: E402

USER_ERRORS = (ConfigError, DataError, ParzenError, FileNotFoundError, NotADirectoryError, PermissionError)


def quiet_logs():
    """TensorFlow's INFO lines (savers, signatures) hide the progress bar;
    keep them unless the user asked for them with --verbosity."""
    from absl import flags, logging

    if not flags.FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)


def run_reporting_errors(fn, *args, **kwargs):
    """Calls `fn`; a user error becomes one line on stderr and exit status 1."""
    from keras_gan.train_lib import TrainingError

    try:
        return fn(*args, **kwargs)
    except USER_ERRORS + (TrainingError,) as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(1)

"""The errors a user can cause, and the one base the commands catch.

No TensorFlow here, so `cli` can name them without starting it.
"""


class UserError(Exception):
    """Something the user gave (a flag, a file, a run folder) is not usable.

    The commands print its message as one line, `error: ...`, and exit 1.
    """


class TrainingError(UserError, RuntimeError):
    """Training cannot go on (a diverged loss, a workdir from another model)."""


class RunFolderError(UserError):
    """A file of a run folder is damaged or missing (a checkpoint, best.json,
    config.json, architecture.json); the message names the file and what is wrong."""

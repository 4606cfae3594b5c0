"""What the commands share: one-line errors, one-line warnings for what a command works around (a damaged
file it skips), quiet logs, --help by group, --checkpoint/--generator flags."""

import os
import sys

from absl import flags

from keras_gan.errors import UserError

# TensorFlow's C++ start-up chatter buries the one line a user needs (what else it prints: startup_logs).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The flags this module's helpers define belong to the command that calls them: absl's --help lists the
# main module's flags only.
flags.disclaim_key_flags()

HELP_ARGS = ("--help", "-help", "--helpshort", "-helpshort", "-?", "-h")


def quiet_logs():
    """TensorFlow's INFO lines (savers, signatures) hide the progress bar;
    keep them unless the user asked for them with --verbosity."""
    from absl import logging

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


def grouped_help(groups, flag_values=flags.FLAGS):
    """The text of a command's --help: each group's flags, in the order given,
    with their help, default and syntax (as absl writes them).

    Args:
        groups: {title: flag names}; names not defined are skipped.
        flag_values: The command's flags.

    Returns:
        The text, one paragraph per group.
    """
    lines = []
    for title, names in groups.items():
        lines.append(f"\n{title}:")
        lines.extend(_flag_help(flag_values[name]) for name in names if name in flag_values)
    return "\n".join(lines)


def _flag_help(flag):
    name = f"--[no]{flag.name}" if flag.boolean else f"--{flag.name}"
    text = flags.text_wrap(f"{name}: {flag.help}", indent="    ", firstline_indent="  ")
    notes = [f"default: {flag.default_as_str}"] if flag.default_as_str else []
    if flag.parser.syntactic_help:
        notes.append(flag.parser.syntactic_help)
    if notes:
        text += "\n" + flags.text_wrap(f"({'; '.join(notes)})", indent="    ")
    return text


def parse_flags_with_grouped_help(doc, groups):
    """An absl `flags_parser` for `app.run`: with --help (or -h) it prints
    `doc` and `grouped_help(groups)` and exits 0; otherwise it is absl's own
    parser. absl's --help would list the flags in one alphabetical run."""
    from absl import app

    def parse(argv):
        if any(arg in HELP_ARGS for arg in argv[1:]):
            sys.stdout.write(f"{doc.rstrip()}\n{grouped_help(groups)}\n\nTry --helpfull to get a list of all flags "
                             "(absl's and TensorFlow's too).\n")
            sys.exit(0)
        return app.parse_flags_with_usage(argv)

    return parse


def define_generator_flags():
    """--checkpoint and --generator: which weights of a run folder a command reads."""
    flags.DEFINE_string("checkpoint", "latest", "Which checkpoint of --workdir: latest, best (the validation "
                        "monitor's pick), a step number (a recent or a kept checkpoint) or a checkpoint path.")
    flags.DEFINE_string("generator", None, "Which generator of that checkpoint: generator (G itself) or "
                        "ema_<decay> (one of its moving averages, --ema_decays); default: the one the validation "
                        "monitor picked for --checkpoint=best, else G.")

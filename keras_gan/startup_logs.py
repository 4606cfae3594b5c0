"""TensorFlow's start-up lines: which are noise, and the import hook that drops them.

On a machine without a GPU, `import tensorflow` (2.20 and later) prints, twice:

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1796162076.134741  4721 port.cc:153] oneDNN custom operations are on. ...
    I0000 00:00:1796162076.139225  4721 cudart_stub.cc:31] Could not find cuda drivers on your machine, ...

and the first look at the devices adds `E0000 ... failed call to cuInit: INTERNAL:
CUDA error`. Why: TensorFlow logs through Abseil, and every message written
before `absl::InitializeLog()` goes to stderr whatever `TF_CPP_MIN_LOG_LEVEL`
says (the INFO lines come from static initializers, which run when the shared
library loads, before TensorFlow reads the variable); the lines come twice
because `_pywrap_profiler_plugin.so` links its own copy of TensorFlow's
logging and runs the same initializers again; and the pip wheel, built with
CUDA, tries the CUDA driver and logs the failure as an ERROR. The variable
only governs what is logged after start-up (set after the import, it is not
read at all).

`install()` puts a finder on `sys.meta_path` that wraps the first import of
`tensorflow`: stderr (the file descriptor, where C++ writes) goes to a
temporary file while TensorFlow loads and lists its physical devices (when
no CUDA driver was found, so that the cuInit failure happens inside), then
every line of it is written back to stderr except those `TF_CPP_MIN_LOG_LEVEL`
would have hidden (INFO and WARNING at the default 2 this package sets, and
Abseil's banner), the cuInit failure on a machine without a driver, and
repeats. Python warnings, errors and anything else pass through. Importing
`keras_gan` installs it and imports no TensorFlow itself;
`TF_CPP_MIN_LOG_LEVEL=0` shows everything, as TensorFlow would.
"""

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

LEVELS = "IWEF"  # TF_CPP_MIN_LOG_LEVEL 0, 1, 2, 3 hide what is below them
ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
NO_DRIVER = "Could not find cuda drivers on your machine"
# What follows from having no CUDA driver, at ERROR level: cuInit's failure, and each CUDA library's
# factory registered once per copy of the library.
NO_DRIVER_ERRORS = ("failed call to cuInit", "Attempting to register factory for plugin")
# absl's prefix (E0000 00:00:1796162078.731587    4721 cuda_platform.cc:52] ...) and TSL's own
# (2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ...).
_LOG_LINE = re.compile(r"^(?:([IWEF])\d{4} [\d:.]+\s+\d+ |\d{4}-\d\d-\d\d [\d:.]+: ([IWEF]) )(\S+:\d+\] .*)$")


def install():
    """Filters the start-up lines of the first `import tensorflow` from now
    on (nothing, if TensorFlow is already imported or the hook is in place)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorFlowFinder())


def min_log_level():
    """TF_CPP_MIN_LOG_LEVEL as TensorFlow reads it (0 when unset or not a number)."""
    value = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")
    return int(value) if value.isdigit() else 0


def filter_startup_lines(text, min_level):
    """The lines of `text` (TensorFlow's start-up stderr) worth showing.

    Args:
        text: What was written to stderr while TensorFlow started.
        min_level: TF_CPP_MIN_LOG_LEVEL: log lines below this severity
            (0 INFO, 1 WARNING, 2 ERROR, 3 FATAL) are dropped.

    Returns:
        The kept lines, joined with their newlines: every line that is not
        a TensorFlow log line passes; a log line passes when its severity is
        at least `min_level`, it has not been shown already (the second copy
        of the logging library repeats them) and it is not the consequence of
        having no CUDA driver.
    """
    if min_level <= 0:
        return text
    no_driver = NO_DRIVER in text
    kept, seen = [], set()
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == ABSL_BANNER:
            continue
        match = _LOG_LINE.match(line.rstrip("\n"))
        if match:
            severity, message = match.group(1) or match.group(2), match.group(3)
            if (LEVELS.index(severity) < min_level or message in seen
                    or (no_driver and any(s in message for s in NO_DRIVER_ERRORS))):
                continue
            seen.add(message)
        kept.append(line)
    return "".join(kept)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as the other finders do, with a loader that
    filters what it prints while it loads."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: later imports of tensorflow are plain
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # Read when the library loads: the commands' INFO and WARNING lines stay off unless asked for.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        min_level = min_log_level()
        if min_level <= 0:
            return self.loader.exec_module(module)
        sys.stderr.flush()
        saved = os.dup(2)
        loaded = False
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                self.loader.exec_module(module)
                captured.flush()
                captured.seek(0)
                if NO_DRIVER.encode() in captured.read():
                    module.config.list_physical_devices("GPU")  # the cuInit failure, inside the window
                loaded = True
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                captured.seek(0)
                text = captured.read().decode("utf-8", "replace")
                # A failed import shows all it printed: the reason may be among the lines.
                sys.stderr.write(filter_startup_lines(text, min_level) if loaded else text)
                sys.stderr.flush()

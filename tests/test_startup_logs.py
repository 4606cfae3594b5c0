"""TensorFlow's start-up lines: noise dropped, everything else kept; the package's lazy names."""

import os
import subprocess
import sys

import pytest

from keras_gan import startup_logs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What TensorFlow 2.21 printed on this CPU machine: two copies of the start-up lines, then cuInit's failure.
CPU_STARTUP = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796162076.134741    4721 port.cc:153] oneDNN custom operations are on. You may see slightly different \
numerical results due to floating-point round-off errors from different computation orders.
I0000 00:00:1796162076.139225    4721 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be \
used.
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796162079.889813    4721 port.cc:153] oneDNN custom operations are on. You may see slightly different \
numerical results due to floating-point round-off errors from different computation orders.
I0000 00:00:1796162079.890714    4721 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be \
used.
E0000 00:00:1796162078.731587    4721 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call \
to cuInit: UNKNOWN ERROR (303)
"""


def test_a_cpu_machines_startup_is_all_noise_at_the_default_level():
    assert startup_logs.filter_startup_lines(CPU_STARTUP, 2) == ""


def test_real_messages_pass():
    warning = "/x/y.py:3: DeprecationWarning: something a user should fix\n"
    error = "E0000 00:00:1796162078.731587    4721 gpu_device.cc:2] Cannot dlopen some GPU libraries.\n"
    # Without the no-driver line, cuInit's failure is news (a driver that is there but broken).
    cuinit = CPU_STARTUP.splitlines(keepends=True)[-1]
    text = warning + error + error + cuinit
    assert startup_logs.filter_startup_lines(text, 2) == warning + error + cuinit  # the repeat once
    assert startup_logs.filter_startup_lines(CPU_STARTUP + warning, 2) == warning


def test_the_level_decides_what_log_lines_pass():
    warning = "W0000 00:00:1796162076.1    4721 x.cc:1] a warning\n"
    info = "2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] an info line\n"
    text = CPU_STARTUP + warning + info
    assert startup_logs.filter_startup_lines(text, 0) == text  # TF_CPP_MIN_LOG_LEVEL=0: all of it, as TensorFlow
    assert startup_logs.filter_startup_lines(text, 1) == warning
    assert startup_logs.filter_startup_lines(text, 3) == ""


def _python(code, **env):
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**environ, **env})


def test_tensorflow_imported_after_keras_gan_starts_quietly():
    out = _python("import sys, keras_gan; assert 'tensorflow' not in sys.modules; import tensorflow as tf; "
                  "tf.config.list_physical_devices(); tf.constant(1.0); import warnings; "
                  "warnings.warn('still shown')")
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "UserWarning: still shown" in lines[0], out.stderr  # TensorFlow's lines gone


def test_the_package_names_load_lazily():
    import keras_gan
    from keras_gan import gan, parzen

    assert keras_gan.GAN is gan.GAN and keras_gan.parzen is parzen
    assert {"GAN", "Generator", "Discriminator", "release_optimizers", "callbacks", "parzen"} <= set(dir(keras_gan))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        keras_gan.nothing  # noqa: B018

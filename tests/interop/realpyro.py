"""Real Pyro4 4.82 as a peer: a virtualenv of its own per Python version, built on first use and cached.

Both packages are called ``Pyro4``, so the real one never shares an interpreter with ours: tests and
benchmarks run it as a separate process with the python this module returns. Building the venv needs
PyPI; when that fails, the error says so and the interop tests fail (they never skip).

* ``PYRO4_482_PYTHON``: use this interpreter (which must have pyro4 4.82) instead of building one;
* ``PYRO4_482_VENVS``: where the venvs are cached (default ``.cache/pyro4-4.82`` in the checkout).
"""

import fcntl
import os
import subprocess
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ["pyro4==4.82", "serpent", "msgpack", "dill", "cloudpickle"]
_CHECK = "import Pyro4, sys; assert Pyro4.__version__ == '4.82' and Pyro4.__file__.startswith(sys.prefix)"


def venv_root():
    return os.environ.get("PYRO4_482_VENVS") or os.path.join(CHECKOUT, ".cache", "pyro4-4.82")


def _base_python():
    """The interpreter this one was made from (a tox env's python is itself a venv)."""
    candidate = os.path.join(sys.base_prefix, "bin", "python%d.%d" % sys.version_info[:2])
    return candidate if os.path.exists(candidate) else sys.executable


def _run(args):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYRO"))})
    if proc.returncode != 0:
        raise RuntimeError("building the real Pyro4 4.82 virtualenv failed: %s\n%s" % (" ".join(args), proc.stdout))


def real_python():
    """Path of a python that imports real Pyro4 4.82 (with serpent, msgpack, dill and cloudpickle)."""
    override = os.environ.get("PYRO4_482_PYTHON")
    if override:
        return override
    root = venv_root()
    os.makedirs(root, exist_ok=True)
    venv = os.path.join(root, "py%d.%d" % sys.version_info[:2])
    python = os.path.join(venv, "bin", "python")
    done = os.path.join(venv, ".complete")
    # parallel tox envs of the same Python build it once: the others wait on the lock
    with open(venv + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(done):
            _run([_base_python(), "-m", "venv", "--clear", venv])
            _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + PACKAGES)
            _run([python, "-c", _CHECK])
            open(done, "w").close()
    return python


if __name__ == "__main__":
    print(real_python())

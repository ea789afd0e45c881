"""Guard tests: the package under test is the one that was meant to be tested.

tox tells these tests what it built (see tox.ini):
* PYRO4_EXPECT_CYTHON=1: the wheel has the compiled twins and they are active;
* PYRO4_NO_CYTHON=1: the pure twins are forced at run time;
* PYRO4_EXPECT_NO_EXTENSIONS=1: the wheel was built without compiling anything;
* PYRO4_EXPECT_INSTALLED=1: Pyro4 must come from site-packages, not from the checkout.
Without these variables the checks follow what is actually present (a developer's checkout).
"""
import glob
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

import Pyro4
import Pyro4._speedups

COMPILED_TWINS = ("_message", "_socketutil", "_serpent", "_datawalk")
PACKAGE_DIR = os.path.dirname(os.path.abspath(Pyro4.__file__))
CHECKOUT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _flag(name):
    return os.environ.get(name, "").strip() not in ("", "0")


def _compiled_files():
    """Compiled extension files of the package under test, by twin name."""
    found = {}
    for twin in COMPILED_TWINS:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            for path in glob.glob(os.path.join(PACKAGE_DIR, twin + suffix)):
                found[twin] = path
    return found


def _expected_active():
    if _flag("PYRO4_NO_CYTHON") or _flag("PYRO4_EXPECT_NO_EXTENSIONS"):
        return "python"
    if _flag("PYRO4_EXPECT_CYTHON"):
        return "cython"
    return "cython" if len(_compiled_files()) == len(COMPILED_TWINS) else "python"


def _run_python(code, **env_vars):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYRO_", "PYRO4_"))}
    env.update(env_vars)
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=os.path.dirname(__file__),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


SHOW_TWINS = "import Pyro4, Pyro4._speedups as s; print(s.ACTIVE, Pyro4.__with_cython__)"


def test_active_twins():
    assert Pyro4._speedups.ACTIVE == _expected_active()
    assert Pyro4.__with_cython__ is (Pyro4._speedups.ACTIVE == "cython")


def test_selected_modules():
    suffix = "" if Pyro4._speedups.ACTIVE == "cython" else "_py"
    for twin in COMPILED_TWINS:
        selected = getattr(Pyro4._speedups, twin.lstrip("_") + "_impl")
        assert selected.__name__ == "Pyro4." + twin + suffix


def test_compiled_files_present_as_expected():
    compiled = _compiled_files()
    if _flag("PYRO4_EXPECT_NO_EXTENSIONS"):
        assert compiled == {}
        for twin in COMPILED_TWINS:
            assert importlib.util.find_spec("Pyro4." + twin) is None
    elif _flag("PYRO4_EXPECT_CYTHON"):
        assert sorted(compiled) == sorted(COMPILED_TWINS)
    else:
        # a partial build must never be shipped: setup.py removes a lone compiled twin
        assert len(compiled) in (0, len(COMPILED_TWINS))


def test_pure_forced_by_environment():
    assert _run_python(SHOW_TWINS, PYRO4_NO_CYTHON="1") == ["python", "False"]


def test_compiled_is_the_default_when_built():
    expected = "cython" if len(_compiled_files()) == len(COMPILED_TWINS) else "python"
    assert _run_python(SHOW_TWINS) == [expected, str(expected == "cython")]
    assert _run_python(SHOW_TWINS, PYRO4_NO_CYTHON="0") == [expected, str(expected == "cython")]


def test_cython_env_really_compiled():
    # in the cython envs a silent fallback would test the pure twins twice
    if not _flag("PYRO4_EXPECT_CYTHON"):
        pytest.skip("only in the tox cython environments (PYRO4_EXPECT_CYTHON=1)")
    assert Pyro4.__with_cython__ is True
    assert _run_python(SHOW_TWINS) == ["cython", "True"]


def test_installed_package_is_tested():
    if not _flag("PYRO4_EXPECT_INSTALLED"):
        pytest.skip("only when testing an installed package (tox sets PYRO4_EXPECT_INSTALLED=1)")
    assert PACKAGE_DIR != os.path.join(CHECKOUT_DIR, "Pyro4")
    paths = sysconfig.get_paths()
    assert os.path.dirname(PACKAGE_DIR) in (paths["purelib"], paths["platlib"])


def test_console_script_installed():
    if not _flag("PYRO4_EXPECT_INSTALLED"):
        pytest.skip("only when testing an installed package (tox sets PYRO4_EXPECT_INSTALLED=1)")
    script = shutil.which("pyro4-check-config", path=sysconfig.get_paths()["scripts"])
    assert script is not None
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYRO_")}
    output = subprocess.run([script], env=env, stdout=subprocess.PIPE, universal_newlines=True, timeout=60,
                            check=True).stdout
    assert output.startswith("Pyro version: 4.82\nLoaded from: " + PACKAGE_DIR + "\n")

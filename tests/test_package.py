"""The Pyro4 package namespace and its logging set-up (API §1).

The name-identity tests need Pyro4.core and Pyro4.futures to be complete.
"""
import importlib
import logging
import os
import re
import subprocess
import sys

import Pyro4

CORE_NAMES = ("URI", "Proxy", "Daemon", "callback", "oneway", "expose", "behavior", "batch", "asyncproxy",
              "current_context")
SUBMODULES = ("configuration", "constants", "core", "errors", "futures", "message", "socketutil", "util")
LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3},Pyro4,INFO\] .+$")


def _run_python(code, cwd, **env_vars):
    """Runs code in a fresh interpreter, without PYRO_* settings from the caller's environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYRO_")}
    env.update(env_vars)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=str(cwd), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


class TestNames:
    def test_core_names_are_the_core_objects(self):
        import Pyro4.core
        for name in CORE_NAMES:
            assert getattr(Pyro4, name) is getattr(Pyro4.core, name), name

    def test_current_context_is_a_call_context(self):
        import Pyro4.core
        assert isinstance(Pyro4.current_context, Pyro4.core._CallContext)

    def test_locate_and_resolve(self):
        import Pyro4.core
        import Pyro4.naming
        assert Pyro4.locateNS is Pyro4.core._locateNS
        assert Pyro4.resolve is Pyro4.core._resolve
        assert Pyro4.locateNS is Pyro4.naming.locateNS
        assert Pyro4.resolve is Pyro4.naming.resolve

    def test_future(self):
        import Pyro4.futures
        assert Pyro4.Future is Pyro4.futures.Future

    def test_config_and_version(self):
        import Pyro4.configuration
        import Pyro4.constants
        assert Pyro4.config is Pyro4.configuration.config
        assert Pyro4.__version__ == "4.82"
        assert Pyro4.__version__ is Pyro4.constants.VERSION

    def test_submodules_are_attributes(self):
        for name in SUBMODULES:
            assert getattr(Pyro4, name) is sys.modules["Pyro4." + name], name

    def test_no_all(self):
        assert not hasattr(Pyro4, "__all__")

    def test_star_import(self, tmp_path):
        # in a fresh interpreter: here other tests may already have imported e.g. Pyro4.naming,
        # which makes "naming" an attribute of the package
        code = ("namespace = {}\n"
                "exec('from Pyro4 import *', namespace)\n"
                "print(' '.join(sorted(set(namespace) - {'__builtins__'})))")
        result = _run_python(code, tmp_path)
        assert result.returncode == 0, result.stderr
        expected = set(CORE_NAMES) | set(SUBMODULES) | {"config", "locateNS", "resolve", "Future"}
        assert set(result.stdout.split()) == expected

    def test_with_cython_flag(self):
        import Pyro4._speedups
        assert Pyro4.__with_cython__ is (Pyro4._speedups.ACTIVE == "cython")

    def test_lazy_submodules(self, tmp_path):
        code = ("import sys, Pyro4\n"
                "print(' '.join(sorted(m for m in sys.modules if m.startswith('Pyro4.'))))")
        result = _run_python(code, tmp_path)
        assert result.returncode == 0, result.stderr
        loaded = result.stdout.split()
        for name in SUBMODULES:
            assert "Pyro4." + name in loaded
        for name in loaded:
            assert not name.startswith(("Pyro4.naming", "Pyro4.nsc", "Pyro4.utils", "Pyro4.test",
                                        "Pyro4.socketserver")), name


class TestLogging:
    def test_silent_without_loglevel(self, tmp_path):
        code = ("import logging, Pyro4\n"
                "print(logging.getLogger('Pyro4').level, len(logging.getLogger().handlers))")
        result = _run_python(code, tmp_path, PYRO_LOGLEVEL="")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["9999", "0"]
        assert result.stderr == ""
        assert not (tmp_path / "pyro.log").exists()

    def test_default_logfile(self, tmp_path):
        code = "import logging, Pyro4\nprint(logging.getLogger().level)"
        result = _run_python(code, tmp_path, PYRO_LOGLEVEL="DEBUG")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [str(logging.DEBUG)]
        lines = (tmp_path / "pyro.log").read_text().splitlines()
        assert lines and LOG_LINE.match(lines[0]), lines

    def test_named_logfile(self, tmp_path):
        logfile = tmp_path / "sub.log"
        code = "import logging, Pyro4\nlogging.getLogger('Pyro4.core').debug('hello from core')"
        result = _run_python(code, tmp_path, PYRO_LOGLEVEL="DEBUG", PYRO_LOGFILE=str(logfile))
        assert result.returncode == 0, result.stderr
        text = logfile.read_text()
        assert ",Pyro4.core,DEBUG] hello from core" in text
        assert not (tmp_path / "pyro.log").exists()

    def test_stderr(self, tmp_path):
        result = _run_python("import Pyro4", tmp_path, PYRO_LOGLEVEL="INFO", PYRO_LOGFILE="{stderr}")
        assert result.returncode == 0, result.stderr
        assert LOG_LINE.match(result.stderr.splitlines()[0])
        assert not (tmp_path / "{stderr}").exists()

    def test_level_above_info_logs_nothing(self, tmp_path):
        result = _run_python("import Pyro4", tmp_path, PYRO_LOGLEVEL="WARNING", PYRO_LOGFILE="{stderr}")
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""

    def test_unknown_level(self, tmp_path):
        result = _run_python("import Pyro4", tmp_path, PYRO_LOGLEVEL="NOSUCHLEVEL")
        assert result.returncode != 0
        assert "AttributeError" in result.stderr

    def test_existing_handlers_are_kept(self, tmp_path):
        code = ("import logging, sys\n"
                "logging.basicConfig(stream=sys.stdout, format='mine %(name)s %(message)s')\n"
                "import Pyro4")
        result = _run_python(code, tmp_path, PYRO_LOGLEVEL="INFO", PYRO_LOGFILE=str(tmp_path / "x.log"))
        assert result.returncode == 0, result.stderr
        assert not (tmp_path / "x.log").exists()
        assert result.stdout.startswith("mine Pyro4 ")

    def test_unwritable_logfile_directory(self, tmp_path):
        logfile = tmp_path / "missing-dir" / "pyro.log"
        result = _run_python("import Pyro4", tmp_path, PYRO_LOGLEVEL="DEBUG", PYRO_LOGFILE=str(logfile))
        assert result.returncode == 0, result.stderr
        assert not logfile.exists()
        assert "WARNING:Pyro4:" in result.stderr
        assert "INFO:Pyro4:" in result.stderr

    def test_reload_in_subprocess(self, tmp_path):
        code = ("import importlib, logging, Pyro4\n"
                "config = Pyro4.config\n"
                "importlib.reload(Pyro4)\n"
                "print(Pyro4.config is config, len(logging.getLogger().handlers))")
        result = _run_python(code, tmp_path, PYRO_LOGLEVEL="DEBUG")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["True", "1"]
        assert len((tmp_path / "pyro.log").read_text().splitlines()) == 2

    def test_reload(self):
        config = Pyro4.config
        proxy_class = getattr(Pyro4, "Proxy", None)
        reloaded = importlib.reload(Pyro4)
        assert reloaded is Pyro4
        assert Pyro4.config is config
        assert Pyro4.__version__ == "4.82"
        assert getattr(Pyro4, "Proxy", None) is proxy_class

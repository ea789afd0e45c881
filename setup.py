"""Build script for Pyro4 with optional Cython speedups.

Three modes, chosen by environment variables (the model is PyYAML's tri-state build):
* default: compile ``Pyro4/_message.pyx``, ``Pyro4/_socketutil.pyx``, ``Pyro4/_serpent.pyx`` and
  ``Pyro4/_datawalk.pyx`` when Cython and a C compiler work; otherwise warn and install the
  pure-Python package, which behaves the same, only slower;
* ``PYRO4_REQUIRE_CYTHON=1``: any failure to cythonize or compile is fatal (tox and CI set this, so
  a broken build can't silently test the pure twins twice);
* ``PYRO4_NO_CYTHON_BUILD=1``: don't even try; builds a pure ``py3-none-any`` wheel.
"""
import os
import sys

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext


def _flag(name):
    return os.environ.get(name, "").strip() not in ("", "0")


REQUIRE_CYTHON = _flag("PYRO4_REQUIRE_CYTHON")
NO_CYTHON_BUILD = _flag("PYRO4_NO_CYTHON_BUILD")
EXTENSION_NAMES = ("Pyro4._message", "Pyro4._socketutil", "Pyro4._serpent", "Pyro4._datawalk")
CYTHON_DIRECTIVES = {"language_level": "3", "boundscheck": False, "wraparound": False}


def _cythonize_in_place(extensions):
    """Turns the .pyx sources into .c files and points the (already finalized) extensions at them."""
    # Imported here, not at the top: without Cython the pure package must still install.
    from Cython.Build import cythonize

    generated = cythonize(extensions, compiler_directives=CYTHON_DIRECTIVES, quiet=True)
    for ext, cythonized in zip(extensions, generated):
        # build_ext has already prepared these Extension objects; cythonize() returns new ones
        # (and drops optional=...), so only their generated sources are taken over
        ext.sources = cythonized.sources
        ext.optional = not REQUIRE_CYTHON


class OptionalBuildExt(build_ext):
    """Cythonizes at build time and falls back to the pure twins, unless compiling is required."""

    def run(self):
        self._failed = False
        try:
            # cythonizing here (not at setup() time) keeps the .pyx files as the listed sources,
            # so an sdist carries them, and egg_info/sdist runs need no Cython
            _cythonize_in_place(self.extensions)
            super().run()
        except Exception as exc:  # Cython or compiler missing or broken: the pure twins still work
            self._give_up(exc)
        if self._failed:
            # part of the compiled twins is useless (Pyro4._speedups needs all of them): drop what was built
            self._remove_built_extensions()

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._give_up(exc)

    def _give_up(self, exc):
        if REQUIRE_CYTHON:
            raise exc
        self._failed = True
        sys.stderr.write("WARNING: Pyro4 speedups not built ({}: {}); the pure-Python modules will be used\n"
                         .format(type(exc).__name__, exc))

    def _remove_built_extensions(self):
        for ext in self.extensions:
            built = os.path.join(self.build_lib, self.get_ext_filename(ext.name))
            for path in (built, self.get_ext_fullpath(ext.name)):  # the latter is in the source tree if --inplace
                if os.path.exists(path):
                    os.remove(path)


def extensions():
    if NO_CYTHON_BUILD:
        return []
    return [Extension(name, [name.replace(".", "/") + ".pyx"]) for name in EXTENSION_NAMES]


def _read_readme():
    if not os.path.exists("README.md"):
        return ""
    with open("README.md", encoding="utf-8") as readme:
        return readme.read()


setup(
    name="Pyro4",
    version="4.82",
    description="Python Remote Objects, protocol 48 compatible, with Cython speedups",
    long_description=_read_readme(),
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(include=["Pyro4", "Pyro4.*"]),
    package_data={"Pyro4.utils": ["*.html"]},
    python_requires=">=3.8",
    install_requires=["serpent>=1.27"],
    extras_require={"msgpack": ["msgpack>=0.5.2"], "dill": ["dill>=0.2.6"], "cloudpickle": ["cloudpickle"]},
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "pyro4-ns=Pyro4.naming:main",
            "pyro4-nsc=Pyro4.nsc:main",
            "pyro4-test-echoserver=Pyro4.test.echoserver:main",
            "pyro4-echoserver=Pyro4.test.echoserver:main",
            "pyro4-check-config=Pyro4.configuration:main",
            "pyro4-flameserver=Pyro4.utils.flameserver:main",
            "pyro4-httpgateway=Pyro4.utils.httpgateway:main",
        ]
    },
)

"""Build script: the Cython twins are optional unless PYRO4_REQUIRE_CYTHON=1."""
import os
import sys

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

REQUIRE_CYTHON = os.environ.get("PYRO4_REQUIRE_CYTHON", "") not in ("", "0")
NO_CYTHON_BUILD = os.environ.get("PYRO4_NO_CYTHON_BUILD", "") not in ("", "0")
EXTENSION_NAMES = ("Pyro4._message", "Pyro4._socketutil")


class OptionalBuildExt(build_ext):
    """Lets a failed compile fall back to the pure-Python twins, unless compiling is required."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # compiler missing or broken: the pure twins still work
            self._give_up(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._give_up(exc)

    @staticmethod
    def _give_up(exc):
        if REQUIRE_CYTHON:
            raise
        sys.stderr.write("WARNING: Pyro4 speedups not built ({}); installing the pure-Python package\n".format(exc))


def extensions():
    if NO_CYTHON_BUILD:
        return []
    sources = [(name, name.replace(".", "/") + ".pyx") for name in EXTENSION_NAMES]
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE_CYTHON:
            raise
        return []
    exts = cythonize(
        [Extension(name, [src]) for name, src in sources],
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False},
    )
    for ext in exts:
        # cythonize() drops Extension(optional=...), so it is set afterwards
        ext.optional = not REQUIRE_CYTHON
    return exts


setup(
    name="Pyro4",
    version="4.82",
    description="Python Remote Objects, protocol 48 compatible, with Cython speedups",
    long_description=open("README.md", encoding="utf-8").read() if os.path.exists("README.md") else "",
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

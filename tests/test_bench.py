"""Smoke test of the benchmark driver (bench/run.py): one tiny workload against our own Pyro4 only.

Nothing here is about speed: the test checks that the driver starts a server and a client process,
that both import the Pyro4 they were started for, and that the result table is well formed.
"""
import os
import re
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
# the nocython env's package has no compiled twins: there only the pure implementation can run
OURS = ["cython", "pure"] if os.environ.get("PYRO4_EXPECT_NO_EXTENSIONS", "") in ("", "0") else ["pure"]
# name, unit, then one figure per implementation (ours only: no ratio columns)
_FIGURE = r"\d+(\.\d)?"
_ROW = re.compile(r"^W1 sync call marshal\s+us/call" + "".join(r"\s+(?P<%s>%s)" % (name, _FIGURE) for name in OURS) + "$")


@pytest.fixture(scope="module")
def table():
    # --installed: the processes import the package under test, like the tests do, not the checkout
    command = [sys.executable, os.path.join(BENCH, "run.py"), "--quick", "--seconds", "0.02", "--installed",
               "--impls", ",".join(OURS), "--only", "W1 sync call marshal"]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_table_has_one_well_formed_row(table):
    rows = [line for line in table if line.startswith("W")]
    assert len(rows) == 1
    match = _ROW.match(rows[0])
    assert match, rows[0]
    assert all(float(match.group(name)) > 0 for name in OURS)


def test_table_header_names_the_implementations(table):
    header = next(line for line in table if line.startswith("workload"))
    assert header.split() == ["workload", "unit"] + OURS


def test_driver_refuses_an_unknown_implementation():
    result = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--impls", "cython,nonsense"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode != 0
    assert "unknown implementations: nonsense" in result.stderr

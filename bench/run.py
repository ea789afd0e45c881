"""Benchmark driver: our Pyro4 (compiled and pure) against real Pyro4 4.82, one table of ratios.

    python3 bench/run.py [--quick] [--rounds N] [--seconds S] [--only PATTERN ...] [--impls cython,pure,4.82]
                         [--installed] [--real-python PATH]

For every round, every workload group (see workloads.py) and every implementation in turn, a server
process and a client process are started on loopback; rounds interleave the implementations
(A, B, C, A, B, C, ...) so load from elsewhere on the machine hits them alike. The table shows the
median of the rounds per row, and the ratio of each of ours to real Pyro4 from this same run
(above 1 = faster than real Pyro4, whichever way the unit goes).

Each process imports the right Pyro4: ours with the checkout first on PYTHONPATH (pure with
PYRO4_NO_CYTHON=1), real 4.82 with the python of its own virtualenv and PYTHON*/PYRO* stripped from
the environment; every process reports what it imported and the driver checks it.
"""
import argparse
import fnmatch
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile

import workloads

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
BASELINE = "4.82"
IMPLEMENTATIONS = ("cython", "pure", BASELINE)
_PROCESS_TIMEOUT = 600


def _real_python():
    spec = importlib.util.spec_from_file_location(
        "_bench_realpyro", os.path.join(CHECKOUT, "tests", "interop", "realpyro.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.real_python()


def _clean_env():
    return dict((k, v) for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYRO")))


# Ours is the checkout (first on PYTHONPATH) unless --installed says: the package installed for this python.
_ours = {"installed": False, "package": os.path.join(CHECKOUT, "Pyro4")}


def _use_installed_package():
    where = subprocess.run([sys.executable, "-c", "import os, Pyro4; print(os.path.dirname(Pyro4.__file__))"],
                           env=_clean_env(), cwd=tempfile.gettempdir(), stdout=subprocess.PIPE,
                           universal_newlines=True, check=True)
    _ours.update(installed=True, package=where.stdout.strip())


def implementation(name):
    """(python, environment) of one implementation."""
    env = _clean_env()
    if name == BASELINE:
        return _real_python(), env
    if not _ours["installed"]:
        env["PYTHONPATH"] = CHECKOUT
    if name == "pure":
        env["PYRO4_NO_CYTHON"] = "1"
    return sys.executable, env


def check_identity(name, identity):
    """Fails loudly when a process imported another Pyro4 than the one it was started for."""
    ours = identity["file"].startswith(_ours["package"] + os.sep)
    expected = {"cython": ours and identity["twins"] == "cython",
                "pure": ours and identity["twins"] == "python",
                BASELINE: not ours and identity["version"] == "4.82" and identity["twins"] is None}
    if not expected[name]:
        raise RuntimeError("the %s run imported the wrong Pyro4: %r" % (name, identity))


def _json_line(text, what):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no result from the %s" % what)


class _Server(object):
    """A server.py process; ends when its stdin is closed."""

    def __init__(self, kind, python, env, cwd):
        self.process = subprocess.Popen([python, os.path.join(HERE, "server.py"), kind], env=env, cwd=cwd,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("benchmark server %r did not start" % kind)
        self.info = json.loads(line)

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()  # our own child, by its handle
            self.process.wait()
        self.process.stdout.close()


def run_group(group, rows, name, seconds):
    """One measurement of the given rows of a group with one implementation: {row: figure}."""
    python, env = implementation(name)
    with tempfile.TemporaryDirectory() as empty_dir:
        # an empty working directory: nothing in it can shadow the Pyro4 the process should import
        server = _Server(group.server, python, env, empty_dir) if group.server else None
        try:
            uri = server.info["uri"] if server else "-"
            if server:
                check_identity(name, server.info["identity"])
            command = [python, os.path.join(HERE, "client.py"), group.name, uri, str(seconds), json.dumps(rows)]
            output = subprocess.run(command, env=env, cwd=empty_dir, stdout=subprocess.PIPE, check=True,
                                    universal_newlines=True, timeout=_PROCESS_TIMEOUT).stdout
        finally:
            if server:
                server.stop()
    result = _json_line(output, "%s client of %s" % (name, group.name))
    check_identity(name, result["identity"])
    return result["figures"]


def _selected(patterns):
    chosen = []
    for group in workloads.GROUPS:
        rows = [row.name for row in group.rows
                if not patterns or any(fnmatch.fnmatch(row.name, pattern) for pattern in patterns)]
        if rows:
            chosen.append((group, rows))
    return chosen


def measure(selection, names, rounds, seconds, progress):
    """{implementation: {row: [figure per round]}}, rounds interleaved over the implementations."""
    figures = dict((name, {}) for name in names)
    for round_number in range(rounds):
        for group, rows in selection:
            for name in names:
                progress("round %d/%d %s %s" % (round_number + 1, rounds, group.name, name))
                for row, figure in run_group(group, rows, name, seconds).items():
                    figures[name].setdefault(row, []).append(figure)
    return figures


def _ratio(row, ours, baseline):
    return ours / baseline if row.higher else baseline / ours


def table(selection, names, figures):
    """The result table (median of rounds) as a list of text lines."""
    others = [name for name in names if name != BASELINE] if BASELINE in names else []
    header = "%-30s %-8s" % ("workload", "unit") + "".join("%12s" % name for name in names)
    header += "".join("%13s" % ("%s/%s" % (name, BASELINE)) for name in others)
    lines = [header, "-" * len(header)]
    rows = dict((row.name, row) for row in workloads.all_rows())
    for _, row_names in selection:
        for row_name in row_names:
            medians = dict((name, statistics.median(figures[name][row_name])) for name in names)
            line = "%-30s %-8s" % (row_name, rows[row_name].unit)
            line += "".join("%12s" % _figure(medians[name]) for name in names)
            line += "".join("%12.2fx" % _ratio(rows[row_name], medians[name], medians[BASELINE]) for name in others)
            lines.append(line)
    return lines


def _figure(value):
    return "%.1f" % value if value < 1000 else "%.0f" % value


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, short measurements")
    parser.add_argument("--rounds", type=int, help="rounds per implementation (default 5, quick 1)")
    parser.add_argument("--seconds", type=float, help="measuring time per row (default 1.0, quick 0.1)")
    parser.add_argument("--only", action="append", default=[], metavar="PATTERN",
                        help="run only rows matching this fnmatch pattern (repeatable)")
    parser.add_argument("--impls", default=",".join(IMPLEMENTATIONS),
                        help="comma-separated subset of %s" % ",".join(IMPLEMENTATIONS))
    parser.add_argument("--installed", action="store_true",
                        help="ours = the Pyro4 installed for this python, not the checkout")
    parser.add_argument("--real-python", metavar="PATH",
                        help="python of a venv with real Pyro4 4.82 (default: build one, tests/interop/realpyro.py)")
    args = parser.parse_args(argv)
    if args.real_python:
        os.environ["PYRO4_482_PYTHON"] = args.real_python  # realpyro.real_python() takes it from there
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.seconds = args.seconds or (0.1 if args.quick else 1.0)
    args.impls = [name.strip() for name in args.impls.split(",") if name.strip()]
    unknown = set(args.impls) - set(IMPLEMENTATIONS)
    if unknown or not args.impls:
        parser.error("unknown implementations: %s" % ", ".join(sorted(unknown)))
    return args


def main(argv=None):
    args = _arguments(argv)
    if args.installed:
        _use_installed_package()
    selection = _selected(args.only)
    if not selection:
        raise SystemExit("no workload matches %s" % args.only)

    def progress(text):
        sys.stderr.write(text + "\n")

    figures = measure(selection, args.impls, args.rounds, args.seconds, progress)
    print("median of %d round(s), %.2f s per row; ratios > 1 mean faster than real Pyro4 %s"
          % (args.rounds, args.seconds, BASELINE))
    print("\n".join(table(selection, args.impls, figures)))


if __name__ == "__main__":
    main()

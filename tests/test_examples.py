"""Runs every example in examples/ the way its Readme says, unattended, on loopback.

Each example directory holds a ``demo.json`` that says how to run it without a person:

    {
      "nameserver": true,              # optional: a name server of its own on a free port first
      "steps": [
        {"run": ["server.py"], "background": true, "ready": "uri: (?P<uri>PYRO:\\\\S+)"},
        {"run": ["client.py", "--demo", "{uri}"], "stdin": "text\\n",
         "expect": ["first line that must appear", "a later one"], "expect_anywhere": ["any order"],
         "timeout": 30}
      ]
    }

Background steps run until the end of the demo; the test waits for their "ready" pattern on stdout
and its named groups can be used as ``{name}`` in later steps' arguments. Foreground steps must exit
with status 0 and print every "expect" text, in that order, and every "expect_anywhere" text in
any order (for lines printed by threads that may overtake each other). ``{port}`` is a free port per demo,
``{nsport}`` the name server's port; all processes get ``PYRO_NS_HOST``/``PYRO_NS_PORT`` for it.
"""

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
DEMOS = sorted(name for name in os.listdir(EXAMPLES) if os.path.isfile(os.path.join(EXAMPLES, name, "demo.json"))) \
    if os.path.isdir(EXAMPLES) else []
READY_TIMEOUT = 30.0
STEP_TIMEOUT = 60.0


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Background(object):
    """A background process whose stdout lines are collected by a reader thread."""

    def __init__(self, args, cwd, env):
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, universal_newlines=True)
        self.lines = queue.Queue()
        self.seen = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None or time.monotonic() > deadline:
                raise AssertionError("no %r within %.0fs; output so far:\n%s" % (pattern, timeout, "".join(self.seen)))
            self.seen.append(line)
            match = regex.search(line)
            if match:
                return match.groupdict()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(10)
        self.proc.stdout.close()


def _demo_env(nsport):
    env = dict(os.environ)
    env.update(PYTHONUNBUFFERED="1", PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(nsport), PYRO_HOST="127.0.0.1")
    env.pop("PYRO_LOGLEVEL", None)
    return env


def _expand(args, variables):
    return [arg.format(**variables) for arg in args]


def _run_step(step, cwd, env, variables):
    args = [sys.executable] + _expand(step["run"], variables)
    timeout = step.get("timeout", STEP_TIMEOUT)
    result = subprocess.run(args, cwd=cwd, env=env, input=step.get("stdin", ""), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout)
    assert result.returncode == 0, "%s exited with %d:\n%s" % (step["run"], result.returncode, result.stdout)
    position = 0
    for expected in step.get("expect", []):
        text = expected.format(**variables)
        found = result.stdout.find(text, position)
        assert found >= 0, "%r missing (in order) from the output of %s:\n%s" % (text, step["run"], result.stdout)
        position = found + len(text)
    for expected in step.get("expect_anywhere", []):
        text = expected.format(**variables)
        assert text in result.stdout, "%r missing from the output of %s:\n%s" % (text, step["run"], result.stdout)


def test_every_example_has_a_demo():
    listed = sorted(name for name in os.listdir(EXAMPLES) if os.path.isdir(os.path.join(EXAMPLES, name))
                    and not name.startswith(("_", ".")))
    assert listed and listed == DEMOS
    for name in listed:
        assert any(entry.lower().startswith("readme") for entry in os.listdir(os.path.join(EXAMPLES, name))), name


@pytest.mark.parametrize("name", DEMOS)
def test_example(name):
    cwd = os.path.join(EXAMPLES, name)
    with open(os.path.join(cwd, "demo.json")) as file:
        demo = json.load(file)
    variables = {"port": _free_port(), "nsport": _free_port(), "python": sys.executable}
    env = _demo_env(variables["nsport"])
    background = []
    try:
        if demo.get("nameserver"):
            ns = _Background([sys.executable, "-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", str(variables["nsport"]),
                              "-x"], cwd, env)
            background.append(ns)
            ns.wait_for(r"NS running on", READY_TIMEOUT)
        for step in demo["steps"]:
            if step.get("background"):
                process = _Background([sys.executable] + _expand(step["run"], variables), cwd, env)
                background.append(process)
                variables.update(process.wait_for(step.get("ready", "."), step.get("timeout", READY_TIMEOUT)))
            else:
                _run_step(step, cwd, env, variables)
    finally:
        for process in reversed(background):
            process.stop()

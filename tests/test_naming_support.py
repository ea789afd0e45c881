"""Helpers shared by the name server and nsc tests (this module holds no tests itself)."""

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import Pyro4.naming


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port nobody listens on (bound once, then released)."""
    with contextlib.closing(socket.socket(socket.AF_INET, kind)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_nameserver(**kwargs):
    """A name server on loopback, serving in a thread; yields (uri, daemon, broadcast server or None)."""
    kwargs.setdefault("host", "127.0.0.1")
    kwargs.setdefault("port", 0)
    kwargs.setdefault("enableBroadcast", False)
    uri, daemon, bcserver = Pyro4.naming.startNS(**kwargs)
    thread = threading.Thread(target=daemon.requestLoop, name="test-ns", daemon=True)
    thread.start()
    try:
        yield uri, daemon, bcserver
    finally:
        daemon.shutdown()
        thread.join(10)
        daemon.close()
        if bcserver is not None:
            bcserver.close()


def subprocess_env(**extra):
    """The environment for a child Python: no PYRO_* settings leak in from the test runner."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYRO")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def module_command(module, args):
    """The argv of `python -m module args` with the interpreter running the tests."""
    return [sys.executable, "-m", module] + list(args)


class ChildProcess(object):
    """A child process whose stdout is read line by line with a time bound."""

    def __init__(self, argv, env=None, cwd=None):
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env or subprocess_env(),
            cwd=cwd,
        )
        self.lines = []
        self._pending = b""

    def read_until(self, prefix, timeout=30.0):
        """Collect stdout lines until one starts with prefix; returns all lines read so far."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while not any(line.startswith(prefix) for line in self.lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no line starting with %r within %s s; got %r" % (prefix, timeout, self.lines))
            # raw reads: a buffered readline() would hide already-read lines from select()
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise AssertionError("child ended early: %r / %r" % (self.lines, self.proc.stderr.read()))
                self._pending += chunk
                *complete, self._pending = self._pending.split(b"\n")
                self.lines.extend(line.decode("utf-8") for line in complete)
        return self.lines

    def interrupt(self, timeout=30.0):
        """Ctrl-C the child and wait for it; returns (exit code, rest of stdout, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, (self._pending + out).decode("utf-8"), err.decode("utf-8")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=30)


def run_module(module, args, env=None, input_text=None, timeout=60):
    """Run `python -m module args` to completion; returns (exit code, stdout, stderr)."""
    result = subprocess.run(
        module_command(module, args),
        input=(input_text or "").encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env or subprocess_env(),
        timeout=timeout,
    )
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")

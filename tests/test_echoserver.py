"""The built-in echo server: the EchoServer object, main() in-process, and the command as a process.

This module also holds ToolProcess, the small child-process runner that the Flame and HTTP
gateway tests import too (so there is one copy of it).
"""

import io
import math
import os
import queue
import socket
import subprocess
import sys
import threading
import time

import pytest

import Pyro4
import Pyro4.util
from Pyro4.test import echoserver
from Pyro4.test.echoserver import EchoServer

_LINE_TIMEOUT = 30.0


class ToolProcess(object):
    """A command-line tool run as a child process; its stdout/stderr lines are collected by threads."""

    def __init__(self, args, env=None, stdin_text=None, executable=None):
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYRO_", "PYTHON"))}
        child_env.update(env or {})
        child_env["PYTHONUNBUFFERED"] = "1"
        # another interpreter (real Pyro4 4.82's) runs from "/" so our checkout can't shadow its Pyro4
        self.proc = subprocess.Popen(
            [executable or sys.executable] + list(args),
            env=child_env,
            text=True,
            cwd="/" if executable else None,
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout_lines, self.stderr_lines = [], []
        self._new_lines = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout_lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr_lines), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if stdin_text is not None:
            self.proc.stdin.write(stdin_text)
            self.proc.stdin.close()

    def _read(self, stream, collected):
        for line in stream:
            collected.append(line.rstrip("\n"))
            if collected is self.stdout_lines:
                self._new_lines.put(line.rstrip("\n"))
        self._new_lines.put(None) if collected is self.stdout_lines else None

    def wait_for_line(self, prefix, timeout=_LINE_TIMEOUT, anywhere=False):
        """The next stdout line starting with (or, anywhere=True, containing) the text.

        Fails with the output so far if no such line comes before the timeout or the end of output.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._new_lines.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = None
            if line is not None and (prefix in line if anywhere else line.startswith(prefix)):
                return line
            if line is None:
                raise AssertionError(
                    "no line starting with %r; stdout=%r stderr=%r" % (prefix, self.stdout_lines, self.stderr_lines)
                )

    def wait(self, timeout=_LINE_TIMEOUT):
        """Wait for the process to end on its own; returns the exit code."""
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def stop(self):
        """Terminate (by PID, through Popen) if still running, and release the pipes."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for reader in self._readers:
            reader.join(10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def tool_processes():
    """Start ToolProcesses with start(args, env=...); all are stopped at the end of the test."""
    started = []

    def start(args, env=None, stdin_text=None, executable=None):
        process = ToolProcess(args, env=env, stdin_text=stdin_text, executable=executable)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the EchoServer object ------------------------------------------------------------------------


def test_echo_returns_its_argument():
    assert EchoServer().echo("hello") == "hello"
    assert EchoServer().echo([1, {"a": 2}]) == [1, {"a": 2}]


def test_error_methods_raise_exact_messages():
    with pytest.raises(ValueError) as x:
        EchoServer().error()
    assert str(x.value) == "expected error from echoserver error() method"
    with pytest.raises(ValueError) as x:
        EchoServer().error_with_text()
    assert str(x.value) == "the message of the error"


def test_small_methods():
    echo = EchoServer()
    assert list(echo.generator()) == ["one", "two", "three"]
    assert math.isnan(echo.nan())
    assert echo.inf() == float("inf")
    assert echo.oneway_echo("x") == "bogus return value"
    assert echo.__dunder__() == "should be allowed (dunder)"


def test_shutdown_and_verbose_property():
    echo = EchoServer()
    assert echo._must_shutdown is False and EchoServer._must_shutdown is False
    echo.shutdown()
    assert echo._must_shutdown is True
    assert echo.verbose is False
    echo.verbose = 1
    assert echo.verbose is True


def test_verbose_output(capsys):
    echo = EchoServer()
    echo.verbose = True
    echo.echo("hi")
    with pytest.raises(ValueError):
        echo.error()
    echo.oneway_echo("x")
    echo.shutdown()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ", 1)[1] for line in lines] == [
        "echo: 'hi'",
        "error: generating exception",
        "oneway_echo: 'x'",
        "shutting down",
    ]


def test_exposed_members():
    assert EchoServer()._pyroExposed
    meta = Pyro4.util.get_exposed_members(EchoServer(), as_lists=False)
    assert meta["methods"] == {
        "__dunder__",
        "echo",
        "error",
        "error_with_text",
        "generator",
        "inf",
        "nan",
        "oneway_echo",
        "oneway_slow",
        "shutdown",
        "slow",
    }
    assert meta["attrs"] == {"verbose"}
    assert meta["oneway"] == {"oneway_echo", "oneway_slow"}


# ---- main() in-process ----------------------------------------------------------------------------


def test_main_return_without_looping(capsys):
    daemon, echo, uri = echoserver.main(["-H", "127.0.0.1", "-p", "0"], returnWithoutLooping=True)
    try:
        assert isinstance(echo, EchoServer)
        assert uri.object == "test.echoserver"
        assert Pyro4.config.SERVERTYPE == "multiplex"
        assert daemon.objectsById["test.echoserver"] is echo
    finally:
        daemon.close()
    assert capsys.readouterr().out.splitlines() == [
        "Starting Pyro's built-in test echo server.",
        "Warning: HMAC key not set. Anyone can connect to this server!",
        "object name: test.echoserver",
        "echo uri: %s" % uri,
        "echoserver running.",
    ]


def test_main_verbose_and_quiet(capsys):
    daemon, _, _ = echoserver.main(["-H", "127.0.0.1", "-q"], returnWithoutLooping=True)
    daemon.close()
    assert capsys.readouterr().out == ""
    daemon, echo, _ = echoserver.main(["-H", "127.0.0.1", "-q", "-v"], returnWithoutLooping=True)
    daemon.close()
    assert echo._verbose is True
    assert "not using a name server." in capsys.readouterr().out.splitlines()


def test_main_help_and_bad_options(capsys):
    with pytest.raises(SystemExit) as x:
        echoserver.main(["-h"])
    assert x.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: ")
    assert "show this help message and exit" in out
    assert "-N, --nameserver      also start a nameserver" in out
    with pytest.raises(SystemExit) as x:
        echoserver.main(["--bogus"])
    assert x.value.code == 2
    assert "no such option: --bogus" in capsys.readouterr().err


def test_key_option_is_deprecated_and_conflicts_with_env(monkeypatch, capsys):
    with pytest.warns(UserWarning, match="deprecated since Pyro 4.72"):
        daemon, _, _ = echoserver.main(["-H", "127.0.0.1", "-k", "secret"], returnWithoutLooping=True)
    try:
        assert daemon._pyroHmacKey == b"secret"
    finally:
        daemon.close()
    assert "Warning: HMAC key not set" not in capsys.readouterr().out
    monkeypatch.setenv("PYRO_HMAC_KEY", "other")
    with pytest.warns(UserWarning), pytest.raises(SystemExit) as x:
        echoserver.main(["-k", "secret"], returnWithoutLooping=True)
    assert x.value.code == "error: don't use -k and PYRO_HMAC_KEY at the same time"


# ---- the command as a process ---------------------------------------------------------------------


def _start_echoserver(tool_processes, *options, env=None):
    run_env = {"PYRO_POLLTIMEOUT": "0.2"}
    run_env.update(env or {})
    process = tool_processes(["-m", "Pyro4.test.echoserver"] + list(options), env=run_env)
    uri = process.wait_for_line("echo uri: ").split(": ", 1)[1]
    process.wait_for_line("echoserver running.")
    return process, uri


def test_process_verbose_echo_and_shutdown(tool_processes):
    process, uri = _start_echoserver(tool_processes, "-H", "127.0.0.1", "-p", "0", "-v")
    with Pyro4.Proxy(uri) as echo:
        assert echo.echo("hi") == "hi"
        line = process.wait_for_line(" - echo: 'hi'", anywhere=True)
        assert time.strptime(line.split(" - ")[0])  # prefixed by time.asctime()
        with pytest.raises(ValueError) as x:
            echo.error()
        assert str(x.value) == "expected error from echoserver error() method"
        assert list(echo.generator()) == ["one", "two", "three"]
        echo.shutdown()
    assert process.wait() == 0
    assert process.stdout_lines[:3] == [
        "Starting Pyro's built-in test echo server.",
        "Warning: HMAC key not set. Anyone can connect to this server!",
        "not using a name server.",
    ]


def test_process_with_own_nameserver(tool_processes):
    ns_port = free_port()
    process, uri = _start_echoserver(tool_processes, "-H", "127.0.0.1", "-N", "-v", env={"PYRO_NS_PORT": str(ns_port)})
    assert process.stdout_lines[2] == "using name server at PYRO:Pyro.NameServer@127.0.0.1:%d" % ns_port
    assert process.stdout_lines[3] == "not using a broadcast server"
    with Pyro4.Proxy("PYRO:Pyro.NameServer@127.0.0.1:%d" % ns_port) as ns:
        assert str(ns.lookup("test.echoserver")) == uri
    with Pyro4.Proxy(uri) as echo:
        echo.shutdown()
    assert process.wait() == 0


def test_process_unix_socket_and_env_key(tool_processes, tmp_path):
    sockname = str(tmp_path / "echo.sock")
    process, uri = _start_echoserver(tool_processes, "-u", sockname, env={"PYRO_HMAC_KEY": "envkey"})
    assert uri == "PYRO:test.echoserver@./u:" + sockname
    assert "Warning: HMAC key not set. Anyone can connect to this server!" not in process.stdout_lines
    with Pyro4.Proxy(uri) as echo:
        echo._pyroHmacKey = b"envkey"
        assert echo.echo("over unix socket") == "over unix socket"
        echo.shutdown()
    assert process.wait() == 0


def test_verbose_output_replaces_unencodable_characters(monkeypatch):
    raw = io.BytesIO()
    ascii_out = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    echo = EchoServer()
    echo.verbose = True
    assert echo.echo("caf\u00e9 \u2603") == "caf\u00e9 \u2603"
    ascii_out.flush()
    assert raw.getvalue().decode("ascii").endswith(" - echo: 'caf? ?'\n")

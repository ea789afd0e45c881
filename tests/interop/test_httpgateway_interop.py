"""The HTTP gateway with real Pyro4 4.82 peers (own virtualenv, separate processes), both ways round."""

import json
import os
import subprocess
import sys

import pytest
import realpyro
from test_echoserver import free_port, tool_processes  # noqa: F401  (fixture)
from test_httpgateway import http_get, start_echo_with_nameserver, start_gateway

REAL_PYTHON = realpyro.real_python()  # builds the venv on first use; an error fails the module

pytestmark = pytest.mark.interop


def _check_echo_calls(base):
    status, headers, body = http_get(base + "test.echoserver/echo?message=hello")
    assert (status, json.loads(body)) == (200, "hello")
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    status, _, body = http_get(base + "test.echoserver/error")
    error = json.loads(body)
    assert status == 500 and error["__class__"] == "builtins.ValueError"
    assert error["args"] == ["expected error from echoserver error() method"]
    status, _, body = http_get(base + "test.echoserver/$meta")
    assert status == 200 and "echo" in json.loads(body)["methods"]
    status, _, body = http_get(base)
    assert status == 200 and body.startswith(b"<!DOCTYPE html>") and b"test.echoserver" in body


def test_our_gateway_with_real_echoserver_and_nameserver(tool_processes):  # noqa: F811
    ns_port = free_port()
    echo = tool_processes(
        ["-m", "Pyro4.test.echoserver", "-H", "127.0.0.1", "-N"],
        env={"PYRO_NS_PORT": str(ns_port)},
        executable=REAL_PYTHON,
    )
    echo.wait_for_line("echoserver running.")
    _, base = start_gateway(tool_processes, ns_port, "-e", r"Pyro\.|test\.")
    _check_echo_calls(base)


def test_real_gateway_with_our_echoserver_and_nameserver(tool_processes):  # noqa: F811
    if sys.version_info >= (3, 13):
        _check_real_gateway_cannot_start()
        return
    ns_port = start_echo_with_nameserver(tool_processes)
    port = free_port()
    gateway = tool_processes(
        [
            "-W",
            "ignore::DeprecationWarning",
            "-m",
            "Pyro4.utils.httpgateway",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
            "-e",
            r"Pyro\.|test\.",
        ],
        env={"PYRO_NS_HOST": "127.0.0.1", "PYRO_NS_PORT": str(ns_port)},
        executable=REAL_PYTHON,
    )
    gateway.wait_for_line("Pyro HTTP gateway running on ")
    _check_echo_calls("http://127.0.0.1:%d/pyro/" % port)


def _check_real_gateway_cannot_start():
    """4.82's gateway imports the cgi module, which Python 3.13 removed: it can't start there (our gateway
    does not use cgi: API.md 15 [D], and the other test above runs it on 3.13)."""
    result = subprocess.run([REAL_PYTHON, "-c", "import Pyro4.utils.httpgateway"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode != 0
    assert "No module named 'cgi'" in result.stderr

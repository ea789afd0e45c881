"""The gateway's home page in a real browser: headless Chromium driven over the DevTools protocol.

Chromium is started with ``--remote-debugging-pipe``: DevTools messages are NUL-terminated JSON on
file descriptors 3 (to the browser) and 4 (from the browser), so only the standard library is needed.
An echo server (with its own name server) and the gateway run as child processes on loopback.
"""

import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time

import pytest
from test_echoserver import tool_processes  # noqa: F401  (fixture)
from test_httpgateway import start_echo_with_nameserver, start_gateway

pytestmark = pytest.mark.browser

_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_STEP_TIMEOUT = 15.0
_TRAMPOLINE = (
    "import os, sys\n"
    "reader, writer = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(reader, 3)\n"
    "os.dup2(writer, 4)\n"
    "os.close(reader)\n"
    "os.close(writer)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def _find_browser():
    for name in _BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _fd_above_4(fd):
    """The same pipe end on a descriptor number that can't clash with the browser's 3 and 4."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 5)
    os.close(fd)
    return moved


class DevToolsPipe(object):
    """A headless Chromium process and the DevTools protocol over its debugging pipe."""

    def __init__(self, browser, profile_dir):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        to_browser_r, from_browser_w = _fd_above_4(to_browser_r), _fd_above_4(from_browser_w)
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--remote-debugging-pipe",
            "--user-data-dir=" + profile_dir,
            "about:blank",
        ]
        # a tiny Python trampoline moves our pipe ends to the fd numbers Chromium expects (3 and 4)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_browser_r), str(from_browser_w), browser] + flags,
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._last_id = 0

    def command(self, method, session=None, **params):
        """Send one DevTools command and return its result (events in between are skipped)."""
        self._last_id += 1
        request = {"id": self._last_id, "method": method, "params": params}
        if session:
            request["sessionId"] = session
        os.write(self._to_browser, json.dumps(request).encode("utf-8") + b"\0")
        deadline = time.monotonic() + _STEP_TIMEOUT
        while True:
            reply = self._next_message(deadline)
            if reply.get("id") == self._last_id:
                if "error" in reply:
                    raise AssertionError("DevTools error for %s: %s" % (method, reply["error"]))
                return reply["result"]

    def _next_message(self, deadline):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(remaining, 0))
            if not ready:
                raise AssertionError("no answer from the browser in time")
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise AssertionError("the browser closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message.decode("utf-8"))

    def evaluate(self, session, expression):
        result = self.command("Runtime.evaluate", session, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_until(self, session, expression, description):
        """Poll a JavaScript expression until it is truthy (bounded in time); returns its value."""
        deadline = time.monotonic() + _STEP_TIMEOUT
        while time.monotonic() < deadline:
            value = self.evaluate(session, expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + description)

    def close(self):
        try:
            self.command("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture
def browser(tmp_path):
    executable = _find_browser()
    if executable is None:
        pytest.skip("no Chromium/Chrome executable found on PATH (looked for %s)" % ", ".join(_BROWSER_NAMES))
    pipe = DevToolsPipe(executable, str(tmp_path / "chromium-profile"))
    try:
        yield pipe
    finally:
        pipe.close()


def _open_page(browser, url):
    target = browser.command("Target.createTarget", url=url)["targetId"]
    session = browser.command("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    browser.wait_until(session, "document.readyState === 'complete' && document.title", "the home page to load")
    return session


def _click_and_read_response(browser, session, selector):
    """Click the element, wait for the page to show the gateway's answer; returns (request, response) text."""
    clicked = browser.evaluate(
        session,
        "(function(){var e=document.querySelector(%s);"
        "if(!e){return false;} e.click(); return true;})()" % json.dumps(selector),
    )
    assert clicked, "nothing on the page matches " + selector
    response = browser.wait_until(
        session,
        "(function(){var r=document.getElementById('pyro-response');"
        "return r.className !== 'pending' && r.textContent;})()",
        "the response of " + selector,
    )
    request = browser.evaluate(session, "document.getElementById('pyro-request').textContent")
    return request, response


def test_home_page_examples_in_browser(browser, tool_processes):  # noqa: F811
    ns_port = start_echo_with_nameserver(tool_processes)
    _, base = start_gateway(tool_processes, ns_port, "-e", r"Pyro\.|test\.")
    session = _open_page(browser, base)
    assert browser.evaluate(session, "document.title") == "Pyro HTTP gateway"
    table = browser.evaluate(session, "document.getElementById('objects').textContent")
    assert "test.echoserver" in table and "Pyro.NameServer" in table

    request, response = _click_and_read_response(browser, session, 'button[data-call^="test.echoserver/echo"]')
    assert request == "GET /pyro/test.echoserver/echo?message=Hi%20there!"
    assert response.splitlines() == ["HTTP 200 OK", '"Hi there!"']

    request, response = _click_and_read_response(browser, session, 'button[data-call="test.echoserver/error"]')
    assert response.startswith("HTTP 500 ")
    assert "expected error from echoserver error() method" in response

    _, response = _click_and_read_response(browser, session, 'button[data-call="Pyro.NameServer/list?prefix=test."]')
    status_line, listing = response.split("\n", 1)
    assert status_line == "HTTP 200 OK"
    registrations = json.loads(listing)
    assert list(registrations) == ["test.echoserver"]
    assert registrations["test.echoserver"].startswith("PYRO:test.echoserver@127.0.0.1:")

    # the attribute links in the table call the gateway too
    _, response = _click_and_read_response(browser, session, 'a[data-call="test.echoserver/verbose"]')
    assert response.splitlines() == ["HTTP 200 OK", "false"]

"""The HTTP gateway: the WSGI app in-process (routing, parameters, keys, calls, home page) and over HTTP."""

import io
import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from wsgiref.util import setup_testing_defaults

import pytest
from test_echoserver import free_port, tool_processes  # noqa: F401  (fixture)

import Pyro4
import Pyro4.errors
import Pyro4.naming
from Pyro4.test.echoserver import EchoServer
from Pyro4.utils import httpgateway
from Pyro4.utils.httpgateway import pyro_app


class Response(object):
    def __init__(self):
        self.status = None
        self.headers = None

    def start_response(self, status, headers):
        self.status, self.headers = status, headers


def call_app(path, query="", method="GET", body=b"", headers=None, content_type="application/x-www-form-urlencoded"):
    """Run one request through pyro_app; returns (Response, body bytes, text written to wsgi.errors)."""
    environ = {
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = content_type
    environ.update(headers or {})
    setup_testing_defaults(environ)
    response = Response()
    result = b"".join(pyro_app(environ, response.start_response))
    return response, result, environ["wsgi.errors"].getvalue()


@pytest.fixture(autouse=True)
def app_settings():
    """pyro_app's function attributes are global settings: restore them after each test."""
    saved = (pyro_app.ns_regex, pyro_app.hmac_key, pyro_app.gateway_key, pyro_app.comm_timeout, httpgateway._nameserver)
    yield
    (pyro_app.ns_regex, pyro_app.hmac_key, pyro_app.gateway_key, pyro_app.comm_timeout, httpgateway._nameserver) = saved


class FakeNameServer(object):
    """Just enough of a name server proxy for the home page: names that are no valid URIs."""

    def __init__(self, names):
        self.names = names
        self._pyroUri = Pyro4.URI("PYRO:Pyro.NameServer@fakehost:9999")
        self.listed_with = None

    def list(self, regex=None):
        self.listed_with = regex
        return {name: "not-a-uri-" + name for name in self.names}

    def lookup(self, name):
        pass  # recorded in the batch

    def _pyroBatch(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def __call__(self):
        return ["not a valid uri %d" % i for i in range(len(self.names))]


# ---- module surface -------------------------------------------------------------------------------


def test_module_surface():
    assert httpgateway.__all__ == ["pyro_app", "main"]
    assert pyro_app.ns_regex == r"http\."
    assert pyro_app.hmac_key is None and pyro_app.gateway_key is None
    assert pyro_app.comm_timeout == Pyro4.config.COMMTIMEOUT
    assert isinstance(httpgateway.index_page_template, str)


def test_cgi_module_is_not_used():
    code = "import sys, Pyro4.utils.httpgateway; print('cgi' in sys.modules)"
    output = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60)
    assert output.stdout.strip() == "False", output.stderr


def test_singlyfy_parameters():
    params = {"a": ["x"], "b": ("y",), "c": ["1", "2"], "d": "z", "e": []}
    assert httpgateway.singlyfy_parameters(params) is params
    assert params == {"a": "x", "b": "y", "c": ["1", "2"], "d": "z", "e": []}


# ---- routing --------------------------------------------------------------------------------------


def test_root_redirects_to_pyro():
    response, body, _ = call_app("/")
    assert response.status == "302 Found"
    assert response.headers == [("Location", "/pyro/")]
    assert body == b""


@pytest.mark.parametrize("path", ["/other", "/pyro", "/pyro/nameonly", "/pyro/name/", "/pyro//method"])
def test_not_found(path):
    response, body, _ = call_app(path)
    assert response.status == "404 Not Found"
    assert response.headers == [("Content-Type", "text/plain")]
    assert body == b"Error 404: Not Found"


def test_method_not_allowed():
    response, body, _ = call_app("/pyro/http.thing/method", method="PUT")
    assert response.status == "405 Method Not Allowed"
    assert body == b"Error 405: Method Not Allowed"


def test_unexposed_name_is_refused(monkeypatch):
    monkeypatch.setattr(httpgateway, "get_nameserver", lambda hmac=None: pytest.fail("must not be reached"))
    response, body, _ = call_app("/pyro/Pyro.NameServer/list")
    assert response.status == "403 Forbidden"
    assert response.headers == [("Content-Type", "text/plain")]
    assert body == b"403 Forbidden - access to the requested object has been denied"


def test_gateway_key(monkeypatch):
    pyro_app.gateway_key = b"sesame"
    monkeypatch.setattr(httpgateway, "get_nameserver", lambda hmac=None: pytest.fail("must not be reached"))
    for extra in ({}, {"HTTP_X_PYRO_GATEWAY_KEY": "wrong"}):
        response, body, _ = call_app("/pyro/http.x/m", headers=extra)
        assert response.status == "403 Forbidden"
        assert body == b"403 Forbidden - incorrect gateway api key"
    response, body, _ = call_app("/pyro/http.x/m", query="$key=wrong")
    assert body == b"403 Forbidden - incorrect gateway api key"
    # the right key passes on to the next check (here: the expose regex refuses)
    response, body, _ = call_app("/pyro/other/m", query="$key=sesame")
    assert body == b"403 Forbidden - access to the requested object has been denied"
    response, body, _ = call_app("/pyro/other/m", headers={"HTTP_X_PYRO_GATEWAY_KEY": "sesame"})
    assert body == b"403 Forbidden - access to the requested object has been denied"


def test_request_parameters():
    parse = httpgateway._request_parameters
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": "a=1&b=&c=x&c=y&d=%C3%A9+z"}
    assert parse(environ) == {"a": ["1"], "c": ["x", "y"], "d": ["\u00e9 z"]}
    body = b"message=posted&empty="
    environ = {
        "REQUEST_METHOD": "POST",
        "QUERY_STRING": "extra=q",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "wsgi.input": io.BytesIO(body),
    }
    assert parse(environ) == {"message": ["posted"], "extra": ["q"]}
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": "bogus",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(b"a=1"),
    }
    assert parse(environ) == {}


# ---- home page ------------------------------------------------------------------------------------


def test_home_page_with_fake_nameserver(monkeypatch):
    fake = FakeNameServer(["http.b", "http.a"])
    monkeypatch.setattr(httpgateway, "get_nameserver", lambda hmac=None: fake)
    response, body, errors_text = call_app("/pyro/")
    assert response.status == "200 OK"
    assert response.headers == [("Content-Type", "text/html")]
    assert body.startswith(b"<!DOCTYPE html>")
    assert len(body) > 1000
    page = body.decode("utf-8")
    assert "<title>Pyro HTTP gateway</title>" in page
    assert "fakehost:9999" in page
    assert "http\\." in page
    assert page.count("??error:") == 2
    assert page.index("http.a") < page.index("http.b")
    assert "Pyro " + Pyro4.constants.VERSION in page
    assert fake.listed_with == r"http\."
    assert "ERROR getting metadata for not a valid uri 0:" in errors_text


def test_home_page_without_nameserver(monkeypatch, capsys):
    def no_nameserver(hmac=None):
        raise Pyro4.errors.NamingError("Failed to locate the nameserver")

    monkeypatch.setattr(httpgateway, "get_nameserver", no_nameserver)
    response, body, _ = call_app("/pyro/")
    assert response.status == "500 Internal Server Error"
    assert response.headers == [("Content-Type", "text/plain")]
    assert body == b"Cannot connect to the Pyro name server. Is it running? Refresh page to retry."
    assert "Name server error:" in capsys.readouterr().out


# ---- calls through a real name server and echo server ----------------------------------------------


@pytest.fixture
def pyro_servers():
    """A name server and an echo server on loopback, each served by a thread; yields the NS uri."""
    ns_uri, ns_daemon, bc_server = Pyro4.naming.startNS(host="127.0.0.1", port=0, enableBroadcast=False)
    assert bc_server is None
    echo_daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    echo_uri = echo_daemon.register(EchoServer(), "test.echoserver")
    dead_daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    dead_uri = Pyro4.URI("PYRO:gone@%s" % dead_daemon.locationStr)
    dead_daemon.close()  # its address now refuses connections
    loops = [threading.Thread(target=d.requestLoop, daemon=True) for d in (ns_daemon, echo_daemon)]
    for loop in loops:
        loop.start()
    try:
        with Pyro4.Proxy(ns_uri) as ns:
            ns.register("test.echoserver", echo_uri)
            ns.register("test.gone", dead_uri)
        yield ns_uri
    finally:
        for daemon in (ns_daemon, echo_daemon):
            daemon.shutdown()
        for loop in loops:
            loop.join(10)
        ns_daemon.close()
        echo_daemon.close()


@pytest.fixture
def gateway(pyro_servers, monkeypatch):
    """pyro_app wired to the test name server, exposing Pyro.* and test.* names."""
    pyro_app.ns_regex = r"Pyro\.|test\."
    pyro_app.comm_timeout = 20.0  # a broken server makes the test fail, not hang
    nameservers = []

    def get_test_nameserver(hmac=None):
        if not nameservers:
            nameservers.append(Pyro4.Proxy(pyro_servers))
        return nameservers[0]

    monkeypatch.setattr(httpgateway, "get_nameserver", get_test_nameserver)
    yield pyro_servers
    for proxy in nameservers:
        proxy._pyroRelease()


def json_body(body):
    return json.loads(body.decode("utf-8"))


def test_call_echo(gateway):
    response, body, _ = call_app("/pyro/test.echoserver/echo", query="message=hello")
    assert response.status == "200 OK"
    assert response.headers[0] == ("Content-Type", "application/json; charset=utf-8")
    assert response.headers[1][0] == "X-Pyro-Correlation-Id"
    assert uuid.UUID(response.headers[1][1])
    assert len(response.headers) == 2
    assert json_body(body) == "hello"


def test_correlation_id_header_is_used(gateway):
    corr = str(uuid.uuid4())
    response, _, _ = call_app(
        "/pyro/test.echoserver/echo", query="message=x", headers={"HTTP_X_PYRO_CORRELATION_ID": corr}
    )
    assert response.headers[1] == ("X-Pyro-Correlation-Id", corr)
    response, body, errors_text = call_app("/pyro/test.echoserver/echo", headers={"HTTP_X_PYRO_CORRELATION_ID": "nope"})
    assert response.status == "500 Internal Server Error"
    assert json_body(body)["__class__"] == "builtins.ValueError"


def test_meta(gateway):
    response, body, _ = call_app("/pyro/test.echoserver/$meta")
    assert response.status == "200 OK"
    meta = json_body(body)
    assert set(meta) == {"methods", "attributes"}
    assert "echo" in meta["methods"] and "shutdown" in meta["methods"]
    assert meta["attributes"] == ["verbose"]


def test_attribute_and_nameserver_calls(gateway):
    response, body, _ = call_app("/pyro/test.echoserver/verbose")
    assert response.status == "200 OK" and json_body(body) is False
    response, body, _ = call_app("/pyro/Pyro.NameServer/list", query="prefix=test.e")
    with Pyro4.Proxy(gateway) as ns:
        assert json_body(body) == {"test.echoserver": str(ns.lookup("test.echoserver"))}
    response, body, errors_text = call_app("/pyro/test.echoserver/verbose", query="x=1")
    assert response.status == "500 Internal Server Error"
    assert json_body(body)["__class__"] == "builtins.AssertionError"
    assert "ERROR handling test.echoserver/verbose with params {'x': '1'}:" in errors_text


def test_post_and_repeated_parameters(gateway):
    response, body, _ = call_app("/pyro/test.echoserver/echo", method="POST", body=b"message=posted")
    assert response.status == "200 OK" and json_body(body) == "posted"
    response, body, _ = call_app("/pyro/test.echoserver/echo", query="message=a&message=b")
    assert json_body(body) == ["a", "b"]


def test_remote_exception_is_relayed(gateway):
    response, body, _ = call_app("/pyro/test.echoserver/error")
    assert response.status == "500 Internal Server Error"
    assert response.headers == [("Content-Type", "application/json; charset=utf-8")]
    error = json_body(body)
    assert error["__class__"] == "builtins.ValueError"
    assert error["__exception__"] is True
    assert error["args"] == ["expected error from echoserver error() method"]
    assert "_pyroTraceback" in error["attributes"]


def test_oneway_option(gateway):
    response, body, _ = call_app(
        "/pyro/test.echoserver/echo", query="message=x", headers={"HTTP_X_PYRO_OPTIONS": "oneway"}
    )
    assert response.status == "200 OK" and body == b""
    response, body, _ = call_app("/pyro/test.echoserver/oneway_echo", query="message=x")
    assert response.status == "200 OK" and body == b""


def test_failures_become_json_errors(gateway):
    cases = {
        "/pyro/test.unknown/echo": "Pyro4.errors.NamingError",
        "/pyro/test.gone/echo": "Pyro4.errors.CommunicationError",
        "/pyro/test.echoserver/nosuchmethod": "builtins.AttributeError",
        "/pyro/test.echoserver/_pyroRelease": "builtins.AttributeError",
    }
    for path, error_class in cases.items():
        response, body, errors_text = call_app(path)
        assert response.status == "500 Internal Server Error", path
        assert response.headers == [("Content-Type", "application/json; charset=utf-8")]
        error = json_body(body)
        assert error["__class__"] == error_class and error["__exception__"] is True
        assert errors_text.startswith("ERROR handling %s with params {}:" % path[len("/pyro/") :])
        assert "Traceback" in errors_text


def test_home_page_with_real_nameserver(gateway):
    response, body, errors_text = call_app("/pyro/")
    assert response.status == "200 OK", errors_text
    page = body.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "test.echoserver" in page and "Pyro.NameServer" in page
    assert 'data-call="test.echoserver/verbose"' in page
    assert "??error:" in page  # test.gone can't be reached


# ---- the command as a process ---------------------------------------------------------------------


def test_help(capsys):
    with pytest.raises(SystemExit) as x:
        httpgateway.main(["-h"])
    assert x.value.code == 0
    out = capsys.readouterr().out
    assert "-e EXPOSE, --expose=EXPOSE" in out
    assert "a regex of object names to expose (default=http\\.)" in out
    assert "-g GATEWAYKEY, --gatewaykey=GATEWAYKEY" in out


def test_key_options_conflict_with_env(monkeypatch):
    monkeypatch.setenv("PYRO_HTTPGATEWAY_KEY", "envkey")
    with pytest.warns(UserWarning, match="using -k and/or -g to supply keys"), pytest.raises(SystemExit) as x:
        httpgateway.main(["-g", "clikey"])
    assert x.value.code == "error: don't use -g and PYRO_HTTPGATEWAY_KEY at the same time"


def http_get(url, headers=None, data=None):
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def start_gateway(tool_processes, ns_port, *options, env=None):  # noqa: F811
    run_env = {"PYRO_NS_HOST": "127.0.0.1", "PYRO_NS_PORT": str(ns_port)}
    run_env.update(env or {})
    gateway_process = tool_processes(
        ["-m", "Pyro4.utils.httpgateway", "-H", "127.0.0.1", "-p", "0"] + list(options), env=run_env
    )
    line = gateway_process.wait_for_line("Pyro HTTP gateway running on ")
    return gateway_process, re.match(r"Pyro HTTP gateway running on (http://\S+/pyro/)$", line).group(1)


def start_echo_with_nameserver(tool_processes):  # noqa: F811
    ns_port = free_port()
    echo = tool_processes(
        ["-m", "Pyro4.test.echoserver", "-H", "127.0.0.1", "-N"],
        env={"PYRO_NS_PORT": str(ns_port), "PYRO_POLLTIMEOUT": "0.2"},
    )
    echo.wait_for_line("echoserver running.")
    return ns_port


def test_gateway_process_over_http(tool_processes):  # noqa: F811
    ns_port = start_echo_with_nameserver(tool_processes)
    gateway_process, base = start_gateway(tool_processes, ns_port, "-e", r"Pyro\.|test\.")
    assert gateway_process.stdout_lines[:2] == [
        "Exposing objects with names matching:  Pyro\\.|test\\.",
        "Connected to name server at:  PYRO:Pyro.NameServer@127.0.0.1:%d" % ns_port,
    ]
    status, headers, body = http_get(base + "test.echoserver/echo?message=hello")
    assert (status, json.loads(body)) == (200, "hello")
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    status, _, body = http_get(base + "test.echoserver/echo", data=b"message=posted")
    assert (status, json.loads(body)) == (200, "posted")
    status, _, body = http_get(base + "test.echoserver/error")
    assert status == 500 and json.loads(body)["args"] == ["expected error from echoserver error() method"]
    status, _, body = http_get(base + "Pyro.NameServer/list?prefix=test.")
    assert status == 200 and list(json.loads(body)) == ["test.echoserver"]
    status, headers, body = http_get(base)
    assert status == 200 and body.startswith(b"<!DOCTYPE html>")
    status, _, body = http_get(base.replace("/pyro/", "/"))  # redirected to the home page
    assert status == 200 and body.startswith(b"<!DOCTYPE html>")
    status, _, body = http_get(base + "Pyro.NameServer/ping?x=1", headers={"X-Pyro-Gateway-Key": "unused"})
    assert status == 500 and json.loads(body)["__class__"] == "builtins.TypeError"  # ping() takes no x


def test_gateway_process_default_regex_and_gateway_key(tool_processes):  # noqa: F811
    ns_port = start_echo_with_nameserver(tool_processes)
    _, base = start_gateway(tool_processes, ns_port, env={"PYRO_HTTPGATEWAY_KEY": "sesame"})
    status, _, body = http_get(base + "test.echoserver/echo?message=hi")
    assert (status, body) == (403, b"403 Forbidden - incorrect gateway api key")
    status, _, body = http_get(base + "test.echoserver/echo?message=hi&$key=sesame")
    assert (status, body) == (403, b"403 Forbidden - access to the requested object has been denied")


def test_gateway_process_without_nameserver(tool_processes):  # noqa: F811
    gateway_process, base = start_gateway(
        tool_processes, free_port(), "-e", "", env={"PYRO_BROADCAST_ADDRS": "127.255.255.255"}
    )
    assert gateway_process.stdout_lines[:2] == [
        "Warning: exposing all objects (no expose regex set)",
        "Not yet connected to a name server.",
    ]
    status, _, body = http_get(base)
    assert (status, body) == (500, b"Cannot connect to the Pyro name server. Is it running? Refresh page to retry.")


def test_iterator_result_is_an_error(gateway):
    response, body, _ = call_app("/pyro/test.echoserver/generator")
    assert response.status == "500 Internal Server Error"
    error = json_body(body)
    assert error["__class__"] == "Pyro4.errors.ProtocolError"
    assert error["args"] == ["result of call is an iterator"]


class PingingNameServer(object):
    def __init__(self, fails):
        self.fails = fails

    def ping(self):
        if self.fails:
            raise Pyro4.errors.ConnectionClosedError("receiving: connection lost")


def test_get_nameserver_caches_and_reconnects(monkeypatch, capsys):
    fresh = PingingNameServer(fails=False)
    located = []

    def fake_locate(host=None, port=None, broadcast=True, hmac_key=None):
        located.append(hmac_key)
        return fresh

    monkeypatch.setattr(Pyro4.core, "_locateNS", fake_locate)
    httpgateway._nameserver = PingingNameServer(fails=True)
    assert httpgateway.get_nameserver(hmac=b"key") is fresh
    assert capsys.readouterr().out == "Connection with nameserver lost, reconnecting...\n"
    assert httpgateway.get_nameserver(hmac=b"key") is fresh  # cached now
    assert located == [b"key"]


def test_multipart_form_parameters():
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="message"\r\n\r\n'
        b"multi part\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="empty"\r\n\r\n'
        b"\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="message"\r\n\r\n'
        b"caf\xc3\xa9\r\n"
        b"--XyZ--\r\n"
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "QUERY_STRING": "q=1",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "multipart/form-data; boundary=XyZ",
        "wsgi.input": io.BytesIO(body),
    }
    assert httpgateway._request_parameters(environ) == {"message": ["multi part", "caf\u00e9"], "q": ["1"]}
    environ["wsgi.input"] = io.BytesIO(b"garbage without boundaries")
    environ["CONTENT_LENGTH"] = "26"
    assert httpgateway._request_parameters(environ) == {"q": ["1"]}

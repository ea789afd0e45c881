"""The HTTP gateway (``pyro4-httpgateway``): Pyro objects called over plain HTTP, answers in JSON.

URL scheme, headers, status codes and the home page are specified in CLI.md §6. In short:
``GET|POST /pyro/<object name>/<method or attribute>?arg=value...`` looks the object up in the name
server (only names matching ``pyro_app.ns_regex``), calls it with the parameters as keyword
arguments (string values) using the json serializer, and relays the server's JSON reply unchanged.

Unlike Pyro4 4.82 this module does not use the ``cgi`` module, which Python 3.13 removed: query
strings and url-encoded form bodies are parsed with ``urllib.parse`` to the same result, multipart
form bodies with the ``email`` package [D].
"""

import html
import re
import string
import sys
import traceback
import uuid
import warnings
from email.parser import BytesParser
from email.policy import HTTP
from hmac import compare_digest
from optparse import OptionParser
from urllib.parse import parse_qsl, quote
from wsgiref.simple_server import make_server

from Pyro4 import constants, core, errors, message, util
from Pyro4.configuration import config
from Pyro4.util import json
from Pyro4.utils import _key_from_cli_or_env

__all__ = ["pyro_app", "main"]

_nameserver = None
_NAMESERVER_ATTEMPTS = 3
_MAX_LISTED_NAMES = 10
_MAX_FORM_BODY = 10 * 1024 * 1024  # a form post is small; refuse to buffer unbounded bodies
_JSON_CONTENT_TYPE = ("Content-Type", "application/json; charset=utf-8")
_DEFAULT_EXPOSE_REGEX = r"http\."
_IMPORT_TIME_COMMTIMEOUT = config.COMMTIMEOUT
_KEYS_OPTION_WARNING = (
    "using -k and/or -g to supply keys on the command line is a security problem "
    "and is deprecated since Pyro 4.72. See the documentation for an alternative."
)


def get_nameserver(hmac=None):
    """The (cached) name server proxy; a lost connection is re-established."""
    global _nameserver
    for _ in range(_NAMESERVER_ATTEMPTS):
        if _nameserver is None:
            _nameserver = core._locateNS(hmac_key=hmac)
        try:
            _nameserver.ping()
            return _nameserver
        except errors.ConnectionClosedError:
            _nameserver = None
            print("Connection with nameserver lost, reconnecting...")
    raise errors.NamingError("lost the connection with the name server too many times")


def singlyfy_parameters(parameters):
    """Replace every one-element list/tuple value by that element (in place; returns the dict)."""
    for name, value in parameters.items():
        if isinstance(value, (list, tuple)) and len(value) == 1:
            parameters[name] = value[0]
    return parameters


def _read_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(min(length, _MAX_FORM_BODY))


def _multipart_pairs(content_type, body):
    """(name, text value) pairs of a multipart/form-data body; file parts give their content as text."""
    document = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    pairs = []
    for part in document.iter_parts() if document.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        value = (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8", "replace")
        if name and value:
            pairs.append((name, value))
    return pairs


def _form_pairs(environ):
    """(name, value) pairs of a form post body (url-encoded or multipart); none for other bodies."""
    content_type = environ.get("CONTENT_TYPE", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return parse_qsl(_read_body(environ).decode("utf-8", "replace"))
    if media_type == "multipart/form-data":
        return _multipart_pairs(content_type, _read_body(environ))
    return []


def _request_parameters(environ):
    """Request parameters as {name: [values]}, like 4.82's cgi.parse: form body first, then query string.

    Blank values are dropped and every value is a string.
    """
    pairs = []
    if environ.get("REQUEST_METHOD") == "POST":
        pairs.extend(_form_pairs(environ))
    pairs.extend(parse_qsl(environ.get("QUERY_STRING", "")))
    parameters = {}
    for name, value in pairs:
        parameters.setdefault(name, []).append(value)
    return parameters


def _text_response(start_response, status, text):
    start_response(status, [("Content-Type", "text/plain")])
    return [text.encode("utf-8")]


def invalid_request(start_response):
    return _text_response(start_response, "405 Method Not Allowed", "Error 405: Method Not Allowed")


def not_found(start_response):
    return _text_response(start_response, "404 Not Found", "Error 404: Not Found")


def redirect(start_response, target):
    start_response("302 Found", [("Location", target)])
    return []


def _forbidden(start_response, reason):
    return _text_response(start_response, "403 Forbidden", "403 Forbidden - " + reason)


def _gateway_key_ok(environ, parameters):
    """Checks the gateway api key (header, or the $key parameter, which is removed) if one is set."""
    supplied = environ.get("HTTP_X_PYRO_GATEWAY_KEY") or parameters.get("$key") or ""
    parameters.pop("$key", None)
    if not pyro_app.gateway_key:
        return True
    if isinstance(supplied, (list, tuple)):
        return False
    return compare_digest(supplied.encode("utf-8"), pyro_app.gateway_key)


def _correlation_id(environ):
    supplied = environ.get("HTTP_X_PYRO_CORRELATION_ID")
    return uuid.UUID(supplied) if supplied else uuid.uuid4()


def _json_response(start_response, status, body, correlation_id=None):
    headers = [_JSON_CONTENT_TYPE]
    if correlation_id is not None:
        headers.append(("X-Pyro-Correlation-Id", str(correlation_id)))
    start_response(status, headers)
    return [body] if body else []


def _invoke_raw(proxy, method, parameters):
    """Call the method (or read the attribute) and return the raw reply message (None if oneway).

    The call goes straight to _pyroInvoke so that a name that happens to exist on the Proxy class
    itself (``_pyroRelease``, ``__class__`` ...) can never be run locally by an HTTP client.
    """
    proxy._pyroRawWireResponse = True
    if method in proxy._pyroAttrs:
        if parameters:
            raise AssertionError("attribute lookup can't have query parameters")
        return proxy._pyroInvoke("__getattr__", (method,), None)
    if method not in proxy._pyroMethods:
        raise AttributeError("remote object '%s' has no exposed attribute or method '%s'" % (proxy._pyroUri, method))
    return proxy._pyroInvoke(method, (), parameters)


def _call_object(object_name, method, parameters, options, correlation_id, start_response):
    uri = get_nameserver(hmac=pyro_app.hmac_key).lookup(object_name)
    with core.Proxy(uri) as proxy:
        core.current_context.correlation_id = correlation_id
        proxy._pyroHmacKey = pyro_app.hmac_key
        proxy._pyroGetMetadata()
        if "oneway" in options:
            proxy._pyroOneway.add(method)
        if method == "$meta":
            meta = {"methods": sorted(proxy._pyroMethods), "attributes": sorted(proxy._pyroAttrs)}
            return _json_response(start_response, "200 OK", json.dumps(meta).encode("utf-8"), correlation_id)
        reply = _invoke_raw(proxy, method, parameters)
        if reply is None:
            return _json_response(start_response, "200 OK", b"", correlation_id)
        if reply.flags & message.FLAGS_EXCEPTION:
            # the server's own JSON encoding of the exception (with its _pyroTraceback), as received
            return _json_response(start_response, "500 Internal Server Error", reply.data)
        return _json_response(start_response, "200 OK", reply.data, correlation_id)


def _exception_as_json(exc):
    try:
        return json.dumps(util.SerializerBase.class_to_dict(exc), default=repr).encode("utf-8")
    except Exception:  # never fail the error report itself
        return json.dumps(
            {"__class__": type(exc).__name__, "__exception__": True, "args": [str(exc)], "attributes": {}}
        ).encode("utf-8")


def process_pyro_request(environ, path, parameters, start_response):
    """Handle ``/pyro/<path>``: the home page, or a call of ``<object name>/<method>``."""
    if not path:
        return return_homepage(environ, start_response)
    object_name, _, method = path.rpartition("/")
    if not object_name or not method:
        return not_found(start_response)
    if not _gateway_key_ok(environ, parameters):
        return _forbidden(start_response, "incorrect gateway api key")
    if pyro_app.ns_regex and not re.match(pyro_app.ns_regex, object_name):
        return _forbidden(start_response, "access to the requested object has been denied")
    options = [option.strip() for option in environ.get("HTTP_X_PYRO_OPTIONS", "").split(",")]
    try:
        correlation_id = _correlation_id(environ)
        return _call_object(object_name, method, parameters, options, correlation_id, start_response)
    except Exception as x:
        errors_stream = environ["wsgi.errors"]
        print("ERROR handling {0} with params {1}:".format(path, parameters), file=errors_stream)
        traceback.print_exc(file=errors_stream)
        return _json_response(start_response, "500 Internal Server Error", _exception_as_json(x))
    finally:
        core.current_context.correlation_id = None


def pyro_app(environ, start_response):
    """The WSGI application of the gateway."""
    config.SERIALIZER = "json"
    config.COMMTIMEOUT = pyro_app.comm_timeout
    path = environ.get("PATH_INFO", "").lstrip("/")
    if not path:
        return redirect(start_response, "/pyro/")
    if not path.startswith("pyro/"):
        return not_found(start_response)
    if environ.get("REQUEST_METHOD") not in ("GET", "POST"):
        return invalid_request(start_response)
    parameters = singlyfy_parameters(_request_parameters(environ))
    return process_pyro_request(environ, path[len("pyro/") :], parameters, start_response)


pyro_app.ns_regex = _DEFAULT_EXPOSE_REGEX
pyro_app.hmac_key = None
pyro_app.gateway_key = None
pyro_app.comm_timeout = _IMPORT_TIME_COMMTIMEOUT


# ---- the home page --------------------------------------------------------------------------------


def _call_link(path, text):
    """A link that, on the home page, performs the gateway call ``/pyro/<path>`` in the page itself."""
    return '<a href="/pyro/{0}" data-call="{0}">{1}</a>'.format(html.escape(path), html.escape(text))


def _object_row(name, uri):
    """One table row: the object's name, its methods and its attributes (as call links)."""
    with core.Proxy(uri) as proxy:
        proxy._pyroHmacKey = pyro_app.hmac_key
        proxy._pyroBind()
        methods = ", ".join(html.escape(m) for m in sorted(proxy._pyroMethods)) or "-"
        url_name = quote(name, safe="")
        attributes = (
            ", ".join(_call_link(url_name + "/" + quote(a, safe=""), a) for a in sorted(proxy._pyroAttrs)) or "-"
        )
    return methods, attributes


def _object_rows(environ, nameserver):
    names = sorted(nameserver.list(regex=pyro_app.ns_regex or None))[:_MAX_LISTED_NAMES]
    if not names:
        return ['<tr><td colspan="3">(no objects matching the expose pattern are registered)</td></tr>']
    with core.batch(nameserver) as nsbatch:
        for name in names:
            nsbatch.lookup(name)
        uris = list(nsbatch())
    rows = []
    for name, uri in zip(names, uris):
        try:
            methods, attributes = _object_row(name, uri)
        except Exception as x:
            errors_stream = environ["wsgi.errors"]
            print("ERROR getting metadata for {0}:".format(uri), file=errors_stream)
            traceback.print_exc(file=errors_stream)
            methods, attributes = html.escape("??error:%s??" % x), "-"
        rows.append("<tr><td>{0}</td><td>{1}</td><td>{2}</td></tr>".format(html.escape(name), methods, attributes))
    return rows


def _object_table(environ, nameserver):
    try:
        return "\n".join(_object_rows(environ, nameserver))
    except Exception as x:
        print("Name server error:", x, file=environ["wsgi.errors"])
        return '<tr><td colspan="3">{0}</td></tr>'.format(html.escape("??error:%s??" % x))


def return_homepage(environ, start_response):
    try:
        nameserver = get_nameserver(hmac=pyro_app.hmac_key)
    except errors.NamingError as x:
        print("Name server error:", x)
        return _text_response(
            start_response,
            "500 Internal Server Error",
            "Cannot connect to the Pyro name server. Is it running? Refresh page to retry.",
        )
    page = string.Template(index_page_template).substitute(
        ns_location=html.escape(str(nameserver._pyroUri.location)),
        ns_regex=html.escape(pyro_app.ns_regex or "(none: every registered object is reachable)"),
        object_rows=_object_table(environ, nameserver),
        max_listed=_MAX_LISTED_NAMES,
        pyro_version=html.escape(constants.VERSION),
    )
    start_response("200 OK", [("Content-Type", "text/html")])
    return [page.encode("utf-8")]


# string.Template syntax: $name is filled in, $$ is a literal dollar sign.
index_page_template = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Pyro HTTP gateway</title>
<style>
body { font-family: sans-serif; margin: 1.5em 3em; color: #222; }
code, pre { background: #f2f2f2; padding: 0.1em 0.3em; }
pre { padding: 0.6em; white-space: pre-wrap; min-height: 1.2em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #e4e8f0; }
button { margin: 0.15em 0; }
footer { margin-top: 2em; font-size: smaller; color: #666; }
</style>
</head>
<body>
<h1>Pyro HTTP gateway</h1>
<p>
This web server is a bridge between HTTP and Pyro. Any HTTP client (a browser, curl, a script in
another language) can call methods of Pyro objects that are registered in the Pyro name server,
and gets the result back as JSON. The request URL has the form
<code>/pyro/&lt;object name&gt;/&lt;method or attribute&gt;?param=value&amp;...</code>; the query (or
form-encoded POST) parameters become keyword arguments of the call, always as strings.
The special method name <code>$$meta</code> returns the methods and attributes of an object.
</p>
<p>
Optional request headers: <code>X-Pyro-Options: oneway</code> makes the call one-way (the answer is
empty), <code>X-Pyro-Gateway-Key</code> carries the gateway's api key when one is configured (the
parameter <code>$$key</code> works too), and <code>X-Pyro-Correlation-Id</code> passes a UUID that
is used as the call's correlation id; every successful reply returns that id in the same header.
A failed call answers with status 500 and the exception as a JSON object.
</p>

<h2>Name server</h2>
<p>The gateway uses the name server at <code>$ns_location</code>.
Only objects whose registered name matches the regular expression <code>$ns_regex</code> can be called.</p>

<h2>Reachable objects</h2>
<p>The first $max_listed registered names matching the expression (click an attribute to read it):</p>
<table id="objects">
<tr><th>name</th><th>methods</th><th>attributes</th></tr>
$object_rows
</table>

<h2>Try it</h2>
<p>These examples call the name server and the built-in echo server
(<code>pyro4-test-echoserver -n</code>) through this gateway. They only work when those object
names match the expose expression.</p>
<ul id="examples">
<li><button type="button" data-call="Pyro.NameServer/$$meta">
    Pyro.NameServer/$$meta</button>
    the name server's methods and attributes</li>
<li><button type="button" data-call="Pyro.NameServer/list">
    Pyro.NameServer/list</button>
    all registrations</li>
<li><button type="button" data-call="Pyro.NameServer/list?prefix=test.">
    Pyro.NameServer/list?prefix=test.</button>
    registrations whose names start with <code>test.</code></li>
<li><button type="button" data-call="Pyro.NameServer/lookup?name=Pyro.NameServer">
    Pyro.NameServer/lookup?name=Pyro.NameServer</button>
    the name server's own URI</li>
<li><button type="button" data-call="test.echoserver/echo?message=Hi%20there!">
    test.echoserver/echo?message=Hi%20there!</button>
    echoes the message</li>
<li><button type="button" data-call="test.echoserver/error">
    test.echoserver/error</button>
    a call that raises an exception on the server</li>
</ul>
<h3>Request</h3>
<pre id="pyro-request">(click an example)</pre>
<h3>Response</h3>
<pre id="pyro-response"></pre>

<script>
"use strict";
(function () {
    var requestView = document.getElementById("pyro-request");
    var responseView = document.getElementById("pyro-response");

    function prettyJson(text) {
        try {
            return JSON.stringify(JSON.parse(text), null, 2);
        } catch (notJson) {
            return text;
        }
    }

    function callThroughGateway(path) {
        var url = "/pyro/" + path;
        var xhr = new XMLHttpRequest();
        requestView.textContent = "GET " + url;
        responseView.textContent = "(waiting for the answer...)";
        responseView.className = "pending";
        xhr.open("GET", url);
        xhr.onload = function () {
            var statusLine = "HTTP " + xhr.status + " " + xhr.statusText;
            responseView.textContent = statusLine + "\\n" + prettyJson(xhr.responseText);
            responseView.className = xhr.status === 200 ? "ok" : "error";
        };
        xhr.onerror = function () {
            responseView.textContent = "request failed (is the gateway still running?)";
            responseView.className = "error";
        };
        xhr.send();
    }

    document.addEventListener("click", function (event) {
        var source = event.target.closest ? event.target.closest("[data-call]") : null;
        if (source) {
            event.preventDefault();
            callThroughGateway(source.getAttribute("data-call"));
        }
    });
})();
</script>
<footer>Pyro $pyro_version &mdash; HTTP gateway</footer>
</body>
</html>
"""


# ---- command line ---------------------------------------------------------------------------------


def _option_parser():
    parser = OptionParser()
    parser.add_option("-H", "--host", default="localhost", help="hostname to bind server on (default=%default)")
    parser.add_option("-p", "--port", type="int", default=8080, help="port to bind server on (default=%default)")
    parser.add_option(
        "-e", "--expose", default=_DEFAULT_EXPOSE_REGEX, help="a regex of object names to expose (default=%default)"
    )
    parser.add_option("-k", "--pyrokey", help="the HMAC key to use to connect with Pyro (deprecated)")
    parser.add_option("-g", "--gatewaykey", help="the api key to use to connect to the gateway itself")
    parser.add_option(
        "-t",
        "--timeout",
        type="float",
        default=_IMPORT_TIME_COMMTIMEOUT,
        help="Pyro timeout value to use (COMMTIMEOUT setting, default=%default)",
    )
    return parser


def _configure_app(options):
    if options.pyrokey or options.gatewaykey:
        warnings.warn(_KEYS_OPTION_WARNING, stacklevel=3)
    pyrokey = _key_from_cli_or_env(options.pyrokey, "-k", "PYRO_HMAC_KEY")
    gatewaykey = _key_from_cli_or_env(options.gatewaykey, "-g", "PYRO_HTTPGATEWAY_KEY")
    pyro_app.hmac_key = (pyrokey or "").encode("utf-8")
    pyro_app.gateway_key = (gatewaykey or "").encode("utf-8")
    pyro_app.ns_regex = options.expose
    pyro_app.comm_timeout = config.COMMTIMEOUT = options.timeout


def _report_nameserver():
    try:
        nameserver = get_nameserver(hmac=pyro_app.hmac_key)
    except errors.PyroError:
        print("Not yet connected to a name server.")
    else:
        print("Connected to name server at: ", nameserver._pyroUri)


def main(args=None):
    options, _ = _option_parser().parse_args(args)
    _configure_app(options)
    if pyro_app.ns_regex:
        print("Exposing objects with names matching: ", pyro_app.ns_regex)
    else:
        print("Warning: exposing all objects (no expose regex set)")
    _report_nameserver()
    server = make_server(options.host, options.port, pyro_app)
    try:
        print("Pyro HTTP gateway running on http://{0}:{1}/pyro/".format(*server.server_address[:2]))
        sys.stdout.flush()
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

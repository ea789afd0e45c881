"""End-to-end calls over SSL (1-way and 2-way), and a non-TLS client that must not block the server."""

import socket

import certs_util
import pytest
from server_helpers import SERVERTYPES, serving

import Pyro4
from Pyro4 import errors, socketutil
from Pyro4.configuration import config

pytestmark = pytest.mark.skipif(
    not certs_util.openssl_available(), reason="no openssl command to make test certificates"
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return certs_util.make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(autouse=True)
def fresh_ssl_contexts():
    socketutil._clear_ssl_contexts()
    yield
    socketutil._clear_ssl_contexts()


@Pyro4.expose
class Echo(object):
    def echo(self, x):
        return x

    def peer_cert_subject(self):
        cert = Pyro4.current_context.client.getpeercert()
        return dict(item[0] for item in cert["subject"]) if cert else None


def _configure(certs, two_way=False):
    config.SSL = True
    config.SSL_SERVERCERT = certs.server_cert
    config.SSL_SERVERKEY = certs.server_key
    config.SSL_CACERTS = certs.ca_cert
    if two_way:
        config.SSL_REQUIRECLIENTCERT = True
        config.SSL_CLIENTCERT = certs.client_cert
        config.SSL_CLIENTKEY = certs.client_key


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_one_way_ssl(certs, servertype):
    _configure(certs)
    config.SERVERTYPE = servertype
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="localhost")
    uri = daemon.register(Echo(), "echo")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            assert p.echo("secure") == "secure"
            assert p.peer_cert_subject() is None
            assert "SSL" in type(p._pyroConnection.sock).__name__


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_two_way_ssl(certs, servertype):
    _configure(certs, two_way=True)
    config.SERVERTYPE = servertype
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="localhost")
    uri = daemon.register(Echo(), "echo")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            assert p.peer_cert_subject()["commonName"] == certs_util.CLIENT_NAME


def test_silent_plain_client_does_not_block_thread_server(certs):
    _configure(certs)
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="localhost")
    uri = daemon.register(Echo(), "echo")
    with serving(daemon):
        # connects but never starts the TLS handshake
        with socket.create_connection(daemon.sock.getsockname()[:2], timeout=5):
            with Pyro4.Proxy(uri) as p:
                assert p.echo(1) == 1


def test_plain_proxy_to_ssl_daemon_fails_cleanly(certs):
    _configure(certs)
    config.POLLTIMEOUT = 0.2
    config.COMMTIMEOUT = 2.0
    daemon = Pyro4.Daemon(host="localhost")
    uri = daemon.register(Echo(), "echo")
    with serving(daemon):
        config.SSL = False
        with Pyro4.Proxy(uri) as p:
            with pytest.raises(errors.CommunicationError):
                p.echo(1)
        config.SSL = True
        with Pyro4.Proxy(uri) as p:
            assert p.echo(2) == 2

"""Proxy over SSL (config.SSL) against our daemon, with test certificates made at test time."""
import socket
import threading

import pytest

import Pyro4
from Pyro4 import errors, socketutil
from Pyro4.core import Proxy

import certs_util

WAIT = 10

pytestmark = pytest.mark.skipif(not certs_util.openssl_available(), reason="the openssl tool is not installed")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return certs_util.make_certificates(tmp_path_factory.mktemp("certs"))


class Echo(object):
    @Pyro4.expose
    def echo(self, value):
        return value

    @Pyro4.expose
    def peer_has_cert(self):
        return Pyro4.current_context.client.getpeercert() is not None


def configure_ssl(certificates, client_cert=False):
    Pyro4.config.SSL = True
    Pyro4.config.SSL_SERVERCERT = certificates.server_cert
    Pyro4.config.SSL_SERVERKEY = certificates.server_key
    Pyro4.config.SSL_CACERTS = certificates.ca_cert
    if client_cert:
        Pyro4.config.SSL_REQUIRECLIENTCERT = True
        Pyro4.config.SSL_CLIENTCERT = certificates.client_cert
        Pyro4.config.SSL_CLIENTKEY = certificates.client_key


@pytest.fixture
def fresh_ssl_contexts():
    socketutil._clear_ssl_contexts()
    yield
    socketutil._clear_ssl_contexts()


@pytest.mark.parametrize("two_way", [False, True])
def test_ssl_calls(certificates, fresh_ssl_contexts, two_way):
    configure_ssl(certificates, client_cert=two_way)
    Pyro4.config.POLLTIMEOUT = 0.1
    daemon = Pyro4.Daemon(host="localhost")
    uri = daemon.register(Echo(), "echo")
    loop = threading.Thread(target=daemon.requestLoop)
    loop.daemon = True
    loop.start()
    try:
        with Proxy(uri) as proxy:
            assert proxy.echo("secure") == "secure"
            assert proxy._pyroConnection.getpeercert() is not None
            assert proxy.peer_has_cert() is two_way
    finally:
        daemon.shutdown()
        loop.join(WAIT)
        daemon.close()


def test_connected_socket_must_be_ssl_when_configured():
    Pyro4.config.SSL = True
    left, right = socket.socketpair()
    try:
        with pytest.raises(socket.error) as excinfo:
            Proxy("name", connected_socket=left)
        assert str(excinfo.value) == "SSL configured for Pyro but existing socket is not a SSL socket"
    finally:
        left.close()
        right.close()


def test_ssl_client_against_plain_server(fresh_ssl_contexts, certificates):
    Pyro4.config.POLLTIMEOUT = 0.1
    daemon = Pyro4.Daemon(host="localhost")
    uri = daemon.register(Echo(), "echo")
    loop = threading.Thread(target=daemon.requestLoop)
    loop.daemon = True
    loop.start()
    try:
        configure_ssl(certificates)
        Pyro4.config.COMMTIMEOUT = 2.0
        proxy = Proxy(uri)
        with pytest.raises(errors.CommunicationError) as excinfo:
            proxy._pyroBind()
        assert str(excinfo.value).startswith("cannot connect to ")
        assert proxy._pyroConnection is None
    finally:
        Pyro4.config.SSL = False
        daemon.shutdown()
        loop.join(WAIT)
        daemon.close()

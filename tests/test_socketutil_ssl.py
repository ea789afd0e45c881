"""SSL in Pyro4.socketutil: getSSLcontext (server/client, cached) and SSL-wrapped sockets."""

import os
import shutil
import ssl
import subprocess
import threading

import certs_util
import pytest

import Pyro4
from Pyro4 import socketutil
from Pyro4.errors import ConnectionClosedError

pytestmark = pytest.mark.skipif(
    not certs_util.openssl_available(), reason="no openssl command to make test certificates"
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return certs_util.make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(autouse=True)
def fresh_ssl_contexts():
    """getSSLcontext caches per process; every test here starts (and ends) without cached contexts."""
    socketutil._clear_ssl_contexts()
    yield
    socketutil._clear_ssl_contexts()


class _SslServer:
    """A listening SSL socket whose accept (with the handshake) runs in a thread."""

    def __init__(self, context, bind=("127.0.0.1", 0)):
        self.sock = socketutil.createSocket(bind=bind, sslContext=context, timeout=10)
        self.conn = None
        self.error = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        try:
            sock, _ = self.sock.accept()
            self.conn = socketutil.SocketConnection(sock)
        except (OSError, ssl.SSLError) as exc:
            self.error = exc

    def accepted(self):
        self.thread.join(10)
        return self.conn

    def close(self):
        self.thread.join(10)
        if self.conn:
            self.conn.close()
        self.sock.close()


@pytest.fixture
def servers():
    made = []
    yield lambda *args, **kwargs: made.append(_SslServer(*args, **kwargs)) or made[-1]
    for server in made:
        server.close()


def _server_context(certs, **extra):
    return socketutil.getSSLcontext(
        servercert=certs.server_cert, serverkey=certs.server_key, cacerts=certs.ca_cert, **extra
    )


# ---- getSSLcontext ---------------------------------------------------------------------------


def test_server_context(certs):
    context = _server_context(certs)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_NONE


def test_server_context_requiring_client_cert(certs):
    Pyro4.config.SSL_REQUIRECLIENTCERT = True
    assert _server_context(certs).verify_mode == ssl.CERT_REQUIRED


def test_client_context(certs):
    context = socketutil.getSSLcontext(cacerts=certs.ca_cert)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_contexts_are_cached(certs):
    server = _server_context(certs)
    client = socketutil.getSSLcontext(clientcert=certs.client_cert, clientkey=certs.client_key)
    assert server is not client
    # later calls get the first context whatever their arguments
    assert socketutil.getSSLcontext(servercert=certs.client_cert, serverkey=certs.client_key) is server
    assert socketutil.getSSLcontext() is client
    assert socketutil.getSSLcontext(cacerts="/nonexistent") is client


def test_cached_server_context_follows_require_client_cert(certs):
    server = _server_context(certs)
    assert server.verify_mode == ssl.CERT_NONE
    Pyro4.config.SSL_REQUIRECLIENTCERT = True
    assert _server_context(certs) is server
    assert server.verify_mode == ssl.CERT_REQUIRED
    Pyro4.config.SSL_REQUIRECLIENTCERT = False
    assert _server_context(certs).verify_mode == ssl.CERT_NONE


def test_both_certs_refused(certs):
    with pytest.raises(ValueError) as excinfo:
        socketutil.getSSLcontext(servercert=certs.server_cert, clientcert=certs.client_cert)
    assert str(excinfo.value) == "can't have both server cert and client cert"


def test_missing_files(certs, tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(IOError) as excinfo:
        socketutil.getSSLcontext(servercert=missing)
    assert str(excinfo.value) == "server cert file not found"
    with pytest.raises(IOError) as excinfo:
        socketutil.getSSLcontext(servercert=certs.server_cert, serverkey=missing)
    assert str(excinfo.value) == "server key file not found"
    with pytest.raises(IOError) as excinfo:
        socketutil.getSSLcontext(clientcert=missing)
    assert str(excinfo.value) == "client cert file not found"


def test_key_password(certs):
    context = socketutil.getSSLcontext(
        servercert=certs.server_cert, serverkey=certs.server_key_encrypted, keypassword=certs.key_password
    )
    assert isinstance(context, ssl.SSLContext)
    socketutil._clear_ssl_contexts()
    with pytest.raises(ssl.SSLError):
        socketutil.getSSLcontext(
            servercert=certs.server_cert, serverkey=certs.server_key_encrypted, keypassword="wrong"
        )


def test_cacerts_directory(certs, tmp_path, servers):
    cadir = tmp_path / "cadir"
    cadir.mkdir()
    ca_hash = (
        subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", certs.ca_cert], stdout=subprocess.PIPE, check=True)
        .stdout.decode()
        .strip()
    )
    shutil.copy(certs.ca_cert, str(cadir / (ca_hash + ".0")))
    server = servers(_server_context(certs))
    client = socketutil.createSocket(
        connect=server.sock.getsockname(), sslContext=socketutil.getSSLcontext(cacerts=str(cadir)), timeout=10
    )
    try:
        assert client.getpeercert()["subject"] == ((("commonName", "localhost"),),)
    finally:
        client.close()


# ---- SSL sockets -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_ssl_exchange(certs, servers, host):
    server = servers(_server_context(certs))
    port = server.sock.getsockname()[1]
    client = socketutil.createSocket(
        connect=(host, port), sslContext=socketutil.getSSLcontext(cacerts=certs.ca_cert), timeout=10
    )
    conn = socketutil.SocketConnection(client)
    try:
        assert isinstance(client, ssl.SSLSocket)
        serverside = server.accepted()
        assert serverside is not None, server.error
        assert serverside.getpeercert() is None or serverside.getpeercert() == {}  # no client cert asked for
        assert conn.getpeercert()["subject"] == ((("commonName", "localhost"),),)
        data = os.urandom(999999)
        sender = threading.Thread(target=conn.send, args=(data,))
        sender.start()
        try:
            assert serverside.recv(999999) == data
        finally:
            sender.join(10)
        serverside.send(b"reply")
        assert conn.recv(5) == b"reply"
    finally:
        conn.close()


def test_ssl_hostname_checked(certs, servers):
    server = servers(_server_context(certs))
    port = server.sock.getsockname()[1]
    client_context = ssl.create_default_context(cafile=certs.ca_cert)
    with pytest.raises(ssl.SSLCertVerificationError):
        # a wrong name for the server certificate (it is made for localhost/127.0.0.1/::1)
        socketutil.createSocket(connect=("127.0.0.1", port), sslContext=_renamed(client_context), timeout=10)


def _renamed(context):
    class WrongName:
        def wrap_socket(self, sock, server_hostname=None, **kwargs):
            return context.wrap_socket(sock, server_hostname="elsewhere.example", **kwargs)

    return WrongName()


def test_ssl_twins_receive(certs, servers, socketutil_twin):
    server = servers(_server_context(certs))
    client = socketutil.createSocket(
        connect=server.sock.getsockname(), sslContext=socketutil.getSSLcontext(cacerts=certs.ca_cert), timeout=10
    )
    try:
        serverside = server.accepted()
        data = b"0123456789" * 70000
        sender = threading.Thread(target=socketutil_twin.send_parts, args=(serverside.sock, b"H" * 24, data))
        sender.start()
        try:
            assert socketutil_twin.receive_data(client, 24 + len(data), True) == b"H" * 24 + data
        finally:
            sender.join(10)
        serverside.close()
        with pytest.raises(ConnectionClosedError, match="^receiving: not enough data$"):
            socketutil_twin.receive_data(client, 10, True)
    finally:
        client.close()


def test_two_way_ssl(certs, servers):
    Pyro4.config.SSL_REQUIRECLIENTCERT = True
    server = servers(_server_context(certs))
    client_context = socketutil.getSSLcontext(
        clientcert=certs.client_cert, clientkey=certs.client_key, cacerts=certs.ca_cert
    )
    client = socketutil.createSocket(connect=server.sock.getsockname(), sslContext=client_context, timeout=10)
    try:
        serverside = server.accepted()
        assert serverside is not None, server.error
        subject = dict(part[0] for part in serverside.getpeercert()["subject"])
        assert subject["commonName"] == certs_util.CLIENT_NAME
    finally:
        client.close()


def test_two_way_ssl_without_client_cert(certs, servers):
    Pyro4.config.SSL_REQUIRECLIENTCERT = True
    server = servers(_server_context(certs))
    client_context = socketutil.getSSLcontext(cacerts=certs.ca_cert)
    try:
        client = socketutil.createSocket(connect=server.sock.getsockname(), sslContext=client_context, timeout=10)
    except (ssl.SSLError, OSError):
        client = None  # TLS 1.2 fails the handshake right away
    try:
        assert server.accepted() is None
        assert isinstance(server.error, (ssl.SSLError, OSError))
        if client is not None:  # TLS 1.3: the client learns of the refusal on its first read
            with pytest.raises(ConnectionClosedError):
                socketutil.receiveData(client, 1)
    finally:
        if client is not None:
            client.close()


def test_ssl_wrap_without_bind_or_connect(certs):
    context = ssl.create_default_context()
    context.check_hostname = False  # no host name is known without a connect address
    sock = socketutil.createSocket(sslContext=context)
    try:
        assert isinstance(sock, ssl.SSLSocket)
        assert not sock.server_side
    finally:
        sock.close()


def test_ssl_server_socket_is_server_side(certs):
    sock = socketutil.createSocket(bind=("127.0.0.1", 0), sslContext=_server_context(certs))
    try:
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.server_side
    finally:
        sock.close()


def test_ssl_verifies_the_given_host_name(certs, servers):
    # IPv6 'localhost' connects to ::1, but the certificate check must still be for "localhost"
    server = servers(_server_context(certs), bind=("::1", 0))
    real_context = socketutil.getSSLcontext(cacerts=certs.ca_cert)
    hostnames = []

    class RecordingContext:
        def wrap_socket(self, sock, server_hostname=None, **kwargs):
            hostnames.append(server_hostname)
            return real_context.wrap_socket(sock, server_hostname=server_hostname, **kwargs)

    port = server.sock.getsockname()[1]
    client = socketutil.createSocket(connect=("localhost", port), ipv6=True, sslContext=RecordingContext(), timeout=10)
    try:
        assert hostnames == ["localhost"]
        assert client.getpeername()[0] == "::1"
    finally:
        client.close()

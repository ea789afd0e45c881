"""Test certificates made at test time with the `openssl` command line tool.

`make_certificates(directory)` writes a private test CA, a server certificate for localhost /
127.0.0.1 / ::1 and a client certificate (for 2-way SSL), all signed by that CA, plus a
password-protected copy of the server key. Keys are EC P-256 (fast to generate). The
certificates carry the extensions that strict verification (Python 3.13's VERIFY_X509_STRICT)
insists on. Typical use, once per session:

    @pytest.fixture(scope="session")
    def certificates(tmp_path_factory):
        return certs_util.make_certificates(tmp_path_factory.mktemp("certs"))
"""

import collections
import os
import secrets
import shutil
import subprocess

KEY_PASSWORD = "pyro-test-password"
SERVER_NAME = "localhost"
CLIENT_NAME = "Pyro4 test client"

Certificates = collections.namedtuple(
    "Certificates",
    "directory ca_cert ca_key server_cert server_key server_key_encrypted client_cert client_key key_password",
)

_CA_EXTENSIONS = """\
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_LEAF_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = {usage}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
"""


def openssl_available():
    return shutil.which("openssl") is not None


def _openssl(*args, cwd):
    result = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise RuntimeError("openssl {} failed: {}".format(args[0], result.stderr.decode(errors="replace")))


def _write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as file:
        file.write(text)
    return path


def _new_key(directory, name):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name, cwd=directory)
    return os.path.join(directory, name)


def _make_ca(directory):
    key = _new_key(directory, "ca.key")
    ext = _write(directory, "ca.ext", _CA_EXTENSIONS)
    _openssl("req", "-new", "-key", "ca.key", "-subj", "/CN=Pyro4 test CA", "-out", "ca.csr", cwd=directory)
    _openssl(
        "x509",
        "-req",
        "-in",
        "ca.csr",
        "-signkey",
        "ca.key",
        "-days",
        "3",
        "-sha256",
        "-extfile",
        ext,
        "-out",
        "ca.pem",
        cwd=directory,
    )
    return os.path.join(directory, "ca.pem"), key


def _make_leaf(directory, stem, common_name, usage):
    key = _new_key(directory, stem + ".key")
    ext = _write(directory, stem + ".ext", _LEAF_EXTENSIONS.format(usage=usage))
    _openssl("req", "-new", "-key", stem + ".key", "-subj", "/CN=" + common_name, "-out", stem + ".csr", cwd=directory)
    _openssl(
        "x509",
        "-req",
        "-in",
        stem + ".csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        str(secrets.randbits(62)),
        "-days",
        "3",
        "-sha256",
        "-extfile",
        ext,
        "-out",
        stem + ".pem",
        cwd=directory,
    )
    return os.path.join(directory, stem + ".pem"), key


def make_certificates(directory):
    """Write the test CA, server and client certificates into `directory`; return their paths."""
    directory = str(directory)
    ca_cert, ca_key = _make_ca(directory)
    server_cert, server_key = _make_leaf(directory, "server", SERVER_NAME, "serverAuth")
    client_cert, client_key = _make_leaf(directory, "client", CLIENT_NAME, "clientAuth")
    _openssl(
        "pkey",
        "-in",
        "server.key",
        "-aes256",
        "-passout",
        "pass:" + KEY_PASSWORD,
        "-out",
        "server_encrypted.key",
        cwd=directory,
    )
    return Certificates(
        directory,
        ca_cert,
        ca_key,
        server_cert,
        server_key,
        os.path.join(directory, "server_encrypted.key"),
        client_cert,
        client_key,
        KEY_PASSWORD,
    )

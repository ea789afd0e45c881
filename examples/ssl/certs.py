"""Makes a throw-away certificate authority plus a server and a client certificate signed by it.

For trying out SSL only: the keys are not protected and the certificates expire after two days.
Needs the ``openssl`` command line tool. Use as a script (``python certs.py DIRECTORY``) or call
``make_certificates(directory)``, which returns the paths of the files it wrote.
"""

import os
import secrets
import subprocess
import sys

EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
DAYS = "2"
# the fields strict certificate checking (Python 3.13 and later) wants to see
CA_FIELDS = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"]
LEAF_FIELDS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = {purpose}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
"""
FILES = {
    "ca": "ca.pem",
    "server_cert": "server.pem",
    "server_key": "server.key",
    "client_cert": "client.pem",
    "client_key": "client.key",
}


def _openssl(directory, args):
    done = subprocess.run(["openssl"] + args, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if done.returncode:
        raise RuntimeError("openssl %s failed:\n%s" % (args[0], done.stdout.decode(errors="replace")))


def _make_authority(directory):
    self_signed = "req -x509 -keyout ca.key -out ca.pem -days {0}".format(DAYS).split()
    fields = [arg for field in CA_FIELDS for arg in ("-addext", field)]
    _openssl(directory, self_signed + EC_KEY + ["-subj", "/CN=Pyro4 example CA"] + fields)


def _make_signed(directory, stem, common_name, purpose):
    with open(os.path.join(directory, stem + ".ext"), "w") as fields:
        fields.write(LEAF_FIELDS.format(purpose=purpose))
    request = "req -new -keyout {0}.key -out {0}.csr".format(stem).split()
    _openssl(directory, request + EC_KEY + ["-subj", "/CN=" + common_name])
    sign = "x509 -req -in {0}.csr -CA ca.pem -CAkey ca.key -days {1} -sha256 -extfile {0}.ext -out {0}.pem"
    _openssl(directory, sign.format(stem, DAYS).split() + ["-set_serial", str(secrets.randbits(63))])


def common_name(peer_certificate):
    """The CN in the subject of a certificate as ssl's getpeercert() returns it."""
    subject = dict(field for part in peer_certificate["subject"] for field in part)
    return subject["commonName"]


def certificate_paths(directory):
    """The files make_certificates() writes, by role."""
    return {role: os.path.join(directory, name) for role, name in FILES.items()}


def make_certificates(directory, client_name="example client"):
    """Write the CA, server and client certificates and keys into `directory`; return their paths by role."""
    _make_authority(directory)
    _make_signed(directory, "server", "localhost", "serverAuth")
    _make_signed(directory, "client", client_name, "clientAuth")
    return certificate_paths(directory)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python certs.py DIRECTORY")
    os.makedirs(sys.argv[1], exist_ok=True)
    for role, path in sorted(make_certificates(sys.argv[1]).items()):
        print("%-12s %s" % (role, path))

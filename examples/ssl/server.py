"""A vault served over 2-way SSL: the server proves who it is, and so must every client."""

import argparse
import shutil
import signal
import tempfile

import certs

import Pyro4


class CertificateCheckingDaemon(Pyro4.Daemon):
    def validateHandshake(self, conn, data):
        # the SSL layer has already checked that the certificate is signed by our CA
        conn.client_name = certs.common_name(conn.getpeercert())
        print("client connected with a certificate for %r" % conn.client_name, flush=True)
        return super(CertificateCheckingDaemon, self).validateHandshake(conn, data)


@Pyro4.expose
class Vault(object):
    def whoami(self):
        return Pyro4.current_context.client.client_name

    def connection_details(self):
        sock = Pyro4.current_context.client.sock
        return sock.version(), sock.cipher()[0]

    def secret(self):
        return "the cake is in the fridge"


def configure_ssl(paths):
    Pyro4.config.SSL = True
    Pyro4.config.SSL_SERVERCERT = paths["server_cert"]
    Pyro4.config.SSL_SERVERKEY = paths["server_key"]
    Pyro4.config.SSL_REQUIRECLIENTCERT = True  # 2-way SSL
    Pyro4.config.SSL_CACERTS = paths["ca"]  # client certificates must be signed by this CA


def serve(directory):
    configure_ssl(certs.certificate_paths(directory))
    with CertificateCheckingDaemon() as daemon:
        uri = daemon.register(Vault, "example.ssl.vault")
        print("ssl server ready, certificates in %s, uri: %s" % (directory, uri), flush=True)
        daemon.requestLoop()


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # ends the request loop, so the temporary certificates get removed


def main():
    parser = argparse.ArgumentParser(description="2-way SSL server")
    parser.add_argument("--certs", help="directory made by certs.py (default: make throw-away ones)")
    options = parser.parse_args()
    if options.certs:
        serve(options.certs)
        return
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    directory = tempfile.mkdtemp(prefix="pyro-ssl-example-")
    try:
        certs.make_certificates(directory)
        serve(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        print("temporary certificates removed")


if __name__ == "__main__":
    main()

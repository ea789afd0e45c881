"""Opens the vault over 2-way SSL, with a client certificate signed by the same CA as the server's."""

import argparse

import certs

import Pyro4
import Pyro4.errors


def configure_ssl(paths, with_certificate):
    Pyro4.config.SSL = True
    Pyro4.config.SSL_CACERTS = paths["ca"]  # trust servers whose certificate this CA signed
    if with_certificate:
        Pyro4.config.SSL_CLIENTCERT = paths["client_cert"]
        Pyro4.config.SSL_CLIENTKEY = paths["client_key"]


def open_vault(uri):
    with Pyro4.Proxy(uri) as vault:
        vault._pyroBind()
        print("the server's certificate is for %r" % certs.common_name(vault._pyroConnection.getpeercert()))
        print("the server knows me as %r" % vault.whoami())
        print("protocol and cipher: %s, %s" % tuple(vault.connection_details()))
        print("secret:", vault.secret())


def try_without_certificate(uri):
    try:
        with Pyro4.Proxy(uri) as vault:
            vault.secret()
    except Pyro4.errors.CommunicationError as exc:
        print("without a client certificate the server hung up: %s: %s" % (type(exc).__name__, exc))
    else:
        print("the server let me in without a certificate?!")


def main():
    parser = argparse.ArgumentParser(description="2-way SSL client")
    parser.add_argument("uri", nargs="?", help="uri of the vault (asked for when left out)")
    parser.add_argument("certs", nargs="?", help="the certificate directory the server printed")
    parser.add_argument("--without-certificate", action="store_true", help="try without a client certificate")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the vault: ").strip()
    directory = options.certs or input("certificate directory: ").strip()
    # SSL settings are read once per process (the SSL context is cached), hence the option
    configure_ssl(certs.certificate_paths(directory), not options.without_certificate)
    if options.without_certificate:
        try_without_certificate(uri)
    else:
        open_vault(uri)


if __name__ == "__main__":
    main()

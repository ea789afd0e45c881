"""The ``pyro4-flameserver`` command: a daemon that serves nothing but a Flame object (CLI.md §5)."""

import sys
from optparse import OptionParser

from Pyro4 import core
from Pyro4.configuration import config
from Pyro4.utils import _hmac_key_from_cli, flame


def _option_parser():
    parser = OptionParser()
    parser.add_option("-H", "--host", default="localhost", help="hostname to bind server on (default=%default)")
    parser.add_option("-p", "--port", type="int", default=0, help="port to bind server on")
    parser.add_option("-u", "--unixsocket", help="Unix domain socket name to bind server on")
    parser.add_option("-q", "--quiet", action="store_true", default=False, help="don't output anything")
    parser.add_option("-k", "--key", help="the HMAC key to use (deprecated)")
    return parser


def _start_flame(daemon):
    try:
        return flame.start(daemon)
    except BaseException:
        daemon.close()  # don't leave the listening socket behind when Flame refuses to start
        raise


def main(args=None, returnWithoutLooping=False):
    options, _ = _option_parser().parse_args(args)
    hmac = _hmac_key_from_cli(options.key)
    if not options.quiet:
        print("Starting Pyro Flame server.")
    if hmac is None and not options.quiet:
        print("Warning: HMAC key not set. Anyone can connect to this server!")
    sys.stdout.flush()
    config.SERIALIZERS_ACCEPTED = {"pickle"}
    daemon = core.Daemon(host=options.host, port=options.port, unixsocket=options.unixsocket)
    if hmac:
        daemon._pyroHmacKey = hmac
    uri = _start_flame(daemon)
    if not options.quiet:
        print("server uri: %s" % uri)
        print("server is running.")
        sys.stdout.flush()
    if returnWithoutLooping:
        return daemon, uri
    daemon.requestLoop()
    daemon.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

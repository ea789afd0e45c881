"""The ``pyro4-nsc`` command: inspect and change the registrations of a running name server."""

import sys
from optparse import OptionParser

from Pyro4 import errors, naming

_USAGE = (
    "%prog [options] command [arguments]\n"
    "Commands: register remove removematching lookup list listmatching\n"
    "          listmeta_all listmeta_any setmeta ping"
)

_COMMANDS = (
    "register",
    "remove",
    "removematching",
    "lookup",
    "list",
    "listmatching",
    "listmeta_all",
    "listmeta_any",
    "setmeta",
    "ping",
)


def _print_list(entries, title=""):
    # title "" still leaves the space after LIST: 4.82 prints exactly that and tests compare it
    print("--------START LIST %s" % title)
    for name, (uri, metadata) in sorted(entries.items()):
        print("%s --> %s" % (name, uri))
        if metadata:
            print("    metadata:", metadata)
    print("--------END LIST %s" % title)


def _require(args, count, message):
    if len(args) != count:
        raise SystemExit(message)


def _cmd_ping(nameserver, args):
    nameserver.ping()
    print("Name server ping ok.")


def _cmd_list(nameserver, args):
    if len(args) == 1:
        _print_list(nameserver.list(return_metadata=True))
    else:
        _print_list(nameserver.list(prefix=args[1], return_metadata=True), "- prefix '%s'" % args[1])


def _cmd_listmatching(nameserver, args):
    _require(args, 2, "requires one argument: pattern")
    _print_list(nameserver.list(regex=args[1], return_metadata=True), "- regex '%s'" % args[1])


def _meta_tags(args):
    if len(args) < 2:
        raise SystemExit("requires at least one metadata tag argument")
    return set(args[1:])


def _cmd_listmeta_all(nameserver, args):
    entries = nameserver.list(metadata_all=_meta_tags(args), return_metadata=True)
    _print_list(entries, " - searched by metadata")


def _cmd_listmeta_any(nameserver, args):
    entries = nameserver.list(metadata_any=_meta_tags(args), return_metadata=True)
    _print_list(entries, " - searched by metadata")


def _cmd_lookup(nameserver, args):
    _require(args, 2, "requires one argument: name")
    uri, metadata = nameserver.lookup(args[1], return_metadata=True)
    print(uri)
    if metadata:
        print("metadata:", metadata)


def _cmd_register(nameserver, args):
    _require(args, 3, "requires two arguments: name uri")
    nameserver.register(args[1], args[2], safe=True)
    print("Registered %s" % args[1])


def _cmd_remove(nameserver, args):
    _require(args, 2, "requires one argument: name")
    if nameserver.remove(args[1]) > 0:
        print("Removed %s" % args[1])
    else:
        print("Nothing removed")


def _cmd_removematching(nameserver, args):
    _require(args, 2, "requires one argument: pattern")
    answer = input("Potentially removing lots of items from the Name server. Are you sure (y/n)?").strip()
    if answer in ("y", "Y"):
        removed = nameserver.remove(regex=args[1])
        print("%d items removed." % removed)


def _cmd_setmeta(nameserver, args):
    if len(args) < 2:
        raise SystemExit("requires at least 2 arguments: uri and zero or more meta tags")
    metadata = set(args[2:])
    nameserver.set_metadata(args[1], metadata)
    print("Metadata updated" if metadata else "Metadata cleared")


_HANDLERS = {name: globals()["_cmd_" + name] for name in _COMMANDS}


def handleCommand(nameserver, options, args):
    """Run the command args[0] against anything with the NameServer API (a proxy or a local object).

    Errors are reported as a printed line, not raised: the command line tool keeps exit code 0.
    """
    try:
        _HANDLERS[args[0]](nameserver, args)
    except Exception as x:
        print("Error: %s - %s" % (type(x).__name__, x))


def _option_parser():
    parser = OptionParser(usage=_USAGE)
    parser.add_option("-n", "--host", dest="host", help="hostname of the NS")
    parser.add_option(
        "-p", "--port", dest="port", type="int", help="port of the NS (or bc-port if host isn't specified)"
    )
    parser.add_option("-u", "--unixsocket", help="Unix domain socket name of the NS")
    parser.add_option("-k", "--key", help="the HMAC key to use (deprecated)")
    parser.add_option("-v", "--verbose", action="store_true", dest="verbose", help="verbose output")
    return parser


def main(args=None):
    """The pyro4-nsc command."""
    parser = _option_parser()
    options, args = parser.parse_args(args)
    key = naming._hmac_key_from_options(options.key)
    if not args or args[0] not in _COMMANDS:
        parser.error("invalid or missing command")
    if options.verbose:
        print("Locating name server...")
    if options.unixsocket:
        options.host = "./u:" + options.unixsocket
    try:
        nameserver = naming.locateNS(options.host, options.port, hmac_key=key)
    except errors.PyroError as x:
        print("Error: %s" % x)
        return
    with nameserver:
        if options.verbose:
            print("Name server found: %s" % nameserver._pyroUri)
        handleCommand(nameserver, options, args)
    if options.verbose:
        print("Done.")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

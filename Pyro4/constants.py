"""Fixed names and numbers of Pyro4 4.82.

These are plain module attributes on purpose: tests (and some users) reassign them at run time,
for instance ``PROTOCOL_VERSION``, and the message code looks them up here at each use.
"""

VERSION = "4.82"

# object id of every daemon's own DaemonObject
DAEMON_NAME = "Pyro.Daemon"
NAMESERVER_NAME = "Pyro.NameServer"
FLAME_NAME = "Pyro.Flame"

# wire protocol version carried in every message header
PROTOCOL_VERSION = 48

"""Transport servers used by the Pyro daemon: a thread pool server, a multiplexing (select) server
and a server for one user-supplied connected socket. See ``Pyro4.core.Daemon``."""

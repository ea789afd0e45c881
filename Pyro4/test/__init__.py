"""Test helpers that ship with Pyro4 (the built-in echo server)."""

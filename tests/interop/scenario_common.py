"""What both halves of the interop scenarios share: a custom class and a way to describe values."""

import Pyro4
from Pyro4.util import SerializerBase


class Thing(object):
    """A plain class that travels through the class-to-dict hooks registered below."""

    def __init__(self, name):
        self.name = name


def thing_to_dict(thing):
    return {"__class__": "interop.Thing", "name": thing.name}


def dict_to_thing(classname, data):
    return Thing(data["name"])


SerializerBase.register_class_to_dict(Thing, thing_to_dict)
SerializerBase.register_dict_to_class("interop.Thing", dict_to_thing)


def describe(value):
    """Type and repr of a value as it arrived (sets sorted: their repr order is not stable; URIs and
    proxies by their URI: their repr holds a memory address)."""
    if isinstance(value, (Pyro4.URI, Pyro4.Proxy)):
        return [type(value).__name__, str(value) if isinstance(value, Pyro4.URI) else str(value._pyroUri)]
    if isinstance(value, (set, frozenset)):
        return [type(value).__name__, repr(sorted(value, key=repr))]
    if isinstance(value, Thing):
        return ["Thing", value.name]
    return [type(value).__name__, repr(value)]

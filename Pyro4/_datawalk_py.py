"""Pure-Python twin of the walks over decoded values and marshal payloads (compiled twin: ``Pyro4._datawalk``).

Both twins have the same functions and signatures, return equal values and raise the same errors.
``Pyro4.util``'s serializers call them on every request and reply, which is why they come as twins.
"""
import re

# decoded values that can't hold a "__class__" dict, so recreate_classes leaves them as they are
_PLAIN_VALUE_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes})

# A tuple or list header ("(" or "[", with or without marshal's FLAG_REF bit) whose little-endian int32
# item count is 65536 or more.
_LARGE_SEQUENCE_HEADER = re.compile(rb"[\x28\xa8\x5b\xdb](?=[\x00-\xff]{2}(?:[\x00-\xff][\x01-\x7f]|[\x01-\xff]\x00))",
                                    re.DOTALL)


def recreate_classes(literal, dict_to_class):
    """``literal`` with every dict that has a "__class__" key replaced by ``dict_to_class(that dict)``.

    Lists, dicts and sets come back as new containers, tuples as new tuples where an item changed;
    dict keys are left as they are. A converted dict's values are not walked first.
    """
    kind = type(literal)
    # Most containers hold only plain values: a loop that finds that out and a copy cost much
    # less than a comprehension (a function object and a frame per container before Python 3.12);
    # in a container that needs one, plain items are still not passed through a call each.
    if kind is list:
        for value in literal:
            if type(value) not in _PLAIN_VALUE_TYPES:
                return [value if type(value) in _PLAIN_VALUE_TYPES else recreate_classes(value, dict_to_class)
                        for value in literal]
        return literal[:]
    if kind is dict:
        if "__class__" in literal:
            return dict_to_class(literal)
        for value in literal.values():
            if type(value) not in _PLAIN_VALUE_TYPES:
                return {key: value if type(value) in _PLAIN_VALUE_TYPES else recreate_classes(value, dict_to_class)
                        for key, value in literal.items()}
        return literal.copy()
    if kind is tuple:
        for value in literal:
            if type(value) not in _PLAIN_VALUE_TYPES:
                return tuple([value if type(value) in _PLAIN_VALUE_TYPES else recreate_classes(value, dict_to_class)
                              for value in literal])
        return literal
    if kind is set:
        for value in literal:
            if type(value) not in _PLAIN_VALUE_TYPES:
                return {value if type(value) in _PLAIN_VALUE_TYPES else recreate_classes(value, dict_to_class)
                        for value in literal}
        return literal.copy()
    return literal


def has_large_sequence_header(data):
    """True if the marshal payload (bytes-like) has a byte that could start a tuple or list header
    claiming 65536 items or more: only then is the full size walk worth doing."""
    return _LARGE_SEQUENCE_HEADER.search(data) is not None

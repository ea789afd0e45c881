"""Optional utilities on top of Pyro4: Flame (remote module access) and the HTTP gateway.

Nothing here is imported by ``import Pyro4``; import the submodules you need.
The one private helper below is shared by the command-line tools in this package and in
``Pyro4.test`` so the rules for keys given on the command line live in one place.
"""

import os
import warnings


def _key_from_cli_or_env(option_value, option_flag, env_name):
    """Return the key to use: the command-line value or, if set, the environment variable.

    Keys on the command line leak into process listings, so the environment is the preferred
    source; giving both is ambiguous and ends the program like 4.82 does (message, exit code 1).
    """
    if env_name not in os.environ:
        return option_value
    if option_value:
        raise SystemExit("error: don't use {0} and {1} at the same time".format(option_flag, env_name))
    return os.environ[env_name]


_HMAC_KEY_OPTION_WARNING = (
    "using -k to supply HMAC key on the command line is a security problem "
    "and is deprecated since Pyro 4.72. See the documentation for an alternative."
)


def _hmac_key_from_cli(option_value):
    """The HMAC key (UTF-8 bytes, or None when there is none) for a server tool's ``-k`` option."""
    if option_value:
        warnings.warn(_HMAC_KEY_OPTION_WARNING, stacklevel=3)
    key = _key_from_cli_or_env(option_value, "-k", "PYRO_HMAC_KEY")
    return key.encode("utf-8") if key else None

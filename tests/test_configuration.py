"""Pyro4.configuration: items, defaults, environment parsing, dump and pyro4-check-config."""
import os
import pickle
import platform
import socket
import subprocess
import sys

import dill
import pytest

import Pyro4
import Pyro4.configuration as configuration
from Pyro4.configuration import Configuration

ITEMS = (
    "HOST NS_HOST NS_PORT NS_BCPORT NS_BCHOST NS_AUTOCLEAN COMPRESSION SERVERTYPE COMMTIMEOUT POLLTIMEOUT "
    "ONEWAY_THREADED DETAILED_TRACEBACK SOCK_REUSE SOCK_NODELAY PREFER_IP_VERSION THREADPOOL_SIZE "
    "THREADPOOL_SIZE_MIN AUTOPROXY PICKLE_PROTOCOL_VERSION BROADCAST_ADDRS NATHOST NATPORT MAX_MESSAGE_SIZE "
    "FLAME_ENABLED SERIALIZER SERIALIZERS_ACCEPTED LOGWIRE METADATA REQUIRE_EXPOSE USE_MSG_WAITALL JSON_MODULE "
    "MAX_RETRIES DILL_PROTOCOL_VERSION ITER_STREAMING ITER_STREAM_LIFETIME ITER_STREAM_LINGER SSL "
    "SSL_REQUIRECLIENTCERT SSL_CACERTS SSL_SERVERCERT SSL_SERVERKEY SSL_SERVERKEYPASSWD SSL_CLIENTCERT "
    "SSL_CLIENTKEY SSL_CLIENTKEYPASSWD"
).split()

DEFAULTS = {
    "HOST": "localhost", "NS_HOST": "localhost", "NS_PORT": 9090, "NS_BCPORT": 9091, "NS_BCHOST": None,
    "NS_AUTOCLEAN": 0.0, "NATHOST": None, "NATPORT": 0, "COMPRESSION": False, "SERVERTYPE": "thread",
    "COMMTIMEOUT": 0.0, "POLLTIMEOUT": 2.0, "SOCK_REUSE": True, "SOCK_NODELAY": False, "ONEWAY_THREADED": True,
    "DETAILED_TRACEBACK": False, "THREADPOOL_SIZE": 40, "THREADPOOL_SIZE_MIN": 4, "AUTOPROXY": True,
    "MAX_MESSAGE_SIZE": 0, "BROADCAST_ADDRS": "<broadcast>, 0.0.0.0", "FLAME_ENABLED": False,
    "PREFER_IP_VERSION": 4, "SERIALIZER": "serpent", "SERIALIZERS_ACCEPTED": {"serpent", "marshal", "json"},
    "LOGWIRE": False, "PICKLE_PROTOCOL_VERSION": pickle.HIGHEST_PROTOCOL,
    "DILL_PROTOCOL_VERSION": dill.HIGHEST_PROTOCOL, "METADATA": True, "REQUIRE_EXPOSE": True,
    "USE_MSG_WAITALL": hasattr(socket, "MSG_WAITALL") and platform.system() != "Windows",
    "JSON_MODULE": "json", "MAX_RETRIES": 0, "ITER_STREAMING": True, "ITER_STREAM_LIFETIME": 0.0,
    "ITER_STREAM_LINGER": 30.0, "SSL": False, "SSL_REQUIRECLIENTCERT": False, "SSL_CACERTS": "",
    "SSL_SERVERCERT": "", "SSL_SERVERKEY": "", "SSL_SERVERKEYPASSWD": "", "SSL_CLIENTCERT": "",
    "SSL_CLIENTKEY": "", "SSL_CLIENTKEYPASSWD": "",
}


@pytest.fixture
def clean_env(monkeypatch):
    """No PYRO_* variables from the caller's environment leak into a test."""
    for name in list(os.environ):
        if name.startswith("PYRO_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _clean_subprocess_env(**extra):
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYRO_")}
    env.update(extra)
    return env


class TestObject:
    def test_singleton(self):
        assert Pyro4.config is configuration.config
        assert isinstance(Pyro4.config, Configuration)

    def test_slots_are_exactly_the_items(self):
        assert len(ITEMS) == 45
        assert Configuration.__slots__ == tuple(ITEMS)
        assert not hasattr(Pyro4.config, "__dict__")

    def test_unknown_item_rejected(self):
        with pytest.raises(AttributeError):
            Pyro4.config.XYZ_FOOBAR = True
        with pytest.raises(AttributeError):
            Pyro4.config.ns_port = 1  # names are case sensitive

    def test_items_are_writable(self):
        Pyro4.config.COMMTIMEOUT = None
        Pyro4.config.NS_PORT = 1234
        assert Pyro4.config.COMMTIMEOUT is None
        assert Pyro4.config.NS_PORT == 1234

    def test_no_all(self):
        assert not hasattr(configuration, "__all__")


class TestDefaults:
    def test_all_defaults(self, clean_env):
        assert Configuration().asDict() == DEFAULTS

    def test_security_defaults(self):
        config = Pyro4.config
        assert config.REQUIRE_EXPOSE is True
        assert config.HOST == "localhost"
        assert config.NS_HOST == "localhost"
        assert config.FLAME_ENABLED is False
        assert config.SERIALIZER == "serpent"
        assert config.SERIALIZERS_ACCEPTED == {"json", "serpent", "marshal"}
        assert config.NS_PORT == 9090
        assert config.COMPRESSION is False
        assert config.PICKLE_PROTOCOL_VERSION == pickle.HIGHEST_PROTOCOL
        assert config.DILL_PROTOCOL_VERSION == dill.HIGHEST_PROTOCOL

    def test_msg_waitall_default(self):
        expected = hasattr(socket, "MSG_WAITALL") and platform.system() != "Windows"
        assert Pyro4.config.USE_MSG_WAITALL is expected

    def test_dill_protocol_without_dill(self, tmp_path):
        # a None entry in sys.modules makes "import dill" fail, as if dill were not installed
        code = "import sys; sys.modules['dill'] = None; import Pyro4; print(Pyro4.config.DILL_PROTOCOL_VERSION)"
        out = subprocess.run([sys.executable, "-c", code], env=_clean_subprocess_env(), cwd=str(tmp_path),
                             check=True, stdout=subprocess.PIPE, universal_newlines=True, timeout=60).stdout
        assert out.split() == ["-1"]

    def test_types(self):
        config = Pyro4.config
        assert type(config.SERIALIZERS_ACCEPTED) is set
        for name in ("NS_AUTOCLEAN", "COMMTIMEOUT", "POLLTIMEOUT", "ITER_STREAM_LIFETIME", "ITER_STREAM_LINGER"):
            assert type(getattr(config, name)) is float, name

    def test_reset_restores_defaults(self):
        Pyro4.config.SERIALIZER = "pickle"
        Pyro4.config.SERIALIZERS_ACCEPTED.add("pickle")
        Pyro4.config.COMMTIMEOUT = None
        Pyro4.config.reset(False)
        assert Pyro4.config.asDict() == DEFAULTS

    def test_reset_gives_fresh_set(self):
        # a set shared between resets would carry a test's additions into the next one
        first = Pyro4.config.SERIALIZERS_ACCEPTED
        Pyro4.config.reset(False)
        assert Pyro4.config.SERIALIZERS_ACCEPTED is not first


class TestAsDict:
    def test_content(self):
        data = Pyro4.config.asDict()
        assert type(data) is dict
        assert sorted(data) == sorted(ITEMS)
        assert data["NS_PORT"] == 9090

    def test_is_a_new_dict(self):
        data = Pyro4.config.asDict()
        data["NS_PORT"] = 1
        assert Pyro4.config.NS_PORT == 9090
        assert Pyro4.config.asDict() is not Pyro4.config.asDict()

    def test_reflects_changes(self):
        Pyro4.config.MAX_MESSAGE_SIZE = 1000
        assert Pyro4.config.asDict()["MAX_MESSAGE_SIZE"] == 1000


class TestEnvironment:
    def test_bool_words(self, clean_env):
        for word, expected in (("yes", True), ("on", True), ("1", True), ("TRUE", True), ("true", True),
                               ("no", False), ("off", False), ("0", False), ("False", False)):
            clean_env.setenv("PYRO_COMPRESSION", word)
            assert Configuration().COMPRESSION is expected, word

    def test_bool_yes_off_via_reset(self, clean_env):
        clean_env.setenv("PYRO_COMPRESSION", "yes")
        clean_env.setenv("PYRO_DETAILED_TRACEBACK", "off")
        Pyro4.config.reset()
        assert Pyro4.config.COMPRESSION is True
        assert Pyro4.config.DETAILED_TRACEBACK is False

    def test_invalid_bool(self, clean_env):
        clean_env.setenv("PYRO_COMPRESSION", "FooBar")
        with pytest.raises(ValueError) as excinfo:
            Pyro4.config.reset()
        assert str(excinfo.value) == "invalid boolean value: PYRO_COMPRESSION=foobar"

    def test_empty_bool_is_invalid(self, clean_env):
        clean_env.setenv("PYRO_SSL", "")
        with pytest.raises(ValueError, match="invalid boolean value: PYRO_SSL="):
            Configuration()

    def test_invalid_value_keeps_settings(self, clean_env):
        Pyro4.config.NS_PORT = 1234
        clean_env.setenv("PYRO_NS_PORT", "not-a-number")
        with pytest.raises(ValueError):
            Pyro4.config.reset()
        assert Pyro4.config.NS_PORT == 1234
        assert type(Pyro4.config.SERIALIZERS_ACCEPTED) is set

    def test_numbers(self, clean_env):
        clean_env.setenv("PYRO_NS_PORT", "4444")
        clean_env.setenv("PYRO_COMMTIMEOUT", "2.5")
        clean_env.setenv("PYRO_THREADPOOL_SIZE", "7")
        config = Configuration()
        assert config.NS_PORT == 4444
        assert config.COMMTIMEOUT == 2.5
        assert type(config.COMMTIMEOUT) is float
        assert config.THREADPOOL_SIZE == 7

    def test_invalid_numbers(self, clean_env):
        clean_env.setenv("PYRO_COMMTIMEOUT", "soon")
        with pytest.raises(ValueError):
            Configuration()
        clean_env.setenv("PYRO_COMMTIMEOUT", "1")
        clean_env.setenv("PYRO_NS_PORT", "90.5")
        with pytest.raises(ValueError):
            Configuration()

    def test_strings_and_none_defaults(self, clean_env):
        clean_env.setenv("PYRO_HOST", "example.org")
        clean_env.setenv("PYRO_NATHOST", "nat.example.org")
        clean_env.setenv("PYRO_NS_BCHOST", "")
        clean_env.setenv("PYRO_SSL_CACERTS", "/tmp/certs")
        config = Configuration()
        assert config.HOST == "example.org"
        assert config.NATHOST == "nat.example.org"
        assert config.NS_BCHOST == ""
        assert config.SSL_CACERTS == "/tmp/certs"

    def test_host_does_not_change_ns_host(self, clean_env):
        clean_env.setenv("PYRO_HOST", "example.org")
        assert Configuration().NS_HOST == "localhost"

    def test_serializers_accepted_split_without_strip(self, clean_env):
        clean_env.setenv("PYRO_SERIALIZERS_ACCEPTED", "serpent,json,marshal,pickle")
        assert Configuration().SERIALIZERS_ACCEPTED == {"serpent", "json", "marshal", "pickle"}
        clean_env.setenv("PYRO_SERIALIZERS_ACCEPTED", "serpent, json")
        assert Configuration().SERIALIZERS_ACCEPTED == {"serpent", " json"}

    def test_only_pyro_prefix_counts(self, clean_env):
        clean_env.setenv("NS_PORT", "4444")
        clean_env.setenv("PYRONS_PORT", "4444")
        assert Configuration().NS_PORT == 9090

    def test_reset_false_ignores_environment(self, clean_env):
        clean_env.setenv("PYRO_NS_PORT", "4444")
        clean_env.setenv("PYRO_COMPRESSION", "foobar")
        Pyro4.config.reset(False)
        assert Pyro4.config.NS_PORT == 9090
        assert Pyro4.config.COMPRESSION is False

    def test_reset_reads_environment_each_time(self, clean_env):
        clean_env.setenv("PYRO_NS_PORT", "4444")
        Pyro4.config.reset()
        assert Pyro4.config.NS_PORT == 4444
        clean_env.setenv("PYRO_NS_PORT", "5555")
        Pyro4.config.reset()
        assert Pyro4.config.NS_PORT == 5555

    def test_environment_at_import(self, tmp_path):
        code = "import Pyro4; print(Pyro4.config.NS_PORT, Pyro4.config.COMPRESSION, Pyro4.config.NS_HOST)"
        env = _clean_subprocess_env(PYRO_NS_PORT="4444", PYRO_COMPRESSION="on", PYRO_NS_HOST="nshost")
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path), check=True,
                             stdout=subprocess.PIPE, universal_newlines=True, timeout=60).stdout
        assert out.split() == ["4444", "True", "nshost"]


class TestParseAddresses:
    def test_parse(self):
        parse = Pyro4.config.parseAddressesString
        assert parse("<broadcast>, 0.0.0.0") == ["<broadcast>", "0.0.0.0"]
        assert parse(" 127.0.0.1 ,'',  ::1") == ["127.0.0.1", "", "::1"]
        assert parse("''") == [""]
        assert parse("") == [""]
        assert parse("'' x") == ["'' x"]

    def test_default_broadcast_addrs(self):
        assert Pyro4.config.parseAddressesString(Pyro4.config.BROADCAST_ADDRS) == ["<broadcast>", "0.0.0.0"]


class TestDump:
    def test_required_content(self):
        text = Pyro4.config.dump()
        assert "version:" in text
        assert "LOGLEVEL" in text

    def test_header(self):
        lines = Pyro4.config.dump().split("\n")
        assert lines[0] == "Pyro version: 4.82"
        assert lines[1] == "Loaded from: " + os.path.dirname(os.path.abspath(Pyro4.__file__))
        assert lines[2] == "Python version: {} {} ({}, {})".format(
            platform.python_implementation(), platform.python_version(), platform.system(), os.name)
        assert lines[3] == "Protocol version: 48"
        assert lines[4] == "Currently active configuration settings:"

    def test_settings_sorted_and_formatted(self, clean_env):
        text = Pyro4.config.dump()
        assert not text.endswith("\n")
        settings = text.split("\n")[5:]
        names = [line.split(" = ")[0] for line in settings]
        assert names == sorted(ITEMS + ["LOGFILE", "LOGLEVEL"])
        assert "NS_PORT = 9090" in settings
        assert "NATHOST = None" in settings
        assert "LOGLEVEL = None" in settings
        assert "LOGFILE = None" in settings
        assert "COMMTIMEOUT = 0.0" in settings
        assert "BROADCAST_ADDRS = <broadcast>, 0.0.0.0" in settings
        assert "SSL_CACERTS = " in settings

    def test_shows_current_values(self, clean_env):
        clean_env.setenv("PYRO_LOGLEVEL", "DEBUG")
        clean_env.setenv("PYRO_LOGFILE", "{stderr}")
        Pyro4.config.SERIALIZERS_ACCEPTED = {"pickle"}
        Pyro4.config.COMMTIMEOUT = None
        settings = Pyro4.config.dump().split("\n")
        assert "LOGLEVEL = DEBUG" in settings
        assert "LOGFILE = {stderr}" in settings
        assert "SERIALIZERS_ACCEPTED = {'pickle'}" in settings
        assert "COMMTIMEOUT = None" in settings

    def test_protocol_version_is_read_live(self, monkeypatch):
        monkeypatch.setattr(Pyro4.constants, "PROTOCOL_VERSION", 47)
        assert "Protocol version: 47" in Pyro4.config.dump().split("\n")


class TestCheckConfig:
    def test_main_prints_dump(self, capsys):
        configuration.main()
        assert capsys.readouterr().out == Pyro4.config.dump() + "\n"

    def test_main_ignores_arguments(self, capsys):
        configuration.main(["-h", "--bogus"])
        assert capsys.readouterr().out.startswith("Pyro version: 4.82\n")

    def test_module_form(self, tmp_path):
        result = subprocess.run([sys.executable, "-m", "Pyro4.configuration", "-h"], env=_clean_subprocess_env(),
                                cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=60)
        assert result.returncode == 0
        lines = result.stdout.split("\n")
        assert lines[0] == "Pyro version: 4.82"
        assert "LOGLEVEL = None" in lines
        assert result.stdout.endswith("USE_MSG_WAITALL = {}\n".format(DEFAULTS["USE_MSG_WAITALL"]))

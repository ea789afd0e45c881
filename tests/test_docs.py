"""The documentation sources cover every configuration item and every console script.

These checks read the .rst files directly (no Sphinx build): the configuration page must describe
each item of ``Pyro4.config``, and the tools page must have a section for each console script
that setup.py installs.
"""

import ast
import os
import re

import pytest

import Pyro4

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS_SOURCE = os.path.join(CHECKOUT, "docs", "source")
SETUP_PY = os.path.join(CHECKOUT, "setup.py")


def _read(name):
    with open(os.path.join(DOCS_SOURCE, name), encoding="utf-8") as page:
        return page.read()


def _described_config_items(text):
    """{item name: its description text} for every ``.. describe:: NAME`` entry of the page."""
    entries = {}
    for match in re.finditer(r"^\.\. describe:: (\w+)\n((?:\n|   .*\n)*)", text, re.MULTILINE):
        body = [line.strip() for line in match.group(2).splitlines()]
        entries[match.group(1)] = " ".join(line for line in body if line and not line.startswith(":"))
    return entries


def _console_scripts():
    """{script name: "module:function"} from the entry_points argument of setup() in setup.py."""
    with open(SETUP_PY, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "entry_points":
            scripts = ast.literal_eval(node.value)["console_scripts"]
            return dict(tuple(part.strip() for part in spec.split("=", 1)) for spec in scripts)
    raise AssertionError("setup.py has no entry_points")


def _section_titles(text):
    lines = text.splitlines()
    return [title for title, underline in zip(lines, lines[1:])
            if underline and set(underline) == {"-"} and len(underline) >= len(title) > 0]


CONFIG_ITEMS = sorted(Pyro4.config.asDict())
CONSOLE_SCRIPTS = _console_scripts()


@pytest.mark.parametrize("item", CONFIG_ITEMS)
def test_config_item_is_described(item):
    entries = _described_config_items(_read("config.rst"))
    assert item in entries, "config.rst has no '.. describe:: {0}' entry".format(item)
    assert len(entries[item].split()) >= 5, "the description of {0} is too short: {1!r}".format(item, entries[item])


def test_config_page_describes_only_real_items():
    described = set(_described_config_items(_read("config.rst")))
    assert described == set(CONFIG_ITEMS)


def test_config_items_are_the_45_of_pyro4_482():
    # guards the parametrization above: an empty or partial asDict() would make it vacuous
    assert len(CONFIG_ITEMS) == 45


@pytest.mark.parametrize("script", sorted(CONSOLE_SCRIPTS))
def test_console_script_has_a_section(script):
    titles = _section_titles(_read("tools.rst"))
    assert any(script in title.replace(",", " ").split() for title in titles), \
        "tools.rst has no section for {0} (sections: {1})".format(script, titles)


def test_tools_page_help_texts_come_from_the_installed_tools():
    # each generated help text must be that of the module the script really runs
    modules = {spec.split(":")[0] for spec in CONSOLE_SCRIPTS.values()}
    for module, prog in re.findall(r"^\.\. command-help:: (\S+) (\S+)$", _read("tools.rst"), re.MULTILINE):
        assert CONSOLE_SCRIPTS.get(prog, "").split(":")[0] == module, (module, prog)
        modules.discard(module)
    # pyro4-check-config takes no options, so it is the only tool without a help text
    assert modules == {"Pyro4.configuration"}


def test_setup_py_has_the_console_scripts_of_the_cli_spec():
    # guards the parametrization above against a setup.py the parser misread
    assert {"pyro4-ns", "pyro4-nsc", "pyro4-test-echoserver", "pyro4-echoserver", "pyro4-check-config",
            "pyro4-flameserver", "pyro4-httpgateway"} <= set(CONSOLE_SCRIPTS)

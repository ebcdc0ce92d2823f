"""pyproject.toml declares what requirements.txt pins (runtime in ``dependencies``, the test
tools in the ``test`` extra), and constraints.txt resolves every pin to the same version."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def pins(path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def name(pin: str) -> str:
    return re.split(r"[\[=<>]", pin, maxsplit=1)[0].lower().replace("_", "-")


def test_pyproject_declares_exactly_the_pinned_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    assert sorted(declared) == sorted(pins(ROOT / "requirements.txt"))
    assert not {name(p) for p in project["dependencies"]} & {name(p) for p in project["optional-dependencies"]["test"]}


def test_constraints_resolve_every_pin_to_its_version():
    resolved = {name(p): p.split("==")[1] for p in pins(ROOT / "constraints.txt")}
    for pin in pins(ROOT / "requirements.txt"):
        assert resolved.get(name(pin)) == pin.split("==")[1], pin

"""The install set-up (README, "Quick start"): every third-party module the engine imports is declared
in pyproject.toml, and constraints.txt pins every package the engine and its extras pull in, at the
version installed."""

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canon(name)] = version.strip()
    return pins


def undeclared_imports(folder: str, allowed: set[str]) -> set[str]:
    owners = md.packages_distributions()
    local = {p.stem for p in (ROOT / folder).rglob("*.py")} | {"poster_engine"}
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top in local:
                    continue
                for dist in owners.get(top, [top]):
                    if canon(dist) not in allowed:
                        found.add(f"{top} ({dist}) in {path.relative_to(ROOT)}")
    return found


def requirement_names(reqs: list[str]) -> set[str]:
    names = set()
    for r in reqs:
        req = Requirement(r)
        names.add(canon(req.name))
        names |= {canon(e) for e in req.extras}  # dask[distributed] brings the distributed package
    return names


def test_every_imported_distribution_is_declared():
    engine = requirement_names(PYPROJECT["dependencies"])
    distributed = requirement_names(PYPROJECT["optional-dependencies"]["distributed"])
    found = undeclared_imports("poster_engine", engine | distributed)
    assert not found, "imported but not in pyproject.toml dependencies: " + ", ".join(sorted(found))


def test_every_distribution_the_tests_import_is_declared():
    allowed = requirement_names(PYPROJECT["dependencies"])
    for extra in ("test", "distributed", "fuzz"):  # fuzz: tests/fuzz_atheris.py, a session run by hand
        allowed |= requirement_names(PYPROJECT["optional-dependencies"][extra])
    found = undeclared_imports("tests", allowed)
    assert not found, "imported by tests but not in pyproject.toml: " + ", ".join(sorted(found))


def test_constraints_pin_every_installed_dependency():
    pins = constraints()
    todo, seen, wrong = [("poster-engine", frozenset({"test", "distributed"}))], set(), []
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = md.distribution(name)
        if name != "poster-engine" and pins.get(name) != dist.version:
            wrong.append(f"{name} {dist.version} (constraints.txt: {pins.get(name, 'absent')})")
        for r in dist.requires or []:
            req = Requirement(r)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
                continue
            todo.append((canon(req.name), frozenset(req.extras)))
    assert not wrong, "installed versions differ from constraints.txt (run make lock, then make test): " + ", ".join(
        sorted(set(wrong))
    )

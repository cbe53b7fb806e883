"""environment.yml (conda) and pyproject.toml (pip) must install the same things at the same versions."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def requirements(lines) -> dict[str, str]:
    """{package name: version bound}, extras dropped."""
    out = {}
    for line in lines:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)", line.strip())
        out[m.group(1).lower().replace("_", "-")] = m.group(3).replace(" ", "")
    return out


def test_environment_yml_and_pyproject_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_side = requirements(project["dependencies"] + project["optional-dependencies"]["dev"])
    conda_lines = []
    for dep in yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]:
        conda_lines += dep["pip"] if isinstance(dep, dict) else [dep]
    conda_side = requirements(conda_lines)
    conda_side.pop("pip")
    assert conda_side.pop("python") == project["requires-python"]
    assert conda_side == pip_side

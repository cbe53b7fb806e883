"""The layout the README promises: stage folders, small modules and functions, and a build process
that never imports the data libraries its kernels use."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "storykit"
STAGES = ("ingest", "stories", "site")
MAX_LINES = 450
MAX_PARAMETERS = 8


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_package_is_laid_out_by_stage():
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
        assert ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text())), f"{stage} says what it holds"
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= 12, loose


def test_no_module_is_long_and_no_function_takes_many_parameters():
    for path in modules():
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                count = len(a.posonlyargs + a.args + a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                count -= bool(a.args) and a.args[0].arg in ("self", "cls")
                assert count <= MAX_PARAMETERS, f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} takes {count}"


def test_nothing_imports_a_stage_above_it():
    """The data stage and the stories never import the site; the notebook side never imports either."""
    below = {"ingest": ("site", "stories"), "stories": ("site",), "notebook": ("site", "stories", "ingest")}
    for path in modules():
        rel = path.relative_to(PACKAGE).parts
        if rel[0] not in below:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = (node.module or "").split(".")[0] if node.level == len(rel) else None
                assert target not in below[rel[0]], f"{'/'.join(rel)} imports storykit.{node.module}"


def test_a_build_with_pages_to_make_imports_no_pandas_numpy_or_plotly_express(real_site, tmp_path):
    """`storykit build --force truce`, run in the build's own process: the kernel imports pandas and
    plotly.express; the build that drives it needs neither (nor numpy)."""
    project = tmp_path / "project"
    shutil.copytree(real_site, project, symlinks=True)
    code = ("import json, sys\nfrom storykit.site.build import build\n"
            "published = build(['truce'], force=True, log=lambda _: None)\n"
            "print(json.dumps({'published': published, 'modules': sorted(sys.modules)}))")
    env = os.environ | {"STORYKIT_HOME": str(project)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.splitlines()[-1])
    assert found["published"] == ["truce.html"]
    heavy = [m for m in found["modules"] if m.split(".")[0] in ("pandas", "numpy") or m.startswith("plotly.express")]
    assert heavy == [], heavy[:10]

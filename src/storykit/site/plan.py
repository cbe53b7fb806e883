"""The pages a build makes: each report of reports.toml as one Job, or one per value of its fan-out."""

import importlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import StorykitError, did_you_mean
from ..paths import slug
from . import parameters
from .config import CONFIG, Config


@dataclass(frozen=True)
class Job:
    """One page to make: a notebook run with some parameters, written to `output` under reports/."""

    report: str
    notebook: str  # relative to notebooks/
    parameters: dict
    output: str  # relative to reports/, e.g. "truce.html" or "governorates/idleb.html"
    group: str | None = None  # the heading under which the index lists a fanned-out page
    tried: tuple = ()  # the parameters set from the command line that reports.toml does not publish: a trial

    @property
    def root(self) -> str:
        return "../" * self.output.count("/")

    @property
    def label(self) -> str:
        return self.output.removesuffix(".html")

    @property
    def where(self) -> str:
        """How messages name the page's notebook."""
        return f"notebooks/{self.notebook}" + (f" ({self.label})" if self.group else "")


def notebook_parameters(path: Path) -> dict:
    """The defaults in a notebook's cell tagged `parameters` (names bound to literals)."""
    return parameters.defaults(json.loads(path.read_text(encoding="utf-8")))


def plan(config: Config, root: Path, names: list[str] | None = None, overrides: dict | None = None) -> list[Job]:
    """The pages to make, in the order of reports.toml."""
    overrides = overrides or {}
    unknown = [n for n in names or [] if n not in config.names]
    if unknown:
        raise StorykitError(f"No report called {', '.join(unknown)} in {CONFIG}." + did_you_mean(unknown[0], config.names)
                            + f" The reports are: {', '.join(config.names)}.")
    chosen = [r for r in config.reports if not names or r["name"] in names]
    for r in chosen:
        if not (root / "notebooks" / r["notebook"]).is_file():
            raise StorykitError(f"{CONFIG}: report {r['name']!r} names notebooks/{r['notebook']}, which does not exist.")
    declared = {r["name"]: notebook_parameters(root / "notebooks" / r["notebook"]) | r.get("parameters", {})
                | ({r["fan_out"]["parameter"]: None} if r.get("fan_out") else {}) for r in chosen}
    if overrides and not names:  # `-p NAME VALUE` alone: build the reports that take NAME
        chosen = [r for r in chosen if any(p in declared[r["name"]] for p in overrides)]
    for p in overrides:
        if not any(p in declared[r["name"]] for r in chosen):
            known = sorted({k for d in declared.values() for k in d})
            raise StorykitError(f"-p {p}: no report {'among ' + ', '.join(names) if names else ''} takes a "
                                f"parameter called {p!r}.".replace("  ", " ") + did_you_mean(p, known)
                                + f" The parameters are: {', '.join(known)}.")
    jobs = []
    for r in chosen:
        defaults = declared[r["name"]]
        params = dict(r.get("parameters", {}))
        params |= {k: parameters.typed(v, defaults.get(k), k) for k, v in overrides.items() if k in defaults}
        fan_key = (r.get("fan_out") or {}).get("parameter")
        # A fan-out page asked for by its key is that page as published; any other value is a trial.
        tried = tuple(k for k in overrides if k in defaults and k != fan_key and params[k] != defaults[k])
        jobs += [replace(job, tried=tried) for job in _jobs(r, params, overrides)]
    return jobs


def _jobs(r: dict, params: dict, overrides: dict) -> list[Job]:
    fan = r.get("fan_out")
    if not fan:
        return [Job(r["name"], r["notebook"], params, f"{r['name']}.html")]
    folder, key = fan.get("folder", r["name"]), fan["parameter"]
    group = r.get("title", r["name"])
    if key in overrides:  # one page, for the value asked for
        value = params[key] = _canonical(fan, params[key])
        page = next((s for s, v in fan["pages"].items() if str(value).lower() in (s, str(v).lower())),
                    None) or slug(str(value)) or "page"
        return [Job(r["name"], r["notebook"], params, f"{folder}/{page}.html", group)]
    return [Job(r["name"], r["notebook"], params | {key: value}, f"{folder}/{page}.html", group)
            for page, value in fan["pages"].items()]


def _canonical(fan: dict, value):
    """The value as the fan-out's pages name it ("Idlib" -> "SY07"), through its `resolve` function.

    A value it cannot resolve is passed on as given: the notebook then stops on it, and the build
    names the cell and the error in the reporter's terms.
    """
    if "resolve" not in fan:
        return value
    module, _, name = fan["resolve"].partition(":")
    try:
        return getattr(importlib.import_module(module), name)(value)
    except StorykitError:
        return value

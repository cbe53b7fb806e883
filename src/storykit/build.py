"""Build reports/ from the notebooks named in reports.toml.

Each page is made in a staging folder (build/staging-*): the notebook is executed with Papermill in
a real kernel (working directory notebooks/, a timeout per cell), its output is checked and
exported by storykit.pages, and only pages that passed every check are moved into reports/, each
with one atomic rename. A report that fails keeps its previous page; the build then says which
report failed, in which cell, and why. The index is made last, from build/site.json, which
remembers every published page so that building one report keeps the others on the index.
"""

import ast
import json
import os
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import pages
from .errors import StorykitError
from .paths import project_root
from .tables import slug, write_text

CONFIG = "reports.toml"


class BuildError(StorykitError):
    """Some reports could not be published; the message names each one and why."""


@dataclass(frozen=True)
class Job:
    """One page to make: a notebook run with some parameters, written to `output` under reports/."""

    report: str
    notebook: str  # relative to notebooks/
    parameters: dict
    output: str  # relative to reports/, e.g. "truce.html" or "governorates/idleb.html"
    group: str | None = None  # the heading under which the index lists a fanned-out page

    @property
    def root(self) -> str:
        return "../" * self.output.count("/")

    @property
    def label(self) -> str:
        return self.output.removesuffix(".html")


@dataclass
class Config:
    intro: str
    cell_timeout: int
    kernel: str
    reports: list[dict] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.reports]


def load_config(root: Path) -> Config:
    path = root / CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StorykitError(f"{path} is missing: it lists the reports to build.") from None
    except tomllib.TOMLDecodeError as e:
        raise StorykitError(f"{path}: {e}.") from None
    site = data.get("site", {})
    reports = data.get("reports", [])
    for i, r in enumerate(reports, start=1):
        for key in ("name", "notebook"):
            if not r.get(key):
                raise StorykitError(f"{path}: report number {i} has no {key!r}.")
        fan = r.get("fan_out")
        if fan and not (fan.get("parameter") and fan.get("pages")):
            raise StorykitError(f"{path}: report {r['name']!r}: fan_out needs `parameter` and a `pages` table.")
    names = [r["name"] for r in reports]
    if len(set(names)) != len(names):
        raise StorykitError(f"{path}: two reports share a name; names must be unique.")
    return Config(intro=site.get("intro", ""), cell_timeout=int(site.get("cell_timeout", 600)),
                  kernel=site.get("kernel", "python3"), reports=reports)


def notebook_parameters(path: Path) -> dict:
    """The defaults in a notebook's cell tagged `parameters` (names bound to literals)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            found = {}
            for node in ast.parse(source).body:
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, ast.AnnAssign) and node.value else []
                for t in targets:
                    if isinstance(t, ast.Name):
                        try:
                            found[t.id] = ast.literal_eval(node.value)
                        except ValueError:
                            found[t.id] = None
            return found
    return {}


def _typed(value: str, default, name: str):
    """A command-line value in the type of the parameter's default."""
    try:
        if isinstance(default, bool):
            if value.lower() in ("true", "yes", "1"):
                return True
            if value.lower() in ("false", "no", "0"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise StorykitError(f"-p {name} {value}: {name} takes a {type(default).__name__} "
                            f"(its default is {default!r}).") from None
    return value


def plan(config: Config, root: Path, names: list[str] | None = None, overrides: dict | None = None) -> list[Job]:
    """The pages to make, in the order of reports.toml."""
    overrides = overrides or {}
    unknown = [n for n in names or [] if n not in config.names]
    if unknown:
        raise StorykitError(f"No report called {', '.join(unknown)} in {CONFIG}; "
                            f"the reports are: {', '.join(config.names)}.")
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
            raise StorykitError(f"-p {p}: no report {'among ' + ', '.join(names) if names else ''} takes a "
                                f"parameter called {p!r}.".replace("  ", " "))
    jobs = []
    for r in chosen:
        defaults = declared[r["name"]]
        params = dict(r.get("parameters", {}))
        params |= {k: _typed(v, defaults.get(k), k) for k, v in overrides.items() if k in defaults}
        fan = r.get("fan_out")
        if not fan:
            jobs.append(Job(r["name"], r["notebook"], params, f"{r['name']}.html"))
            continue
        folder, key = fan.get("folder", r["name"]), fan["parameter"]
        group = r.get("title", r["name"])
        if key in overrides:  # one page, for the value asked for
            value = params[key]
            page = next((s for s, v in fan["pages"].items() if str(value).lower() in (s, str(v).lower())),
                        None) or slug(str(value)) or "page"
            jobs.append(Job(r["name"], r["notebook"], params, f"{folder}/{page}.html", group))
            continue
        for page, value in fan["pages"].items():
            jobs.append(Job(r["name"], r["notebook"], params | {key: value}, f"{folder}/{page}.html", group))
    return jobs


def _outputs(config: Config) -> list[str]:
    """Every page the config makes with its own parameters, in order."""
    out = []
    for r in config.reports:
        fan = r.get("fan_out")
        out += [f"{fan.get('folder', r['name'])}/{p}.html" for p in fan["pages"]] if fan else [f"{r['name']}.html"]
    return out


def build(reports: list[str] | None = None, force: bool = False, params: dict | None = None,
          log=print) -> list[str]:
    """Build the named reports (all by default) and the index; returns the pages published.

    `params` overrides parameters of reports.toml ({name: value as text}). Every named report runs
    each time (`force` is accepted; skipping unchanged reports is not implemented yet).
    """
    root = project_root()
    config = load_config(root)
    jobs = plan(config, root, reports, params)
    work = root / "build"
    work.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=work, prefix="staging-"))
    built = pages.now()
    manifest = _load_manifest(work)
    published, failures = [], []
    try:
        with _environment(STORYKIT_HOME=str(root)):
            for job in jobs:
                log(f"building {job.output} from notebooks/{job.notebook}")
                try:
                    page = _make_page(job, config, root, work, staging, built)
                except StorykitError as e:
                    failures.append(f"{job.label}: {e}")
                    log(f"  failed: {e}")
                    continue
                manifest[job.output] = _entry(job, page, built)
                published.append(job.output)
        if published:  # a build that published nothing leaves reports/ exactly as it was
            site = root / "reports"
            _stage_assets(staging, site)
            (staging / "index.html").write_text(_index(config, manifest, (site, staging), built), encoding="utf-8")
            _publish(staging, site)
            write_text(json.dumps(manifest, indent=1, ensure_ascii=False), work / "site.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if failures:
        raise BuildError(f"{len(failures)} of {len(jobs)} page(s) were not published (their previous versions, "
                         "if any, stay online):\n  " + "\n  ".join(failures))
    return published


def _make_page(job: Job, config: Config, root: Path, work: Path, staging: Path, built) -> pages.Page:
    where = f"notebooks/{job.notebook}" + (f" ({job.label})" if job.group else "")
    executed = work / "executed" / f"{job.label}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    nb = _execute(root / "notebooks" / job.notebook, executed, job.parameters, config, where)
    page = pages.collect(nb, where)
    html = pages.render(page, root=job.root, built=built, notebook=f"notebooks/{job.notebook}",
                        parameters=job.parameters)
    pages.check_published(html, where, local=(str(root),))
    target = staging / job.output
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    from .charts import geometry_asset

    for key, geojson in page.geometries.items():  # named by their hash: an existing file is the same shapes
        asset = staging / "assets" / f"{key}.js"
        if not (root / "reports" / "assets" / asset.name).is_file() and not asset.is_file():
            asset.parent.mkdir(exist_ok=True)
            asset.write_text(geometry_asset(key, geojson), encoding="utf-8")
    return page


def _execute(notebook: Path, out: Path, parameters: dict, config: Config, where: str):
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import ERROR_MARKER_TAG

    try:
        return papermill.execute_notebook(
            str(notebook), str(out), parameters=parameters, kernel_name=config.kernel,
            cwd=str(notebook.parent), execution_timeout=config.cell_timeout, progress_bar=False,
            log_output=False, request_save_on_cell_execute=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not the TCP-without-encryption notice
        )
    except PapermillExecutionError as e:
        cell = f"cell {e.exec_count}"
        if out.is_file():  # Papermill wrote it with two error-note cells added; without them, indices match
            nb = pages.read(out)
            nb.cells = [c for c in nb.cells if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
            cell = pages.cell_label(nb, e.cell_index)
        raise pages.PageError(f"{where}, {cell} stopped with {e.ename}: "
                              f"{pages.ANSI.sub('', str(e.evalue))}") from None
    except TimeoutError as e:  # nbclient's CellTimeoutError
        raise pages.PageError(f"{where}: a cell ran longer than {config.cell_timeout} s and was stopped ({e}).") \
            from None
    except RuntimeError as e:  # a kernel that died or could not start
        raise pages.PageError(f"{where}: the kernel failed: {e}") from None


@contextmanager
def _environment(**values):
    # Kernels inherit the environment: STORYKIT_HOME makes them read this project's data.
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _stage_assets(staging: Path, site: Path) -> None:
    from .charts import plotly_js

    assets = staging / "assets"
    assets.mkdir(exist_ok=True)
    shutil.copyfile(pages.TEMPLATES / "style.css", assets / "style.css")
    js = plotly_js().encode("utf-8")
    current = site / "assets" / "plotly.min.js"
    if not (current.is_file() and current.stat().st_size == len(js) and current.read_bytes() == js):
        (assets / "plotly.min.js").write_bytes(js)


def _publish(staging: Path, site: Path) -> None:
    """Move every staged file into the site, one atomic rename each (same file system)."""
    # Assets first (pages need them), the index last (it links the pages).
    files = sorted((p for p in staging.rglob("*") if p.is_file()),
                   key=lambda p: (p.parent.name != "assets", p.name == "index.html", str(p)))
    for path in files:
        target = site / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def _entry(job: Job, page: pages.Page, built) -> dict:
    return {"report": job.report, "group": job.group, "title": page.title, "summary_html": page.summary_html,
            "as_of": page.as_of, "facts": page.facts, "sources": page.sources, "charts": page.charts,
            "built": built.isoformat(timespec="seconds"), "parameters": job.parameters}


def _load_manifest(work: Path) -> dict:
    try:
        return json.loads((work / "site.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _index(config: Config, manifest: dict, folders: tuple[Path, ...], built) -> str:
    """The index lists the pages that exist (published or staged), in the order of reports.toml."""
    stories, groups, headlines = [], {}, []
    order = {out: i for i, out in enumerate(_outputs(config))}
    entries = sorted(((out, e) for out, e in manifest.items()
                      if out in order and any((f / out).is_file() for f in folders)),
                     key=lambda oe: order[oe[0]])
    for out, e in entries:
        page = pages.Page(title=e["title"], summary_html=e["summary_html"], as_of=e["as_of"], body="",
                          sources=e["sources"], facts=e["facts"], charts=e["charts"])
        if e["group"]:
            groups.setdefault(e["group"], []).append({"href": out, "page": page})
            continue
        stories.append({"href": out, "page": page})
        headlines += [h | {"href": out, "report": page.title} for h in page.headlines]
    html = pages.render_index(intro=config.intro, stories=stories, built=built, headlines=headlines,
                              groups=[{"title": t, "pages": ps} for t, ps in groups.items()])
    pages.check_published(html, "reports/index.html", local=(str(folders[0].parent),))
    return html

"""Build reports/ from the notebooks named in reports.toml.

One build at a time (a lock). Each notebook is executed with Papermill in a real kernel (working
directory notebooks/, a timeout per cell and per notebook; a kernel that dies or overruns is
stopped with everything it started). Its output is checked and exported by storykit.pages into a
new version of the site (storykit.publish), which starts as the current one: a report that fails
keeps its last good page there, with a notice saying the update failed. The index is made last,
from the manifest of every published page, so building one report keeps the others on the index.
The version is checked as a whole and only then published, in one atomic step. The build then says
which report failed, in which cell, and why, and names stale sources; a webhook may be told too.
"""

import ast
import json
import os
import re
import shutil
import signal
import socket
import threading
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import nbformat

from . import alerts, catalogue, pages, publish
from .errors import StorykitError
from .facts import format_date
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
    notebook_timeout: int = 3600
    lock_wait: int = 1800
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
                  kernel=site.get("kernel", "python3"), notebook_timeout=int(site.get("notebook_timeout", 3600)),
                  lock_wait=int(site.get("lock_wait", 1800)), reports=reports)


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
          log=print, wait: float | None = None) -> list[str]:
    """Build the named reports (all by default) and the index; returns the pages published.

    `params` overrides parameters of reports.toml ({name: value as text}). `wait`: how long to wait
    for a build already running (default: lock_wait in reports.toml). Every named report runs each
    time (`force` is accepted; skipping unchanged reports is not implemented yet). Raises BuildError,
    after publishing what passed, if any page failed; an alert goes to the webhook, if one is set.
    """
    try:
        return _build(reports, params, log, wait)
    except Exception as e:
        alerts.send(f"storykit build failed on {socket.gethostname()}: {e}", log)
        raise


def _build(reports, params, log, wait) -> list[str]:
    root = project_root()
    config = load_config(root)
    jobs = plan(config, root, reports, params)
    work = root / "build"
    site = publish.Site(root)
    built = pages.now()
    with publish.locked(work / "build.lock", config.lock_wait if wait is None else wait, log):
        site.recover(log)
        for old in work.glob("staging-*"):  # left by builds from before site versions
            shutil.rmtree(old, ignore_errors=True)
        manifest = site.manifest(legacy=work / "site.json")
        version = site.begin(f"{built:%Y%m%d-%H%M%S-%f}", keep=set(manifest))
        try:
            _stage_assets(version)
            published, failures = _make_pages(jobs, config, root, work, version, built, manifest, site, log)
            noticed = _mark_failed(failures, manifest, version, built)
            stale = _stale(root, log)
            if published or noticed:
                log("checking the new site and publishing it")
                _finish(config, manifest, version, built, stale)
                site.commit(version, manifest)
            else:
                site.discard(version)
        except BaseException:
            site.discard(version)
            raise
    summary = [f"  {c.message(date.today())}" for c in stale]
    if failures:
        raise BuildError(
            f"{len(failures)} of {len(jobs)} page(s) were not published (their previous versions, if any, "
            "stay online, marked as out of date):\n  " + "\n  ".join(failures.values())
            + ("\nStale sources (not a failure):\n" + "\n".join(summary) if summary else ""))
    for line in summary:
        log(f"stale: {line.strip()}")
    if summary:
        alerts.send(f"storykit build on {socket.gethostname()} published {len(published)} page(s), "
                    "but some sources are stale:\n" + "\n".join(summary), log)
    return published


def _make_pages(jobs, config, root, work, version, built, manifest, site, log):
    """Run each job into the new version; a page that fails a check is put back as it was."""
    fresh, failures = {}, {}
    with _environment(STORYKIT_HOME=str(root)):
        for job in jobs:
            log(f"building {job.output} from notebooks/{job.notebook}")
            try:
                fresh[job.output] = (job, _make_page(job, config, root, work, version, built))
            except StorykitError as e:
                failures[job.output] = f"{job.label}: {e}"
                log(f"  failed: {e}")
            except Exception as e:  # a fault of its own (a missing kernel, an unreadable notebook): this page only
                failures[job.output] = f"{job.label}: notebooks/{job.notebook} could not be run ({type(e).__name__}: {e})"
                log(f"  failed: {failures[job.output]}")
    # Pages may link each other, so each is checked once all are in place.
    published = []
    for out, (job, page) in fresh.items():
        entry = _entry(job, page, built)
        problems = publish.check_page((version / out).read_text(encoding="utf-8"), out, version, entry,
                                      coming=("index.html",))
        if problems:
            (version / out).unlink()
            if (previous := site.current()) is not None and (previous / out).is_file():
                os.link(previous / out, version / out)
            failures[out] = f"{job.label}: the page failed its check: {'; '.join(problems)}."
            log(f"  failed: {failures[out]}")
            continue
        manifest[out] = entry
        published.append(out)
    return published, failures


def _make_page(job: Job, config: Config, root: Path, work: Path, version: Path, built) -> pages.Page:
    where = f"notebooks/{job.notebook}" + (f" ({job.label})" if job.group else "")
    executed = work / "executed" / f"{job.label}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    nb = _execute(root / "notebooks" / job.notebook, executed, job.parameters, config, where)
    page = pages.collect(nb, where)
    html = pages.render(page, root=job.root, built=built, notebook=f"notebooks/{job.notebook}",
                        parameters=job.parameters)
    pages.check_published(html, where, local=(str(root),))
    from .charts import geometry_asset

    for key, geojson in page.geometries.items():  # named by their hash: an existing file is the same shapes
        if not (asset := version / "assets" / f"{key}.js").is_file():
            write_text(geometry_asset(key, geojson), asset)
    write_text(html, version / job.output)  # a new file: the published version keeps its own
    return page


def _execute(notebook: Path, out: Path, parameters: dict, config: Config, where: str):
    """Run the notebook in a fresh kernel; stop it at the cell or notebook timeout, and leave no
    process of it behind."""
    import papermill
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import ERROR_MARKER_TAG

    groups: list[int] = []  # the kernel's process group (it starts its own session)
    overtime = threading.Event()
    progress = {}  # the notebook as it runs, and the cell running: to say where a dead kernel stopped

    class Kernel(AsyncKernelManager):
        async def start_kernel(self, **kw):
            await super().start_kernel(**kw)
            groups.append(self.provisioner.pgid)
            if overtime.is_set():
                _kill(groups)

    def stop():
        overtime.set()
        _kill(groups)  # nbclient then sees a dead kernel and stops

    def where_stopped() -> str:
        if "index" not in progress:
            return "before its first cell"
        try:  # what ran, for the reporter to look at
            nbformat.write(progress["nb"], out)
        except (OSError, ValueError):
            pass
        return pages.cell_label(progress["nb"], progress["index"])

    out.unlink(missing_ok=True)  # never an earlier run's notebook taken for this one
    watchdog = threading.Timer(config.notebook_timeout, stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        return papermill.execute_notebook(
            str(notebook), str(out), parameters=parameters, kernel_name=config.kernel,
            cwd=str(notebook.parent), execution_timeout=config.cell_timeout, progress_bar=False,
            log_output=False, request_save_on_cell_execute=False, kernel_manager_class=Kernel,
            on_notebook_start=lambda notebook: progress.update(nb=notebook),
            on_cell_execute=lambda cell, cell_index: progress.update(index=cell_index),
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
    except CellTimeoutError:
        raise pages.PageError(f"{where}, {where_stopped()} ran longer than the {config.cell_timeout} s a cell may "
                              "take (cell_timeout in reports.toml) and was stopped.") from None
    except DeadKernelError:
        if overtime.is_set():
            raise pages.PageError(f"{where}: the notebook ran longer than the {config.notebook_timeout} s it may "
                                  f"take (notebook_timeout in reports.toml) and was stopped in "
                                  f"{where_stopped()}.") from None
        raise pages.PageError(f"{where}, {where_stopped()}: the kernel died while running this cell (it ran out "
                              "of memory, crashed, or the code ended its process).") from None
    except RuntimeError as e:  # a kernel that could not start
        raise pages.PageError(f"{where}: the kernel failed: {e}") from None
    finally:
        watchdog.cancel()
        _kill(groups)  # anything the notebook started in the kernel's group


def _kill(groups: list[int]) -> None:
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


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


def _mark_failed(failures: dict, manifest: dict, version: Path, built) -> list[str]:
    """A failed page that is online keeps its last good version, with a notice saying so."""
    marked = []
    for out in failures:
        if out not in manifest or not (version / out).is_file():
            continue  # never published (a new page, or a parameter value that does not exist)
        entry = manifest[out] = manifest[out] | {"failed": built.isoformat(timespec="seconds")}
        notice = pages.environment().get_template("notice.html.j2").render(**_notice(entry))
        html = (version / out).read_text(encoding="utf-8")
        write_text(with_notice(html, notice), version / out)
        marked.append(out)
    return marked


def _notice(entry: dict) -> dict:
    return {"as_of": entry["as_of"], "failed": pages.built_text(datetime.fromisoformat(entry["failed"])),
            "built": pages.built_text(datetime.fromisoformat(entry["built"]))}


NOTICE = re.compile(r"<!--sk-notice-->.*?<!--/sk-notice-->", re.S)


def with_notice(html: str, notice: str) -> str:
    """The page with `notice` in its place at the top of <main> (replacing any notice before)."""
    block = f"<!--sk-notice-->{notice}<!--/sk-notice-->"
    if NOTICE.search(html):
        return NOTICE.sub(lambda _: block, html, count=1)
    return html.replace('<main id="main">', f'<main id="main">\n{block}', 1)  # a page from before notices


def _stale(root: Path, log=print) -> list:
    from .staleness import currency

    today = date.today()
    try:
        return [c for c in currency(root / "data" / "processed").values() if c.is_stale(today)]
    except Exception as e:  # the guard must not stop a build; the processed tables' own checks will
        log(f"could not check how current the sources are ({type(e).__name__}: {e})")
        return []


def _finish(config: Config, manifest: dict, version: Path, built, stale: list) -> None:
    """Assets, the index, and the check of the whole version before it may be published."""
    for out in [out for out in manifest if not (version / out).is_file()]:
        del manifest[out]  # an entry whose page is gone (removed by hand)
    write_text(_index(config, manifest, version, built, stale), version / "index.html")
    used = set()
    for page in version.rglob("*.html"):
        used |= set(re.findall(r'assets/(geo-[\w-]+\.js)"', page.read_text(encoding="utf-8")))
    for asset in (version / "assets").glob("geo-*.js"):
        if asset.name not in used:  # shapes no page draws any more
            asset.unlink()
    problems = publish.check_version(version, list(manifest))
    if problems:
        raise BuildError("The new site failed its check, so nothing was published:\n  " + "\n  ".join(problems))


def _stage_assets(version: Path) -> None:
    for name, text in pages.assets().items():
        current = version / "assets" / name
        if not (current.is_file() and current.stat().st_size == len(text.encode("utf-8"))
                and current.read_text(encoding="utf-8") == text):
            write_text(text, current)


def _entry(job: Job, page: pages.Page, built) -> dict:
    return {"report": job.report, "group": job.group, "title": page.title, "summary_html": page.summary_html,
            "as_of": page.as_of, "facts": page.facts, "sources": page.sources, "charts": page.charts,
            "built": built.isoformat(timespec="seconds"), "parameters": job.parameters}


def _index(config: Config, manifest: dict, version: Path, built, stale: list) -> str:
    """The index lists the pages of the version, in the order of reports.toml, each with its notice."""
    stories, groups, headlines, used = [], {}, [], set()
    order = {out: i for i, out in enumerate(_outputs(config))}
    entries = sorted(((out, e) for out, e in manifest.items() if out in order and (version / out).is_file()),
                     key=lambda oe: order[oe[0]])
    for out, e in entries:
        page = pages.Page(title=e["title"], summary_html=e["summary_html"], as_of=e["as_of"], body="",
                          sources=e["sources"], facts=e["facts"], charts=e["charts"])
        item = {"href": out, "page": page, "notice": _notice(e) if e.get("failed") else None}
        used.update(e["sources"])
        if e["group"]:
            groups.setdefault(e["group"], []).append(item)
            continue
        stories.append(item)
        headlines += [h | {"href": out, "report": page.title} for h in page.headlines]
    old = [{"title": catalogue.get(c.source).title, "publisher": catalogue.get(c.source).publisher,
            "covers_to": format_date(c.covers_to)} for c in stale if c.source in used]
    html = pages.render_index(intro=config.intro, stories=stories, built=built, headlines=headlines,
                              groups=[{"title": t, "pages": ps} for t, ps in groups.items()], stale=old)
    pages.check_published(html, "reports/index.html", local=(str(version.parents[1]),))
    return html

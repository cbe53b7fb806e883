"""Build reports/ from the notebooks named in reports.toml.

One build at a time (a lock). A page is made again only when something it was made from changed
(storykit.freeze: storykit's code, the notebook, its parameters, what it read while it ran);
`--force` makes every page named. The pages to make run in kernels started once for the build and
reused, several at a time (storykit.kernels: a fresh namespace per page, a timeout per cell and per
notebook, a kernel that dies or overruns stopped with everything it started). Each executed
notebook is checked and exported by storykit.pages into a new version of the site
(storykit.publish), which starts as the current one: a page not made again stays as it is, and a
report that fails keeps its last good page there, with a notice saying the update failed. The
index is made last, from the manifest of every published page, so building one report keeps the
others on the index. The version is checked as a whole and only then published, in one atomic
step. The build then says which report failed, in which cell, and why, and names stale sources; a
webhook may be told too.

With nothing to make (every page current, and an index that would come out the same) a build
publishes nothing, starts no kernel and imports neither pandas nor Jupyter.
"""

import ast
import hashlib
import importlib
import json
import os
import re
import shutil
import socket
import sys
import tomllib
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import alerts, catalogue, freeze, publish
from .atomic import write_text
from .errors import StorykitError
from .paths import project_root

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
    workers: int = 0  # kernels at once; 0: one per processor
    reuse_kernels: bool = True  # run page after page in a kernel, each in a fresh namespace
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
                  lock_wait=int(site.get("lock_wait", 1800)), workers=int(site.get("workers", 0)),
                  reuse_kernels=bool(site.get("reuse_kernels", True)), reports=reports)


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
            from .tables import slug

            value = params[key] = _canonical(fan, params[key])
            page = next((s for s, v in fan["pages"].items() if str(value).lower() in (s, str(v).lower())),
                        None) or slug(str(value)) or "page"
            jobs.append(Job(r["name"], r["notebook"], params, f"{folder}/{page}.html", group))
            continue
        for page, value in fan["pages"].items():
            jobs.append(Job(r["name"], r["notebook"], params | {key: value}, f"{folder}/{page}.html", group))
    return jobs


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

    Only pages whose notebook, parameters, inputs or storykit's code changed are made again;
    `force` makes every page named. `params` overrides parameters of reports.toml ({name: value as
    text}). `wait`: how long to wait for a build already running (default: lock_wait in
    reports.toml). Raises BuildError, after publishing what passed, if any page failed; an alert
    goes to the webhook, if one is set.
    """
    try:
        return _build(reports, force, params, log, wait)
    except Exception as e:
        alerts.send(f"storykit build failed on {socket.gethostname()}: {e}", log)
        raise


STATE = "freeze.json"  # in build/: the index the current version was made with, and source dates


def _build(reports, force, params, log, wait) -> list[str]:
    root = project_root()
    config = load_config(root)
    jobs = plan(config, root, reports, params)
    work = root / "build"
    site = publish.Site(root)
    with publish.locked(work / "build.lock", config.lock_wait if wait is None else wait, log):
        site.recover(log)
        for old in work.glob("staging-*"):  # left by builds from before site versions
            shutil.rmtree(old, ignore_errors=True)
        manifest = site.manifest(legacy=work / "site.json")
        state = _load_state(work)
        digests = freeze.Digests(root)
        code = freeze.code_digest()
        texts = {j.notebook: _read(root / "notebooks" / j.notebook) for j in jobs}
        keys = {j.output: _key(code, texts[j.notebook], j, config) for j in jobs}
        current = site.current()
        todo = [j for j in jobs if force or current is None or not (current / j.output).is_file()
                or not freeze.is_current(manifest.get(j.output), keys[j.output], digests)]
        stale = _stale(root, state, digests, log)
        published, failures = [], {}
        if todo or current is None or state.get("site") != current.name or \
                state.get("index") != _index_key(config, manifest, stale, code):
            if len(todo) < len(jobs):
                log(f"{len(jobs) - len(todo)} page(s) up to date; making {len(todo)}")
            published, failures = _publish(todo, config, root, work, site, manifest, state, stale, code, keys,
                                           texts, digests, log)
        else:
            log(f"nothing to make: all {len(jobs)} page(s) are up to date")
        _save_state(work, state)
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


def _publish(todo, config, root, work, site, manifest, state, stale, code, keys, texts, digests, log):
    """Make the pages of `todo` into a new version of the site, with the index, and publish it."""
    _light_jsonschema()
    from . import kernels

    current = site.current()
    workers = min(config.workers or os.cpu_count() or 1, len(todo))
    pool = kernels.Pool(config.kernel, root / "notebooks", workers, config.cell_timeout, config.notebook_timeout,
                        config.reuse_kernels) if todo else nullcontext()
    # Kernels inherit the environment: STORYKIT_HOME makes them read this project's data.
    with _environment(STORYKIT_HOME=str(root)), pool:  # the kernels start while the build prepares
        built = _now()
        version = site.begin(f"{built:%Y%m%d-%H%M%S-%f}", keep=set(manifest))
        try:
            _stage_assets(version)
            published, failures = _make_pages(todo, pool, config, root, work, version, built, manifest, site, log,
                                              keys, texts, digests)
            noticed = _mark_failed(failures, manifest, version, built)
            index = _index_key(config, manifest, stale, code)
            index_changed = index != state.get("index") or current is None or state.get("site") != current.name
            # A build whose pages all failed changes nothing, not even the index.
            if published or noticed or (index_changed and not failures):
                log("checking the new site and publishing it")
                _finish(config, manifest, version, built, stale)
                site.commit(version, manifest)
                state |= {"site": version.name, "index": index}
            else:
                site.discard(version)
        except BaseException:
            site.discard(version)
            raise
    return published, failures


def _light_jsonschema() -> None:
    """nbformat validates notebooks with jsonschema, which imports rfc3987_syntax when it is installed
    (Jupyter's own packages pull it in) and compiles its IRI grammar there: about a second of every
    build. Notebooks hold no IRI to check, so the build's process goes without that checker."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # its import fails; jsonschema then skips "iri"


def _now() -> datetime:
    from .pages import now

    return now()


def _read(notebook: Path) -> str:
    try:
        return notebook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return f"unreadable: {e}"  # its pages fail, saying so; the others go on


def _key(code: str, text: str, job: Job, config: Config) -> str:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError:
        nb = {"unreadable": text}  # the run will say what is wrong with it
    return freeze.page_key(code, nb, job.parameters, job.output, config.kernel)


def _load_state(work: Path) -> dict:
    try:
        state = json.loads((work / STATE).read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(work: Path, state: dict) -> None:
    text = json.dumps(state, indent=1, sort_keys=True)
    try:
        if (work / STATE).read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    write_text(text, work / STATE)


def _index_key(config: Config, manifest: dict, stale: list, code: str) -> str:
    """What the index is made from: if it is unchanged, so is the index."""
    order = _outputs(config)
    what = {"code": code, "catalogue": (freeze.PACKAGE / "catalogue.toml").read_text(encoding="utf-8"),
            "intro": config.intro, "reports": config.reports,
            "pages": [[out, manifest[out]] for out in order if out in manifest],
            "stale": [[c.source, str(c.covers_to)] for c in stale]}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def _make_pages(todo, pool, config, root, work, version, built, manifest, site, log, keys, texts, digests):
    """Run the jobs in the pool's kernels into the new version; a page that fails a check is put back
    as it was."""
    import nbformat

    from . import kernels

    fresh, failures, tasks = {}, {}, []
    notebooks = {}
    for job in todo:
        where = f"notebooks/{job.notebook}" + (f" ({job.label})" if job.group else "")
        message = f"building {job.output} from notebooks/{job.notebook}"
        try:
            if job.notebook not in notebooks:
                notebooks[job.notebook] = nbformat.reads(texts[job.notebook], as_version=4)
        except Exception as e:  # an unreadable notebook: its pages fail, the others go on
            log(message)
            failures[job.output] = f"{job.label}: notebooks/{job.notebook} could not be run ({type(e).__name__}: {e})"
            log(f"  failed: {failures[job.output]}")
            continue
        executed = work / "executed" / f"{job.label}.ipynb"
        executed.unlink(missing_ok=True)  # never an earlier run's notebook taken for this one
        tasks.append(kernels.Task(nb=nbformat.from_dict(notebooks[job.notebook]), parameters=job.parameters,
                                  cwd=(root / "notebooks" / job.notebook).parent, executed=executed, where=where,
                                  message=message, job=job))
    for result in pool.run(tasks, log) if tasks else ():
        job = result.task.job
        try:
            if result.error is not None:
                raise result.error
            fresh[job.output] = (_make_page(job, result.nb, result.task.where, root, version, built), result.reads)
        except StorykitError as e:
            failures[job.output] = f"{job.label}: {e}"
            log(f"  failed: {e}")
        except Exception as e:  # a fault of its own (a missing kernel, an unreadable notebook): this page only
            failures[job.output] = f"{job.label}: notebooks/{job.notebook} could not be run ({type(e).__name__}: {e})"
            log(f"  failed: {failures[job.output]}")
    # Pages may link each other, so each is checked once all are in place.
    published = []
    for job in todo:
        if job.output not in fresh:
            continue
        out, (page, reads) = job.output, fresh[job.output]
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
        cited = {f"catalogue:{s}": digests(f"catalogue:{s}") for s in page.sources}
        manifest[out] = entry | {"freeze": {"key": keys[out], "inputs": digests.recorded(reads) | cited}}
        published.append(out)
    return published, failures


def _make_page(job: Job, nb, where: str, root: Path, version: Path, built):
    from . import pages
    from .charts import geometry_asset

    page = pages.collect(nb, where)
    html = pages.render(page, root=job.root, built=built, notebook=f"notebooks/{job.notebook}",
                        parameters=job.parameters)
    pages.check_published(html, where, local=(str(root),))
    for key, geojson in page.geometries.items():  # named by their hash: an existing file is the same shapes
        if not (asset := version / "assets" / f"{key}.js").is_file():
            write_text(geometry_asset(key, geojson), asset)
    write_text(html, version / job.output)  # a new file: the published version keeps its own
    return page


@contextmanager
def _environment(**values):
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
        from . import pages

        entry = manifest[out] = manifest[out] | {"failed": built.isoformat(timespec="seconds")}
        notice = pages.environment().get_template("notice.html.j2").render(**_notice(entry))
        html = (version / out).read_text(encoding="utf-8")
        write_text(with_notice(html, notice), version / out)
        marked.append(out)
    return marked


def _notice(entry: dict) -> dict:
    from .pages import built_text

    return {"as_of": entry["as_of"], "failed": built_text(datetime.fromisoformat(entry["failed"])),
            "built": built_text(datetime.fromisoformat(entry["built"]))}


NOTICE = re.compile(r"<!--sk-notice-->.*?<!--/sk-notice-->", re.S)


def with_notice(html: str, notice: str) -> str:
    """The page with `notice` in its place at the top of <main> (replacing any notice before)."""
    block = f"<!--sk-notice-->{notice}<!--/sk-notice-->"
    if NOTICE.search(html):
        return NOTICE.sub(lambda _: block, html, count=1)
    return html.replace('<main id="main">', f'<main id="main">\n{block}', 1)  # a page from before notices


def _stale(root: Path, state: dict, digests: freeze.Digests, log=print) -> list:
    """Sources whose figures are older than the catalogue allows. The dates the processed tables
    cover are kept in the build's state and read again only when a table changed."""
    from .staleness import Currency

    today = date.today()
    try:
        tables = sorted(p.name for p in (root / "data" / "processed").glob("*.parquet"))
        key = hashlib.sha256(json.dumps([[t, digests(f"file:data/processed/{t}")] for t in tables]).encode()).hexdigest()
        if state.get("currency", {}).get("key") != key:
            from .staleness import currency

            found = currency(root / "data" / "processed")
            state["currency"] = {"key": key, "covers": {s: c.covers_to and c.covers_to.isoformat() for s, c in found.items()}}
        covers = state["currency"]["covers"]
        found = [Currency(s, date.fromisoformat(covers[s]) if covers.get(s) else None, source.max_age_days)
                 for s, source in catalogue.sources().items()]
        return [c for c in found if c.is_stale(today)]
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
    from . import pages

    for name, text in pages.assets().items():
        current = version / "assets" / name
        if not (current.is_file() and current.stat().st_size == len(text.encode("utf-8"))
                and current.read_text(encoding="utf-8") == text):
            write_text(text, current)


def _entry(job: Job, page, built) -> dict:
    return {"report": job.report, "group": job.group, "title": page.title, "summary_html": page.summary_html,
            "as_of": page.as_of, "facts": page.facts, "sources": page.sources, "charts": page.charts,
            "built": built.isoformat(timespec="seconds"), "parameters": job.parameters}


def _index(config: Config, manifest: dict, version: Path, built, stale: list) -> str:
    """The index lists the pages of the version, in the order of reports.toml, each with its notice."""
    from . import pages
    from .facts import format_date

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

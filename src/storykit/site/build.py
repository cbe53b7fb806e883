"""Build reports/ from the notebooks named in reports.toml.

One build at a time (a lock). A page is made again only when something it was made from changed
(storykit.site.freeze: storykit's page code, the notebook, its parameters, what it read while it
ran); `--force` makes every page named. The pages to make run in kernels started once for the build
and reused, several at a time (storykit.site.kernels). Each executed notebook becomes a page
(storykit.site.pages) in a new version of the site (storykit.site.publish), which starts as the
current one: a page not made again stays as it is, and a report that fails keeps its last good
page there, with a notice saying the update failed. The index is made last, from the manifest of
every published page. The version is checked as a whole (storykit.site.checks) and only then
published, in one atomic step. The build then says which report failed, in which cell, and why,
and names stale sources; a webhook may be told too. A disk that fills up stops the build with one
message, and nothing is published.

With nothing to make (every page current, and an index that would come out the same) a build
publishes nothing, starts no kernel and imports neither pandas nor Jupyter.
"""

import errno
import json
import os
import shutil
import socket
import sys
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from .. import alerts
from ..atomic import locked, write_text
from ..errors import StorykitError
from ..paths import project_root
from . import assets, freeze, publish
from .checks import check_page, check_version
from .config import Config, load_config
from .index import index_html, index_key, mark_failed
from .plan import Job, plan
from .state import State

FULL = (errno.ENOSPC, errno.EDQUOT)


class BuildError(StorykitError):
    """Some reports could not be published; the message names each one and why."""


class DiskFull(BuildError):
    """The disk filled up while the build wrote: nothing was published."""


@dataclass
class Run:
    """One build: what it makes, from what, and where; the build's functions share it."""

    root: Path
    config: Config
    jobs: list[Job]
    site: publish.Site
    state: State
    log: object = print
    manifest: dict = field(default_factory=dict)
    digests: freeze.Digests | None = None
    code: str = ""
    texts: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    stale: list = field(default_factory=list)
    version: Path | None = None
    built: datetime | None = None
    assets: dict = field(default_factory=dict)  # the site's assets by name, each written once a page needs it
    pictures: object = None  # the charts' pictures (storykit.site.firstpaint.Pictures), in the new version's assets

    @property
    def work(self) -> Path:
        return self.root / "build"

    def index_key(self) -> str:
        return index_key(self.config, self.manifest, self.stale, self.code)

    def index_is_current(self) -> bool:
        current = self.site.current()
        return current is not None and self.state.get("site") == current.name and \
            self.state.get("index") == self.index_key()


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
    except OSError as e:
        if e.errno not in FULL:
            raise
        error = DiskFull(f"The disk is full: no space left to write {_short(e.filename)}. Nothing was published "
                         "and the site online is unchanged. Free some space on that disk (or move the project), "
                         "then build again.")
        alerts.send(f"storykit build failed on {socket.gethostname()}: {error}", log)
        raise error from None
    except Exception as e:
        alerts.send(f"storykit build failed on {socket.gethostname()}: {e}", log)
        raise


def _short(filename) -> str:
    """The folder of the file that could not be written, as the reporter knows it (in the project)."""
    if not filename:
        return "the project's files"
    folder = Path(filename).parent
    try:
        return f"files in {folder.relative_to(project_root())}/"
    except ValueError:
        return f"files in {folder}"


def _build(reports, force, params, log, wait) -> list[str]:
    root = project_root()
    config = load_config(root)
    run = Run(root, config, plan(config, root, reports, params), publish.Site(root), State(root / "build"), log)
    with locked(run.work / "build.lock", config.lock_wait if wait is None else wait, log,
                hint=", or wait longer with --wait SECONDS"):
        run.site.recover(log)
        for old in run.work.glob("staging-*"):  # left by builds from before site versions
            shutil.rmtree(old, ignore_errors=True)
        todo = _prepare(run, force)
        published, failures = [], {}
        if todo or not run.index_is_current():
            if len(todo) < len(run.jobs):
                log(f"{len(run.jobs) - len(todo)} page(s) up to date; making {len(todo)}")
            published, failures = _publish(run, todo)
        else:
            log(f"nothing to make: all {len(run.jobs)} page(s) are up to date")
        run.state.save()
    _report(run, published, failures)
    return published


def _prepare(run: Run, force: bool) -> list[Job]:
    """Keys and digests of every page named; the pages among them that must be made again."""
    run.manifest = run.site.manifest(legacy=run.work / "site.json")
    run.digests = freeze.Digests(run.root)
    run.code = freeze.code_digest()
    run.texts = {j.notebook: _read(run.root / "notebooks" / j.notebook) for j in run.jobs}
    run.keys = {j.output: _key(run, j) for j in run.jobs}
    run.stale = run.state.stale(run.root, run.digests, run.log)
    current = run.site.current()
    return [j for j in run.jobs if force or current is None or not (current / j.output).is_file()
            or not freeze.is_current(run.manifest.get(j.output), run.keys[j.output], run.digests)]


def _report(run: Run, published: list[str], failures: dict) -> None:
    summary = [f"  {c.message(date.today())}" for c in run.stale]
    if failures:
        raise BuildError(
            f"{len(failures)} of {len(run.jobs)} page(s) were not published (their previous versions, if any, "
            "stay online, marked as out of date):\n  " + "\n  ".join(failures.values())
            + ("\nStale sources (not a failure):\n" + "\n".join(summary) if summary else ""))
    for line in summary:
        run.log(f"stale: {line.strip()}")
    if summary:
        alerts.send(f"storykit build on {socket.gethostname()} published {len(published)} page(s), "
                    "but some sources are stale:\n" + "\n".join(summary), run.log)


def _publish(run: Run, todo: list[Job]):
    """Make the pages of `todo` into a new version of the site, with the index, and publish it."""
    _light_jsonschema()
    from . import kernels

    config = run.config
    workers = min(config.workers or os.cpu_count() or 1, len(todo))
    pool = kernels.Pool(config.kernel, run.root / "notebooks", workers, config.cell_timeout,
                        config.notebook_timeout, config.reuse_kernels) if todo else nullcontext()
    # Kernels inherit the environment: STORYKIT_HOME makes them read this project's data.
    with _environment(STORYKIT_HOME=str(run.root)), pool:  # the kernels start while the build prepares
        run.built = datetime.now(timezone.utc)
        run.version = run.site.begin(f"{run.built:%Y%m%d-%H%M%S-%f}", keep=set(run.manifest))
        try:
            run.assets = _pages().prepare_assets()
            from .firstpaint import Pictures  # the new version starts with the current one's: drawn only once

            run.pictures = Pictures(run.version / "assets" / assets.PICTURES)
            for name in ("style.css", "charts.js"):  # every page and the index load these
                _put_asset(run, name)
            published, failures = _make_pages(run, todo, pool)
            noticed = mark_failed(failures, run.manifest, run.version, run.built)
            # A build whose pages all failed changes nothing, not even the index.
            if published or noticed or (not run.index_is_current() and not failures):
                run.log("checking the new site and publishing it")
                _finish(run)
                run.site.commit(run.version, run.manifest)
                run.state.update(site=run.version.name, index=run.index_key())
            else:
                run.site.discard(run.version)
        except BaseException:
            run.site.discard(run.version)
            raise
    return published, failures


def _light_jsonschema() -> None:
    """nbformat validates notebooks with jsonschema, which imports rfc3987_syntax when it is installed
    (Jupyter's own packages pull it in) and compiles its IRI grammar there: about a second of every
    build. Notebooks hold no IRI to check, so the build's process goes without that checker."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # its import fails; jsonschema then skips "iri"


def _read(notebook: Path) -> str:
    try:
        return notebook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return f"unreadable: {e}"  # its pages fail, saying so; the others go on


def _key(run: Run, job: Job) -> str:
    try:
        nb = json.loads(run.texts[job.notebook])
    except json.JSONDecodeError:
        nb = {"unreadable": run.texts[job.notebook]}  # the run will say what is wrong with it
    return freeze.page_key(run.code, nb, job.parameters, job.output, run.config.kernel)


def _could_not_run(job: Job, e: Exception) -> str:
    if isinstance(e, OSError) and e.errno in FULL:
        raise e  # not this page's fault: the whole build stops
    return f"{job.label}: notebooks/{job.notebook} could not be run ({type(e).__name__}: {e})"


def _tasks(run: Run, todo: list[Job], failures: dict) -> list:
    """A kernel task for each job whose notebook can be read; the others fail here."""
    import nbformat

    from . import kernels

    tasks, notebooks = [], {}
    for job in todo:
        message = f"building {job.output} from notebooks/{job.notebook}"
        try:
            if job.notebook not in notebooks:
                notebooks[job.notebook] = nbformat.reads(run.texts[job.notebook], as_version=4)
        except Exception as e:  # an unreadable notebook: its pages fail, the others go on
            run.log(message)
            failures[job.output] = _could_not_run(job, e)
            run.log(f"  failed: {failures[job.output]}")
            continue
        executed = run.work / "executed" / f"{job.label}.ipynb"
        executed.unlink(missing_ok=True)  # never an earlier run's notebook taken for this one
        tasks.append(kernels.Task(nb=nbformat.from_dict(notebooks[job.notebook]), parameters=job.parameters,
                                  cwd=(run.root / "notebooks" / job.notebook).parent, executed=executed,
                                  where=job.where, message=message, job=job))
    return tasks


def _make_pages(run: Run, todo: list[Job], pool):
    """Run the jobs in the pool's kernels into the new version; a page that fails a check is put back
    as it was."""
    fresh, failures = {}, {}
    tasks = _tasks(run, todo, failures)
    for result in pool.run(tasks, run.log) if tasks else ():
        job = result.task.job
        try:
            if result.error is not None:
                raise result.error
            fresh[job.output] = (_make_page(run, job, result.nb), result.reads)
        except StorykitError as e:
            failures[job.output] = f"{job.label}: {e}"
            run.log(f"  failed: {e}")
        except Exception as e:  # a fault of its own (a missing kernel, an unreadable notebook): this page only
            failures[job.output] = _could_not_run(job, e)
            run.log(f"  failed: {failures[job.output]}")
    return _check_fresh(run, [j for j in todo if j.output in fresh], fresh, failures), failures


def _check_fresh(run: Run, made: list[Job], fresh: dict, failures: dict) -> list[str]:
    """Check the pages made, once all are in place (they may link each other). A page that fails is
    put back as it was, which may break a page linking it: check again until none fails. The pages
    that passed go into the manifest."""
    entries = {j.output: _entry(j, fresh[j.output][0], run.built) for j in made}
    while True:
        refused = {}
        for job in made:
            html = (run.version / job.output).read_text(encoding="utf-8")
            if problems := check_page(html, job.output, run.version, entries[job.output], coming=("index.html",)):
                refused[job.output] = f"{job.label}: the page failed its check: {'; '.join(problems)}."
        for out, problem in refused.items():
            _put_back(run, out)
            failures[out] = problem
            run.log(f"  failed: {problem}")
        made = [j for j in made if j.output not in refused]
        if not refused:
            break
    for job in made:
        page, reads = fresh[job.output]
        cited = {f"catalogue:{s}": run.digests(f"catalogue:{s}") for s in page.sources}
        run.manifest[job.output] = entries[job.output] | {
            "freeze": {"key": run.keys[job.output], "inputs": run.digests.recorded(reads) | cited}}
    return [j.output for j in made]


def _put_back(run: Run, out: str) -> None:
    """The page as the published site has it (or none, if it was never published)."""
    (run.version / out).unlink()
    if (previous := run.site.current()) is not None and (previous / out).is_file():
        os.link(previous / out, run.version / out)


def _make_page(run: Run, job: Job, nb):
    from . import pages
    from .checks import check_published

    page = pages.collect(nb, job.where)
    for line in page.left_out:
        run.log(f"  not on the page: {line}; only page(), say() and charts.show() reach readers")
    html = pages.render(page, root=job.root, built=run.built, notebook=f"notebooks/{job.notebook}",
                        parameters=job.parameters, pictures=run.pictures)
    # Named by what they are drawn from, so a file there is the same picture; the pictures of a page
    # refused below go with the assets no page uses.
    for name, svg in run.pictures.take().items():
        write_text(svg, run.version / "assets" / assets.PICTURES / name)
    check_published(html, job.where, local=(str(run.root),))
    _put_asset(run, assets.page_plotly(page.traces))
    for key, geojson in page.geometries.items():  # named by their hash: an existing file is the same shapes
        if not (asset := run.version / "assets" / f"{key}.js").is_file():
            write_text(assets.geometry_asset(key, geojson), asset)
    write_text(html, run.version / job.output)  # a new file: the published version keeps its own
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


def _finish(run: Run) -> None:
    """The index, the assets the pages use, and the check of the whole version before it may be published."""
    version, manifest = run.version, run.manifest
    for out in [out for out in manifest if not (version / out).is_file()]:
        del manifest[out]  # an entry whose page is gone (removed by hand)
    write_text(index_html(run.config, manifest, version, run.built, run.stale), version / "index.html")
    for asset in assets.unused(version):  # shapes and pictures no page shows any more, a plotly.js no page loads
        asset.unlink()
    if (pictures := version / "assets" / assets.PICTURES).is_dir() and not any(pictures.iterdir()):
        pictures.rmdir()
    problems = check_version(version, list(manifest))
    if problems:
        raise BuildError("The new site failed its check, so nothing was published:\n  " + "\n  ".join(problems))


def _pages():
    from . import pages  # nbconvert and Jinja2: only for a build with something to make

    return pages


def _put_asset(run: Run, name: str) -> None:
    """The asset `name` in the new version as this storykit has it; written only if it differs, and
    only once a page uses it (the full plotly.js weighs 4.8 MB)."""
    text = run.assets.pop(name, None)
    if text is None:
        return  # checked already in this build
    current = run.version / "assets" / name
    if not (current.is_file() and current.stat().st_size == len(text.encode("utf-8"))
            and current.read_text(encoding="utf-8") == text):
        write_text(text, current)


def _entry(job: Job, page, built) -> dict:
    return {"report": job.report, "group": job.group, "title": page.title, "summary_html": page.summary_html,
            "as_of": page.as_of, "facts": page.facts, "sources": page.sources, "charts": page.charts,
            "built": built.isoformat(timespec="seconds"), "parameters": job.parameters}

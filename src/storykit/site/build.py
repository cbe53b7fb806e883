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

A page whose prose alone changed (its code cells, parameters, inputs and storykit's code as they
were) is made from the notebook its last run executed, without a kernel (storykit.site.reuse).

A parameter value that reports.toml does not publish (`-p window_days 30`) makes a trial: the same
build into a site of its own, PRIVATE, which starts as the published one and is never published;
it marks no page as failed online and alerts no one. `storykit preview` and `storykit check` build
there too; `--publish` (publish_trials) publishes a trial's pages instead. A fan-out page asked for
by its key (`-p governorate Idlib`) is that page as published, not a trial.

With nothing to make (every page current, and an index that would come out the same) a build
publishes nothing, starts no kernel and imports neither pandas nor Jupyter.
"""

import json
import os
import shutil
import socket
import sys
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timezone
from pathlib import Path

from .. import alerts
from ..atomic import locked, write_text
from ..errors import StorykitError
from ..paths import project_root
from . import assets, changes, corrections, edition, freeze, history, navigation, publish
from .checks import check_version
from .config import load_config
from .edition import AR, EDITIONS
from .index import index_html, mark_failed
from .plan import Job, plan
from .make import FULL, PRIVATE, Run, last_run, make_pages, page_module, put_asset, start_from
from .progress import Progress
from .state import State



class BuildError(StorykitError):
    """Some reports could not be published; the message names each one and why."""


class DiskFull(BuildError):
    """The disk filled up while the build wrote: nothing was published."""


class Built(list):
    """The pages a build published (or, for a trial, made privately in `private`)."""

    private: Path | None = None


def build(reports: list[str] | None = None, force: bool = False, params: dict | None = None,
          log=print, wait: float | None = None, publish_trials: bool = False, private: bool = False,
          pool=None) -> Built:
    """Build the named reports (all by default) and the index; returns the pages published.

    Only pages whose notebook, parameters, inputs or storykit's code changed are made again;
    `force` makes every page named. `params` overrides parameters of reports.toml ({name: value as
    text}). A value reports.toml does not publish makes a trial, built in PRIVATE and never
    published, unless `publish_trials`; `private` makes any build a trial. `wait`: how long to wait
    for a build already running (default: lock_wait in reports.toml). A preview passes its warm
    `pool` of kernels. Raises BuildError, after publishing what passed, if any page failed; an alert
    goes to the webhook, if one is set (never for a trial).
    """
    tell = lambda message: alerts.send(message, log)  # noqa: E731
    try:
        root = project_root()
        config = load_config(root)
        jobs = plan(config, root, reports, params)
        trial = not private and any(j.tried for j in jobs) and not publish_trials
        private = private or trial
        if private:
            tell = lambda message: None  # noqa: E731 (a trial is the reporter's business, at the terminal)
        run = Run(root, config, jobs, _site(root, private, config.keep_versions), None, log, private, force, pool)
        run.state = State(run.work)
        try:
            return _build(run, wait)
        finally:
            if trial:
                _tell_trial(run)
    except OSError as e:
        if e.errno not in FULL:
            raise
        error = DiskFull(f"The disk is full: no space left to write {_short(e.filename)}. Nothing was published "
                         "and the site online is unchanged. Free some space on that disk (or move the project), "
                         "then build again.")
        tell(f"storykit build failed on {socket.gethostname()}: {error}")
        raise error from None
    except Exception as e:
        tell(f"storykit build failed on {socket.gethostname()}: {e}")
        raise


def _site(root: Path, private: bool, keep: int) -> publish.Site:
    return publish.Site(root / PRIVATE, name="site") if private else publish.Site(root, keep=keep)


def _short(filename) -> str:
    """The folder of the file that could not be written, as the reporter knows it (in the project)."""
    if not filename:
        return "the project's files"
    folder = Path(filename).parent
    try:
        return f"files in {folder.relative_to(project_root())}/"
    except ValueError:
        return f"files in {folder}"


def _build(run: Run, wait: float | None) -> Built:
    config, log = run.config, run.log
    with locked(run.work / "build.lock", config.lock_wait if wait is None else wait, log,
                hint=", or wait longer with --wait SECONDS"):
        run.site.recover(log)
        for old in run.work.glob("staging-*"):  # left by builds from before site versions
            shutil.rmtree(old, ignore_errors=True)
        todo = _prepare(run)
        published, failures = [], {}
        if todo or not run.index_is_current():
            if len(todo) < len(run.jobs):
                log(f"{len(run.jobs) - len(todo)} page(s) up to date; making {len(todo)}")
            started = datetime.now(timezone.utc)
            published, failures = _publish(run, todo)
            if not run.private:  # what `storykit status` tells of the last build; a trial is no build of the site
                history.record(run.work, started=started, finished=datetime.now(timezone.utc), published=published,
                               failed=failures, executed=run.work / "executed",
                               version=run.version.name if run.state.get("site") == run.version.name else None)
        else:
            log(f"nothing to make: all {len(run.jobs)} page(s) are up to date")
        run.state.save()
    built = Built(published)
    built.private = run.site.link if run.private else None
    _report(run, published, failures)
    return built


def _tell_trial(run: Run) -> None:
    tried = {}
    for job in run.jobs:
        for name in job.tried:
            tried.setdefault(name, job.parameters[name])
    if tried:
        names = " ".join(dict.fromkeys(j.report for j in run.jobs))
        flags = " ".join(f"-p {name} {value}" for name, value in tried.items())
        run.log(f"Not published: {', '.join(f'{n} = {v}' for n, v in tried.items())} is not what reports.toml "
                f"publishes, so this build was a trial, made in {PRIVATE}/site/ only. See it with "
                f"`storykit preview {names} {flags}`; publish it with --publish, or set it in reports.toml.")


def _prepare(run: Run) -> list[Job]:
    """Keys and digests of every page named; the pages among them that must be made again."""
    corrections.load(run.root, run.config.outputs())  # a bad corrections.toml stops the build before it runs
    run.manifest = run.site.manifest(legacy=run.work / "site.json")
    if run.private and run.site.current() is None:  # a first trial starts from what readers see
        run.manifest = publish.Site(run.root).manifest(legacy=run.root / "build" / "site.json")
    run.digests = freeze.Digests(run.root)
    run.code = freeze.code_digest()
    run.texts = {j.notebook: _read(run.root / "notebooks" / j.notebook) for j in run.jobs}
    notebooks = {name: _parsed(text) for name, text in run.texts.items()}  # a fan-out's pages share one
    run.keys = {j.output: _key(run, j, notebooks, freeze.page_key) for j in run.jobs}
    run.stale = run.state.stale(run.root, run.digests, run.log)
    current = start_from(run)
    todo = [j for j in run.jobs if run.force or current is None or not (current / j.output).is_file()
            or not freeze.is_current(run.manifest.get(j.output), run.keys[j.output], run.digests)]
    run.run_keys = {j.output: _key(run, j, notebooks, freeze.run_key) for j in todo}  # only pages to make need it
    return todo


def _report(run: Run, published: list[str], failures: dict) -> None:
    summary = [f"  {c.message(date.today())}" for c in run.stale]
    if failures:
        what = ("could not be made in this trial (nothing is published by a trial)" if run.private else
                "were not published (their previous versions, if any, stay online, marked as out of date)")
        raise BuildError(
            f"{len(failures)} of {len(run.jobs)} page(s) {what}:\n  " + "\n  ".join(failures.values())
            + ("\nStale sources (not a failure):\n" + "\n".join(summary) if summary else ""))
    for line in summary:
        run.log(f"stale: {line.strip()}")
    if summary:
        alerts.send(f"storykit build on {socket.gethostname()} published {len(published)} page(s), "
                    "but some sources are stale:\n" + "\n".join(summary), run.log)


def _publish(run: Run, todo: list[Job]):
    """Make the pages of `todo` into a new version of the site, with the index, and publish it.

    Pages whose prose alone changed are made from their last run; the others run in the preview's warm
    kernels (run.pool), or in kernels started for this build."""
    _light_jsonschema()
    pool = run.pool
    again = {} if run.force else {j.output: nb for j in todo if (nb := last_run(run, j)) is not None}
    to_run = [j for j in todo if j.output not in again]
    own = pool is None and to_run
    if own:
        from . import kernels

        pool = kernels.Pool.for_site(run.config, run.root, len(to_run))
    # Kernels inherit the environment: STORYKIT_HOME makes them read this project's data.
    with _environment(STORYKIT_HOME=str(run.root)), pool if own else nullcontext():  # kernels start meanwhile
        run.built = datetime.now(timezone.utc)
        run.version = run.site.begin(publish.version_name(run.built),
                                     keep=set(edition.pages(run.manifest)) | set(changes.FILES),
                                     start=start_from(run))
        try:
            run.assets = page_module().prepare_assets(warm=bool(to_run))
            from .firstpaint import Pictures  # the new version starts with the current one's: drawn only once

            run.pictures = Pictures(run.version / "assets" / assets.PICTURES)
            for name in ("style.css", "charts.js"):  # every page and the index load these
                put_asset(run, name)
            log = run.log
            with Progress(len(todo), log=log) as progress:
                run.log = progress.log  # above the bar, on a terminal
                try:
                    published, failures = make_pages(run, to_run, again, pool, progress)
                finally:
                    run.log = log
            if len(todo) > 1:
                run.log("time per page, slowest first:\n" + "\n".join(progress.summary()))
            # A trial's failure is the reporter's to read at the terminal: it marks no page.
            noticed = [] if run.private else mark_failed(failures, run.manifest, run.version, run.built)
            # A build whose pages all failed changes nothing, not even the index.
            if published or noticed or (not run.index_is_current() and not failures):
                run.log("checking the new site and publishing it" if not run.private else "checking the trial site")
                _finish(run)
                run.site.commit(run.version, run.manifest)
                changes.tell(run, run.log)  # the headline figures it changed, to the webhook
                run.state.update(site=run.version.name, index=run.index_key())
            else:
                run.site.discard(run.version)
        except BaseException:
            run.site.discard(run.version)
            raise
    return published, failures


# jsonschema's checkers of string formats, each imported if installed (Jupyter's own packages pull
# them in); rfc3987_syntax compiles its IRI grammar on import: about a second of every build.
FORMAT_CHECKERS = ("rfc3987_syntax", "isoduration", "webcolors", "uri_template", "fqdn", "jsonpointer",
                   "rfc3339_validator", "rfc3986_validator")


def _light_jsonschema() -> None:
    """nbformat validates notebooks with jsonschema, whose format checkers cost a page made without a
    kernel a good part of its time. Notebooks hold no IRI, duration, colour or URI template to check, so
    the build's process goes without those checkers (an import that fails: jsonschema then skips it)."""
    if "jsonschema" not in sys.modules:
        for name in FORMAT_CHECKERS:
            sys.modules.setdefault(name, None)


def _read(notebook: Path) -> str:
    try:
        return notebook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return f"unreadable: {e}"  # its pages fail, saying so; the others go on


def _parsed(text: str) -> dict:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"unreadable": text}  # the run will say what is wrong with it


def _key(run: Run, job: Job, notebooks: dict, key) -> str:
    return key(run.code, notebooks[job.notebook], job.parameters, job.output, run.config.kernel)


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
    for out in [out for out, e in manifest.items() if e.get(AR.code) and not (version / AR.folder / out).is_file()]:
        del manifest[out][AR.code]  # its Arabic page is gone
    navigation.stamp_site(run.config, manifest, version)  # the menus, once every page is there
    changes.publish(run)  # what changed: the log, and every page's dates and entries
    for ed in EDITIONS:  # each edition's index
        write_text(index_html(run.config, manifest, version, run.built, run.stale, ed), version / ed.folder / "index.html")
    for asset in assets.unused(version):  # shapes and pictures no page shows any more, a plotly.js no page loads
        asset.unlink()
    if (pictures := version / "assets" / assets.PICTURES).is_dir() and not any(pictures.iterdir()):
        pictures.rmdir()
    # A page hard-linked from the version this one started as is that version's file, checked when it
    # was published; the assets it loads are still here (assets.unused keeps what any page loads).
    start = start_from(run)
    pages = edition.pages(manifest)
    same = {out for out in pages if start is not None and (start / out).is_file()
            and os.path.samefile(start / out, version / out)}
    problems = check_version(version, pages, checked=same)
    if problems:
        raise BuildError("The new site failed its check, so nothing was published:\n  " + "\n  ".join(problems))

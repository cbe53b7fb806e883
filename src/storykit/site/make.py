"""The pages of one build, made into its new version: run in a kernel, or, when only their prose
changed, made from their last run (storykit.site.reuse); each checked, and put back as it was if
it fails. The build (storykit.site.build) decides what to make and publishes the version.
"""

import errno
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..atomic import write_text
from ..errors import StorykitError
from . import assets, changes, freeze, publish, reuse
from .checks import PageError, check_page
from .edition import AR, EN
from .config import Config
from .index import index_key
from .plan import Job
from .state import State

PRIVATE = "build/preview"  # trials, previews and checks: a site of their own, never published
FULL = (errno.ENOSPC, errno.EDQUOT)


@dataclass
class Run:
    """One build: what it makes, from what, and where; the build's functions share it."""

    root: Path
    config: Config
    jobs: list[Job]
    site: publish.Site
    state: State
    log: object = print
    private: bool = False  # a trial: made in PRIVATE, never published, no notice, no alert
    force: bool = False  # every page named made again, each in a kernel
    pool: object = None  # kernels kept warm by a preview (storykit.site.kernels.Pool); else the build starts its own
    manifest: dict = field(default_factory=dict)
    digests: freeze.Digests | None = None
    code: str = ""
    texts: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    run_keys: dict = field(default_factory=dict)  # the keys without prose (storykit.site.reuse)
    notebooks: dict = field(default_factory=dict)  # each notebook as nbformat read it, once per build
    stale: list = field(default_factory=list)
    version: Path | None = None
    built: datetime | None = None
    assets: dict = field(default_factory=dict)  # the site's assets by name, each written once a page needs it
    pictures: object = None  # the charts' pictures (storykit.site.firstpaint.Pictures), in the new version's assets
    arabic_failures: dict = field(default_factory=dict)  # {page: why its Arabic edition was not published}

    @property
    def work(self) -> Path:
        return self.root / (PRIVATE if self.private else "build")

    def executed(self, job: Job) -> Path:
        """The notebook as the page's last run left it, for the reporter to look at and for `reuse`."""
        return self.work / "executed" / f"{job.label}.ipynb"

    def index_key(self) -> str:
        # corrections.toml too: a correction alone publishes the pages that show it, the log and the feed
        return index_key(self.config, self.manifest, self.stale, self.code) + ":" + changes.sources_key(self.root)

    def index_is_current(self) -> bool:
        current = self.site.current()
        return current is not None and self.state.get("site") == current.name and \
            self.state.get("index") == self.index_key()


def start_from(run: Run) -> Path | None:
    """The version a new one starts as: the current one, or for a first trial the published site."""
    current = run.site.current()
    return publish.Site(run.root).current() if current is None and run.private else current


def last_run(run: Run, job: Job):
    """The notebook the page's last run executed, with its prose as it is now, if only its prose changed
    since and that notebook is still there as it was; else None."""
    entry = run.manifest.get(job.output)
    if not (freeze.is_current(entry, run.run_keys[job.output], run.digests, field="run")
            and reuse.digest(run.executed(job)) == entry["freeze"].get("executed")):
        return None
    try:
        return reuse.merged(_notebook(run, job), run.executed(job), job.parameters)
    except Exception:  # noqa: BLE001 (a notebook nbformat cannot read: the kernel run says why)
        return None


def _could_not_run(job: Job, e: Exception) -> str:
    if isinstance(e, OSError) and e.errno in FULL:
        raise e  # not this page's fault: the whole build stops
    return f"{job.label}: notebooks/{job.notebook} could not be run ({type(e).__name__}: {e})"


def _tasks(run: Run, todo: list[Job], failures: dict) -> list:
    """A kernel task for each job whose notebook can be read; the others fail here."""
    from . import kernels

    tasks = []
    for job in todo:
        message = f"building {job.output} from notebooks/{job.notebook}"
        try:
            nb = _notebook(run, job)
        except Exception as e:  # an unreadable notebook: its pages fail, the others go on
            run.log(message)
            failures[job.output] = _could_not_run(job, e)
            run.log(f"  failed: {failures[job.output]}")
            continue
        executed = run.executed(job)
        executed.unlink(missing_ok=True)  # never an earlier run's notebook taken for this one
        tasks.append(kernels.Task(nb=nb, parameters=job.parameters, cwd=(run.root / "notebooks" / job.notebook).parent,
                                  executed=executed, where=job.where, message=message, job=job))
    return tasks


def _notebook(run: Run, job: Job):
    """The job's notebook as a fresh NotebookNode: read and validated once per notebook (a fan-out's
    pages share one), copied for each page, which changes its own."""
    import nbformat

    if job.notebook not in run.notebooks:
        run.notebooks[job.notebook] = nbformat.reads(run.texts[job.notebook], as_version=4)
    return nbformat.from_dict(run.notebooks[job.notebook])


def make_pages(run: Run, to_run: list[Job], again: dict, pool, progress):
    """Make the pages of `again` ({page: its last run's notebook}) without a kernel and run `to_run` in
    the pool's kernels, into the new version; a page that fails a check is put back as it was."""
    fresh, failures = {}, {}
    for job in [j for j in run.jobs if j.output in again]:
        nb = again[job.output]
        progress.started(job.output, "making again from its last run, without a kernel (only its prose changed):")
        write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", run.executed(job))
        inputs = run.manifest[job.output]["freeze"]["inputs"]
        _made(run, job, fresh, failures, lambda job=job, nb=nb: (_make_page(run, job, nb), inputs))
        progress.finished(job.output, job.output in fresh)
    tasks = _tasks(run, to_run, failures)
    for result in pool.run(tasks, run.log, keep=True, started=lambda task: progress.started(task.job.output)) \
            if tasks else ():
        job = result.task.job

        def page(result=result, job=job):
            if result.error is not None:
                raise result.error
            return _make_page(run, job, result.nb), run.digests.recorded(result.reads)
        _made(run, job, fresh, failures, page)
        progress.finished(job.output, job.output in fresh)
    made = [j for j in run.jobs if j.output in fresh]
    return _check_fresh(run, made, fresh, failures), failures


def _made(run: Run, job: Job, fresh: dict, failures: dict, make) -> None:
    """Make one page (`make()` returns it and its inputs' digests) into `fresh`, or its failure."""
    try:
        fresh[job.output] = make()
    except StorykitError as e:
        failures[job.output] = f"{job.label}: {e}"
        run.log(f"  failed: {e}")
    except Exception as e:  # a fault of its own (a missing kernel, an unreadable notebook): this page only
        failures[job.output] = _could_not_run(job, e)
        run.log(f"  failed: {failures[job.output]}")


def _check_fresh(run: Run, made: list[Job], fresh: dict, failures: dict) -> list[str]:
    """Check the pages made, once all are in place (they may link each other). A page that fails is
    put back as it was, which may break a page linking it: check again until none fails. The pages
    that passed go into the manifest."""
    entries = {j.output: _entry(j, fresh[j.output][0], run.built) for j in made}
    _check_arabic(run, made, entries)
    while True:
        refused = {}
        for job in made:
            html = (run.version / job.output).read_text(encoding="utf-8")
            if problems := check_page(html, job.output, run.version, entries[job.output], coming=("index.html",) + changes.FILES):
                refused[job.output] = f"{job.label}: the page failed its check: {'; '.join(problems)}."
        for out, problem in refused.items():
            _put_back(run, out)
            failures[out] = problem
            run.log(f"  failed: {problem}")
        made = [j for j in made if j.output not in refused]
        if not refused:
            break
    for job in made:
        page, inputs = fresh[job.output]
        cited = {f"catalogue:{s}": run.digests(f"catalogue:{s}") for s in page.sources}
        run.manifest[job.output] = entries[job.output] | {"freeze": {
            "key": run.keys[job.output], "run": run.run_keys[job.output], "inputs": inputs | cited,
            "executed": reuse.digest(run.executed(job))}}
    return [j.output for j in made]


def _check_arabic(run: Run, made: list[Job], entries: dict) -> None:
    """The Arabic pages made pass the same check as the English; one that fails is not published."""
    for job in made:
        if (ar := entries[job.output].get(AR.code)) is None:
            continue
        out = AR.folder + job.output
        html = (run.version / out).read_text(encoding="utf-8")
        if problems := check_page(html, out, run.version, ar, coming=("index.html", AR.folder + "index.html")
                                  + changes.FILES):
            del entries[job.output][AR.code]
            _no_arabic(run, job.output, f"{job.label}: the Arabic page failed its check: {'; '.join(problems)}.")


def _put_back(run: Run, out: str) -> None:
    """The page as the published site has it (or none, if it was never published), in both editions."""
    if (arabic := run.version / (AR.folder + out)).is_file():
        arabic.unlink()
        if (previous := start_from(run)) is not None and (previous / AR.folder / out).is_file():
            os.link(previous / AR.folder / out, arabic)
    (run.version / out).unlink()
    if (previous := start_from(run)) is not None and (previous / out).is_file():
        os.link(previous / out, run.version / out)


def _make_page(run: Run, job: Job, nb):
    """The page in English, then in Arabic (ar/<page>). A page whose Arabic cannot be published (missing,
    out of step with the English, or failing a check) publishes in English alone, and the build says why."""
    page = _make_edition(run, job, nb, EN)
    try:
        page.arabic = _make_edition(run, job, nb, AR)
    except PageError as e:
        _no_arabic(run, job.output, str(e))
    return page


def _no_arabic(run: Run, out: str, why: str) -> None:
    (run.version / (AR.folder + out)).unlink(missing_ok=True)  # no Arabic page out of step with the English
    run.arabic_failures[out] = why
    run.log(f"  not published in Arabic: {why}")


def _make_edition(run: Run, job: Job, nb, edition):
    from . import embeds, pages, sharecard
    from .checks import check_published

    page = pages.collect(nb, job.where, edition)
    out, root = edition.folder + job.output, "../" * edition.folder.count("/") + job.root
    for line in page.left_out if not edition.folder else ():
        run.log(f"  not on the page: {line}; only page(), say() and charts.show() reach readers")
    share = sharecard.for_page(run.version, page, assets.plotly_file(assets.page_plotly(page.traces)),  # og:image
                               root=root, site_url=run.config.url)
    html = pages.render(page, root=root, built=run.built, notebook=f"notebooks/{job.notebook}",
                        parameters=job.parameters, pictures=run.pictures, share=share)
    # Each chart's embed page, CSV and metadata, and the links to them beside it.
    html = embeds.publish(run.version, out, root, page, html, url=run.config.url, share=share)
    # Named by what they are drawn from, so a file there is the same picture; the pictures of a page
    # refused below go with the assets no page uses.
    for name, svg in run.pictures.take().items():
        write_text(svg, run.version / "assets" / assets.PICTURES / name)
    check_published(html, f"{job.where} ({edition.name})" if edition.folder else job.where, local=(str(run.root),))
    put_asset(run, assets.page_plotly(page.traces))
    for key, geojson in page.geometries.items():  # named by their hash: an existing file is the same shapes
        if not (asset := run.version / "assets" / f"{key}.js").is_file():
            write_text(assets.geometry_asset(key, geojson), asset)
    write_text(html, run.version / out)  # a new file: the published version keeps its own
    return page


def page_module():
    from . import pages  # nbconvert and Jinja2: only for a build with something to make

    return pages


def put_asset(run: Run, name: str) -> None:
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
    """The page's manifest entry; its Arabic edition's under "ar", if it was made."""
    ar = page.arabic and {"title": page.arabic.title, "summary_html": page.arabic.summary_html,
                          "as_of": page.arabic.as_of, "facts": page.arabic.facts, "charts": page.arabic.charts}
    return {"report": job.report, "group": job.group, "title": page.title, "summary_html": page.summary_html,
            "as_of": page.as_of, "facts": page.facts, "sources": page.sources, "charts": page.charts,
            "built": built.isoformat(timespec="seconds"), "parameters": job.parameters} | ({"ar": ar} if ar else {})

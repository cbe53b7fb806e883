"""Benchmark one edit of a notebook's prose against Jupyter Book 1: a sentence added to a Markdown cell
of notebooks/truce.ipynb, then the site made again. Prints both medians, their ratio and the machine.

    .venv/bin/python benchmarks/markdown_edit.py        # -n RUNS (default 7); needs data/processed

Both sides work in copies under /tmp, so this project's reports/, build/ and notebooks are never
touched: a copy of the project (notebooks/, reports.toml and data/; storykit itself is the package
installed in this .venv, found through STORYKIT_HOME) and a Jupyter Book made from its truce notebook
(`execute_notebooks: cache`). Jupyter Book 1 lives in a venv of its own under /tmp (made with
`pip install "jupyter-book<2"` on the first run, kept for the next); its kernel is this .venv's
`python3` kernel, the one `storykit build` runs, through a copy of its kernelspec on JUPYTER_PATH, so
both sides run the notebook with the same packages. Each side builds once (its page made and its
cache filled), then, run after run, alternating: the same new sentence (plain words, no digits, a
different one each run) is added to the same cell of each side's notebook, and `storykit build truce`
or `jupyter-book build` is timed as a user types it, wall clock. Each run checks that the sentence
reached the published page. The first pair is a warm-up, not counted. The summary says in how many
runs storykit ran the notebook in a kernel (it must not, for prose alone; it does when storykit's own
code changed during the run, since every page depends on it) and in how many Jupyter Book took the
outputs from its cache.
"""

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import BIN, ROOT, machine, made  # noqa: E402 (the harness's helpers live beside it)

REPORT = "truce"
NOTEBOOK = f"{REPORT}.ipynb"
JUPYTER_BOOK = "jupyter-book<2"
CACHED = "Using cached notebook"  # what myst-nb says when jupyter-cache had the outputs
VENV = Path(tempfile.gettempdir()) / "storykit-jupyter-book"  # kept between runs: installing takes a minute
# Words for the sentences added: every run gets a new combination, none of them a figure.
WHO = ("Reporters", "Editors", "Readers", "Analysts", "Translators", "Researchers", "Fact checkers")
DID = ("checked", "questioned", "read", "compared", "traced", "revisited", "annotated")
WHAT = ("this account", "these records", "the daily counts", "the weekly totals", "the place names")
WHEN = ("again", "carefully", "once more", "before publication", "with the sources open")


def timed(cmd, cwd: Path, env: dict | None = None) -> tuple[float, str]:
    """Seconds the command took, and what it printed; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          env=os.environ | (env or {}))
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout + done.stderr


def project_copy(where: Path) -> Path:
    """What `storykit build` reads of a project, copied: the tables are copied too (1 MB), so that
    nothing the build records as read leads back into this project."""
    copy = where / "project"
    shutil.copytree(ROOT / "notebooks", copy / "notebooks")
    shutil.copy2(ROOT / "reports.toml", copy)
    shutil.copytree(ROOT / "data" / "processed", copy / "data" / "processed")
    (copy / "data" / "raw").symlink_to(ROOT / "data" / "raw")  # not read by a build: linked, not copied
    return copy


def book(project: Path, where: Path) -> Path:
    """A Jupyter Book of one page, the project's truce notebook, executed through jupyter-cache."""
    folder = where / "book"
    folder.mkdir()
    shutil.copy2(project / "notebooks" / NOTEBOOK, folder)
    (folder / "_toc.yml").write_text(f"format: jb-book\nroot: {REPORT}\n", encoding="utf-8")
    (folder / "_config.yml").write_text(
        f"title: {REPORT}\nonly_build_toc_files: true\n"
        "execute:\n  execute_notebooks: cache\n  timeout: 600\n", encoding="utf-8")
    return folder


def jupyter_book(venv: Path) -> Path:
    """The jupyter-book command of Jupyter Book 1, installed into `venv` if it is not there yet."""
    command = venv / "bin" / "jupyter-book"
    if not command.exists():
        print(f"installing {JUPYTER_BOOK} into {venv} (once)", flush=True)
        timed([sys.executable, "-m", "venv", venv], cwd=Path.cwd())
        timed([venv / "bin" / "pip", "install", "-q", JUPYTER_BOOK], cwd=Path.cwd())
    return command


def kernel_path(where: Path) -> Path:
    """A JUPYTER_PATH whose `python3` kernel is the one `storykit build` runs here (this .venv's), so
    that the book's notebook can import storykit; nothing is installed into this .venv."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    shutil.copytree(spec.resource_dir, where / "jupyter" / "kernels" / "python3")
    return where / "jupyter"


def sentences():
    """A new sentence each time, of plain words: a digit would be a figure the page must trace."""
    for who, did, what, when in itertools.product(WHO, DID, WHAT, WHEN):
        yield f"{who} {did} {what} {when}."


def add_sentence(notebook: Path, sentence: str) -> None:
    """Appends `sentence` to the notebook's first Markdown cell, as a reporter typing it would."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    source = "".join(cell["source"]).rstrip("\n") + " " + sentence
    cell["source"] = source.splitlines(keepends=True)
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def check_published(page: Path, sentence: str, side: str) -> None:
    if sentence not in page.read_text(encoding="utf-8"):
        sys.exit(f"{side}: the sentence {sentence!r} is not in {page} after the build")


def check_executed(output: str) -> None:
    """Jupyter Book only warns when the notebook fails; a failed run would time nothing worth timing."""
    failed = [line for line in output.splitlines() if "failed" in line.lower() and "mystnb" in line.lower()]
    if failed:
        sys.exit("jupyter-book could not execute the notebook:\n" + "\n".join(failed) + "\n" + output[-3000:])


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def memory() -> str:
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        return "memory unknown"
    return f"{kb / 1024 ** 2:.0f} GiB of memory"


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=7, help="counted runs of each side (default 7)")
    parser.add_argument("--venv", type=Path, default=VENV, help=f"Jupyter Book's venv (default {VENV})")
    args = parser.parse_args()

    command = jupyter_book(args.venv)
    version = timed([command, "--version"], cwd=Path.cwd())[1].strip()
    print(f"markdown edit, {date.today()}, {machine()}, {memory()}, {load()}", flush=True)
    print(version.replace("\n", "; "), flush=True)

    where = Path(tempfile.mkdtemp(prefix="storykit-markdown-edit-"))
    print(f"working in {where} (removed at the end; kept if a build fails, to look at)", flush=True)
    project = project_copy(where)
    folder = book(project, where)
    env = {"STORYKIT_HOME": str(project)}  # the book's kernel reads the copy's tables too
    book_env = env | {"JUPYTER_PATH": str(kernel_path(where))}
    storykit = [BIN / "storykit", "build", REPORT]
    jb = [command, "build", folder]
    sides = {
        "storykit": (storykit, project, env, project / "notebooks" / NOTEBOOK, project / "reports" / f"{REPORT}.html"),
        "Jupyter Book": (jb, folder, book_env, folder / NOTEBOOK, folder / "_build" / "html" / f"{REPORT}.html"),
    }

    seconds, output = timed(storykit, project, env)
    print(f"first build, storykit build {REPORT} (kernel): {seconds:.1f} s", flush=True)
    seconds, output = timed(jb, folder, book_env)
    check_executed(output)
    print(f"first build, jupyter-book build (executes, fills its cache): {seconds:.1f} s", flush=True)

    times = {side: [] for side in sides}
    cached = 0  # runs in which Jupyter Book took the outputs from its cache rather than a kernel
    kernel = 0  # runs in which storykit ran the notebook again ("building ..."), not only its prose
    words = sentences()
    for i in range(args.runs + 1):  # run 0 is the warm-up
        sentence = next(words)
        for side, (cmd, cwd, side_env, notebook, page) in sides.items():
            add_sentence(notebook, sentence)
            seconds, output = timed(cmd, cwd, side_env)
            check_published(page, sentence, side)
            if side == "storykit":
                kernel += bool(i) and made(output) > 0
            if side == "Jupyter Book":
                check_executed(output)
                cached += bool(i) and CACHED in output
            if i:
                times[side].append(seconds)
        if i:
            print(f"run {i}: " + ", ".join(f"{s} {t[-1]:.2f} s" for s, t in times.items()), flush=True)

    ratios = [a / b for a, b in zip(times["storykit"], times["Jupyter Book"])]
    print(f"\nafter a sentence added to a Markdown cell of notebooks/{NOTEBOOK}, {args.runs} runs each, "
          f"{load()}:")
    print(f"  storykit build {REPORT}:  {spread(times['storykit'])}  "
          f"(goal: at most 1 s; notebook run in a kernel in {kernel} of {args.runs} runs)")
    print(f"  jupyter-book build:   {spread(times['Jupyter Book'])}  "
          f"(outputs from its cache, no kernel, in {cached} of {args.runs} runs)")
    print(f"  storykit / Jupyter Book, run by run: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    shutil.rmtree(where)


if __name__ == "__main__":
    main()

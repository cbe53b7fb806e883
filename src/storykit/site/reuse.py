"""A page made again without a kernel, when only its prose changed.

A kernel runs code cells only. When a notebook's code cells, parameters, inputs and storykit's code
are those its published page was made with (the same run key, storykit.site.freeze), the outputs of
its code cells would come out the same: the build takes them from the notebook that run left
(build/executed/<page>.ipynb, checked against the digest the manifest recorded) and puts the
notebook's Markdown cells, as they are now, between them. The page then goes through every check a
page made by a kernel goes through.
"""

import hashlib
from pathlib import Path

from ..notebook.contract import is_injected
from .parameters import inject


def digest(path: Path) -> str | None:
    """The SHA-256 of an executed notebook as written, or None if it is not there."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def merged(nb, executed: Path, parameters: dict):
    """`nb` (the notebook as it is now, a NotebookNode of the caller's own, changed here) with each code
    cell's outputs from the executed notebook; None if that notebook is unreadable or its code cells
    are not the same ones."""
    import nbformat

    try:
        ran = nbformat.read(executed, as_version=4)
    except Exception:  # noqa: BLE001 (gone, half-written by hand, another format: run the kernel instead)
        return None
    now = inject(nb, parameters)
    before = [c for c in ran.cells if c.cell_type == "code"]
    code = [i for i, c in enumerate(now.cells) if c.cell_type == "code"]
    if len(before) != len(code) or any(now.cells[i].source != c.source or is_injected(now.cells[i]) != is_injected(c)
                                       for i, c in zip(code, before)):
        return None
    for i, cell in zip(code, before):
        now.cells[i] = cell
    now.metadata = ran.metadata
    return now

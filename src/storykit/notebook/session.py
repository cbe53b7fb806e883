"""A page's session in a kernel the build reuses: what the build calls there before and after each page.

Standard library only until `warm`: the build names this module, not the ones it warms up.
"""

import itertools
import os

from . import reads

_charts = itertools.count(1)


def warm() -> None:
    """Import, once per kernel, what every page imports, while the build is still preparing."""
    from .. import charts, data  # noqa: F401


def begin_page(cwd: str) -> None:
    """A fresh namespace, chart numbers from 1, the notebook's folder as working directory, and the
    page's inputs recorded from now on."""
    global _charts
    from IPython import get_ipython

    from ..paths import project_root

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("reset", "-f")  # the previous page's variables are gone
        shell.execution_count = 1
    _charts = itertools.count(1)  # chart ids on a page do not depend on the pages before it
    os.chdir(cwd)
    reads.start(str(project_root()))


def end_page() -> str:
    """What the page read, as JSON (storykit.notebook.reads)."""
    return reads.stop()


def next_chart() -> int:
    """The number of the next chart on the page being made (or in this notebook session)."""
    return next(_charts)

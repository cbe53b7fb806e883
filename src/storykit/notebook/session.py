"""A page's session in a kernel the build reuses: what the build calls there before and after each page.

Standard library only until `warm`: the build names this module, not what it warms up.
"""

import os

from . import contract, reads


def warm() -> None:
    """Import, once per kernel, the libraries every page's notebook API needs (what takes the time:
    storykit's own modules are small), while the build is still preparing."""
    import pandas  # noqa: F401
    import plotly.express  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def begin_page(cwd: str) -> None:
    """A fresh namespace, chart numbers from 1, the notebook's folder as working directory, and the
    page's inputs recorded from now on."""
    from IPython import get_ipython

    from ..paths import project_root

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("reset", "-f")  # the previous page's variables are gone
        shell.execution_count = 1
    contract.restart_charts()  # chart ids on a page do not depend on the pages before it
    os.chdir(cwd)
    reads.start(str(project_root()))


def end_page() -> str:
    """What the page read, as JSON (storykit.notebook.reads)."""
    return reads.stop()

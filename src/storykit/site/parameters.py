"""A notebook's parameters, as Papermill lays them out: the defaults in the cell tagged `parameters`,
and the values of one build in a cell tagged `injected-parameters` just after it.

Injected without importing Papermill: its start-up alone costs seconds.
"""

import ast
import math
import re

from ..errors import StorykitError
from ..notebook.contract import INJECTED_TAG, cell_source, is_injected, parameters_index


def defaults(nb: dict) -> dict:
    """The names the parameters cell binds, with their literal values (None where not a literal)."""
    cells = nb.get("cells", [])
    at = parameters_index(cells)
    found = {}
    for node in ast.parse(cell_source(cells[at])).body if at is not None else ():
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value else []
        for t in targets:
            if isinstance(t, ast.Name):
                try:
                    found[t.id] = ast.literal_eval(node.value)
                except ValueError:
                    found[t.id] = None
    return found


KINDS = {bool: "yes or no (true or false)", int: "a whole number", float: "a number"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def typed(value: str, default, name: str):
    """A command-line value in the type of the parameter's default; a date only as YYYY-MM-DD."""
    kind = type(default)
    try:
        if kind is bool:
            if value.lower() in ("true", "yes", "1"):
                return True
            if value.lower() in ("false", "no", "0"):
                return False
            raise ValueError
        if kind in (int, float):
            return kind(value)
    except ValueError:
        raise StorykitError(f"-p {name} {value}: {name} takes {KINDS[kind]} (its default is {default!r}).") from None
    if isinstance(default, str) and ISO_DATE.fullmatch(default) and not _iso_date(value):
        raise StorykitError(f"-p {name} {value}: {name} is a date; write it as year-month-day, as in its default "
                            f"{default!r} (01/03/2017 could be 1 March or 3 January: write 2017-03-01 or 2017-01-03).")
    return value


def _iso_date(text: str) -> bool:
    from datetime import date

    try:
        return bool(ISO_DATE.fullmatch(text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


def inject(nb, parameters: dict):
    """The notebook (a NotebookNode) with `parameters` in a cell tagged injected-parameters after the
    parameters cell (at the top if there is none), replacing one an earlier run left."""
    import nbformat

    if not parameters:
        return nb
    source = "# Parameters\n" + "".join(f"{name} = {literal(value)}\n" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [INJECTED_TAG]
    cells = [c for c in nb.cells if not is_injected(c)]
    at = parameters_index(cells)
    at = 0 if at is None else at + 1
    nb.cells = cells[:at] + [cell] + cells[at:]
    return nb


def literal(value) -> str:
    """Python source for a parameter value from reports.toml or the command line."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(str(value))  # a TOML date or time: as text, as Papermill does

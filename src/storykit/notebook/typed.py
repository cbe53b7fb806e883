"""A value typed by hand into fact() in a notebook cell, found from the cell's own source.

Only calls from IPython cells are judged (the package's own code and tests call fact() with values
of their own); IPython keeps each cell's source in linecache, and the calling frame's position in it
gives the exact call. Standard library only.
"""

import ast
import linecache
import sys
from functools import lru_cache


def typed_by_hand(what: str, calls_from: str) -> str | None:
    """Why fact(71970, ...) or people(-5 + 3, ...) called from a notebook cell is refused, or None.
    `calls_from`: the module of fact() and people(), whose frames lead up to the cell.

    A figure typed by hand would stay the same when the data changes, and the page would go on
    printing it as traced. Only calls from IPython cells are checked: the package's own code and
    tests call fact() with values of their own. The call is found from the calling frame's position
    in the cell's source (IPython keeps it in linecache), so only the value as written is judged.
    """
    frame = _cell_frame(calls_from)
    if frame is None:
        return None
    source = "".join(linecache.getlines(frame.f_code.co_filename))
    call = _call_at(source, frame)
    value = _value_argument(call) if call is not None else None
    if value is None or not _typed(value):
        return None
    written = ast.get_source_segment(source, value) or "the value"
    name = ast.get_source_segment(source, call.func) or "fact"
    return (
        f"{name}({written}, ...) on line {call.lineno} of this cell, for {what!r}: {written} is typed by hand, "
        "so it would not change when the data does. Compute it from the data, e.g. "
        f"{name}(int(table[\"deaths\"].sum()), ...) on a table from storykit.data. If it is not a figure "
        f"(a resolution's number, the date of an event), write it with noted({written}, why=\"what it is and "
        "where it comes from\") instead.")


def _cell_frame(calls_from: str):
    """The frame of the notebook cell (or a function defined in one) that called in here, if any."""
    ipython = sys.modules.get("IPython")  # never imported here: outside a notebook there is nothing to check
    shell = ipython.get_ipython() if ipython is not None else None
    named = getattr(getattr(shell, "compile", None), "format_code_name", None)
    if named is None:
        return None
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in (__name__, calls_from):
        frame = frame.f_back  # people() calls fact(): the cell is further up
    return frame if frame is not None and named(frame.f_code.co_filename) else None


def _call_at(source: str, frame) -> ast.Call | None:
    """The call the frame is executing, found by the source positions of its current instruction."""
    positions = list(frame.f_code.co_positions())
    at = frame.f_lasti // 2  # one position per 2-byte code unit
    if not 0 <= at < len(positions) or None in positions[at]:
        return None
    for node in ast.walk(_parsed(source)):
        if isinstance(node, ast.Call) and (node.lineno, node.end_lineno, node.col_offset,
                                           node.end_col_offset) == positions[at]:
            return node
    return None


@lru_cache(maxsize=16)
def _parsed(source: str) -> ast.AST:
    try:
        return ast.parse(source)
    except SyntaxError:  # not plain Python (a magic IPython did not transform): nothing to judge
        return ast.Module(body=[], type_ignores=[])


def _value_argument(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "value"), None)


def _typed(node: ast.expr) -> bool:
    """A number written out: 71970, -5, 12 * 7, float(3)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _typed(node.operand)
    if isinstance(node, ast.BinOp):
        return _typed(node.left) and _typed(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "float"):
        return len(node.args) == 1 and not node.keywords and (
            _typed(node.args[0]) or isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
    return False

"""Figures in prose, each traced to its source.

A notebook never types a number into its text. It computes the number from data, wraps it with
`fact(value, source=..., what=...)`, and writes prose with `say("... {deaths} ...", deaths=f)`.
The output carries the facts in its metadata and marks each figure in the HTML, so the build can
check that every number a reader sees in prose is a recorded fact (see `untraced_numbers`).

    toll = data.table("deaths_national")
    f = fact(int(toll.deaths_best.sum()), source="ucdp_country_year", what="battle deaths")
    say("UCDP counted {d} battle deaths.", d=f)        # with thousands separators, marked and recorded

A number or date that is not a figure of the data (a resolution's number, the date of an event) is
written with `noted(value, why=...)`: marked and recorded like a fact, with its reason in place of a
source, and never a headline. A value typed by hand into fact() or people() in a notebook cell is
refused (storykit.notebook.typed): it would not change when the data does.

    say("Under Resolution {r}, ...", r=noted(2254, why="the UN Security Council resolution's number"))
"""

import math
import numbers
import re
import string
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from . import catalogue
from .errors import StorykitError
from .notebook.contract import FACT_CLASS, META_KEY, PARAMETER
# The rule the build applies to prose, defined once there; its names are part of this API too.
from .notebook.prose import RULE, UntracedFigure, check_prose, untraced_numbers  # noqa: F401
from .notebook.typed import typed_by_hand



@dataclass(frozen=True)
class Fact:
    value: float | int
    source: tuple[str, ...]
    what: str
    fmt: str = ""
    headline: bool = False

    def text(self, spec: str = "") -> str:
        spec = spec or self.fmt
        if spec:
            return format(self.value, spec)
        if isinstance(self.value, int):
            return f"{self.value:,}"
        # Floats: whole numbers print as integers; otherwise one decimal unless told.
        return f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.1f}"

    def __str__(self) -> str:
        return self.text()

    def __format__(self, spec: str) -> str:
        return self.text(spec)

    def record(self, spec: str = "") -> dict:
        return {"text": self.text(spec), "value": self.value, "source": list(self.source), "what": self.what,
                "headline": self.headline}


@dataclass(frozen=True)
class Noted(Fact):
    """A number or date in prose that is not a figure of the data; `why` says what it is, or its source.

    Its record has no catalogue source and carries `why` (NOTED), which the page's "About the data"
    shows in place of a publisher; it is never a headline.
    """

    why: str = ""

    def text(self, spec: str = "") -> str:
        spec = spec or self.fmt
        if spec:
            return format(self.value, spec)
        if isinstance(self.value, date):
            return format_date(self.value)
        return str(self.value)  # as written: a resolution's number takes no thousands separator

    def record(self, spec: str = "") -> dict:
        value = self.value.isoformat() if isinstance(self.value, date) else self.value  # JSON, in the output
        # `what` is the reason too, so that two values with the same text and other reasons stay apart.
        return {"text": self.text(spec), "value": value, "source": [], "what": self.why, NOTED: self.why,
                "headline": False}


NOTED = "why"  # the key of a record made by noted(...): its reason


def is_noted(record: dict) -> bool:
    """Whether a fact record was written with noted(...), not computed from data."""
    return bool(record.get(NOTED))


def fact(value, *, source: str | tuple[str, ...] | list[str], what: str, fmt: str = "",
         headline: bool = False) -> Fact:
    """A figure computed from data, with the catalogue id(s) of the raw source(s) it came from.

    `fmt` is a format spec (",.1f", ".0%"); by default integers get thousands separators.
    `headline=True` puts the figure on the index page, labelled with `what`.
    In a notebook cell, a value typed by hand (fact(71970, ...)) is refused: compute it from the data.
    """
    if (typed := typed_by_hand(what, calls_from=__name__)) is not None:
        raise UntracedFigure(typed)
    if value is None or (not isinstance(value, (str, bytes)) and _is_missing(value)):
        raise StorykitError(f"The figure for {what!r} is missing (NA): the data has no value for it; "
                            "check the table and the filter that computed it.")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"fact({value!r}, what={what!r}): the value must be a number, not {type(value).__name__}.")
    value = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise StorykitError(f"The figure for {what!r} is {value}: the data has no value for it; "
                            "check the table and the filter that computed it.")
    ids = (source,) if isinstance(source, str) else tuple(source)
    if not ids:
        raise StorykitError(f"fact(..., what={what!r}) needs a source: a catalogue id, or {PARAMETER!r}.")
    for sid in ids:
        if sid != PARAMETER:
            catalogue.get(sid)  # raises, listing the known ids, for a source the catalogue lacks
    if not what.strip():
        raise StorykitError("fact(...) needs `what`: the words that say what the figure counts.")
    return Fact(value, ids, what, fmt, headline)


def people(value, what: str, source: str | tuple[str, ...], **options) -> Fact:
    """A count of people as a fact: a whole number (the fraction dropped)."""
    return fact(int(value), source=source, what=what, **options)


def noted(value, *, why: str, fmt: str = "") -> Noted:
    """A number or date the prose needs that is not a figure computed from data, with the reason.

    For a resolution's number ("Resolution {r}", r=noted(2254, why="the UN Security Council resolution's
    number")), a count that is no figure of the data, or the date of an event (a date, a pandas
    Timestamp, or text; "2016-12-30" is shown as format_date writes it: "30 December 2016"). Numbers
    are shown as written (no thousands separator) unless `fmt` says otherwise. `why` says what the
    value is and where it comes from: the page lists it with the figures, in place of a publisher.
    It is never a headline figure.
    """
    if not isinstance(why, str) or not why.strip():
        raise StorykitError(f"noted({value!r}, why=...) needs `why`: the words that say what the value is and "
                            "where it comes from (e.g. why=\"the UN Security Council resolution's number\").")
    if isinstance(value, str):
        value = iso_day(value.strip()) or value.strip()
    elif value is None or _is_missing(value) or (isinstance(value, numbers.Real) and not math.isfinite(value)):
        raise StorykitError(f"noted({value!r}, why={why!r}): the value is missing (NA).")
    elif hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        value = value.date()  # the date of an event: its day, as format_date writes it
    elif isinstance(value, bool) or not isinstance(value, (numbers.Real, date, str)):
        raise TypeError(f"noted({value!r}, why={why!r}): the value must be a number, a date or text, "
                        f"not {type(value).__name__}.")
    elif isinstance(value, numbers.Integral):
        value = int(value)
    if value == "":
        raise StorykitError(f"noted('', why={why!r}): the value is empty.")
    return Noted(value, (), why.strip(), fmt, False, why.strip())


def iso_day(text: str) -> date | None:
    """The date an ISO day such as '2016-12-30' names, or None for any other text."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _is_missing(value) -> bool:
    try:
        import pandas

        return bool(pandas.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


@dataclass(frozen=True)
class Prose:
    """Markdown with its figures marked, and the records of those figures."""

    markdown: str
    facts: tuple[dict, ...]

    def metadata(self, kind: str, **extra) -> dict:
        return {META_KEY: {"kind": kind, "facts": list(self.facts), **extra}}

    def _repr_markdown_(self):
        return self.markdown


class _Formatter(string.Formatter):
    """Formats a template: facts become marked spans, text is escaped, bare numbers are refused."""

    def __init__(self):
        self.facts: list[dict] = []

    def format_field(self, value, spec):
        if isinstance(value, Fact):
            record = value.record(spec)
            self.facts.append(record)
            return f'<span class="{FACT_CLASS}">{escape(record["text"])}</span>'
        if isinstance(value, Prose):  # a phrase made with md(...) once and used in several sentences
            self.facts.extend(value.facts)
            return value.markdown
        if isinstance(value, (numbers.Number, date)) and not isinstance(value, bool):
            raise TypeError(f"{value!r} is a bare {type(value).__name__} in prose: wrap it with "
                            "fact(value, source=..., what=...), or, if it is not a figure (a date of an event, "
                            "a resolution's number), with noted(value, why=...).")
        return _escape_markdown(escape(format(value, spec), quote=False))  # Dar'a stays Dar'a


def _escape_markdown(text: str) -> str:
    # Text values (place names...) are shown as written, never as Markdown or HTML.
    return re.sub(r"([\\`*_\[\]#|<>])", r"\\\1", text)


def md(template: str, **values) -> Prose:
    """Markdown from a template whose {fields} are facts, text or other md(...); nothing is displayed."""
    formatter = _Formatter()
    text = formatter.format(template, **values)
    return Prose(text, tuple(formatter.facts))


def _display(bundle: dict, metadata: dict) -> None:
    from IPython.display import display

    from .notebook import view

    view.watch_markdown()  # from the page's first output on, its Markdown cells are checked as they are saved
    display(bundle, metadata=metadata, raw=True)


def say(template: str, **values) -> None:
    """Display a paragraph of prose whose figures are facts. In the notebook each figure stands out,
    naming its source, and a number the build would refuse is named at once (storykit.notebook.view)."""
    from .notebook import view

    prose = md(template, **values)
    _display({"text/markdown": prose.markdown, **view.prose_view(prose.markdown, prose.facts)},
             prose.metadata("prose"))
    view.warn(view.refusal(prose.markdown, prose.facts, "This paragraph"))


def page(*, title: str, summary: str, as_of, **values) -> None:
    """Declare the page: its title, its one-paragraph summary (a template like `say`), and the date
    the data runs to (`as_of`: a date, a year, or text). Call it once, near the top of the notebook."""
    if re.search(r"\d", title) and untraced_numbers(escape(title)):
        raise UntracedFigure(f"The page title {title!r} holds a number: write it in the summary as a fact.")
    prose = md(summary, **values)
    meta = prose.metadata("page", title=title, as_of=format_date(as_of), summary_markdown=prose.markdown)
    from .notebook import view

    text = f"# {escape(title)}\n\n{prose.markdown}\n\n*Data as of {meta[META_KEY]['as_of']}*"
    _display({"text/markdown": text, **view.prose_view(text, prose.facts)}, meta)
    view.warn(view.refusal(prose.markdown, prose.facts, "The page's summary"))


def format_date(value) -> str:
    """'30 December 2016' for a date or an ISO day ('2016-12-30'), '2019' for a year; other text passes through."""
    if isinstance(value, str) and (day := iso_day(value.strip())):
        value = day
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, (date, datetime)):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise StorykitError(f"as_of={value!r}: give the date the data runs to (a date, a year or text).")

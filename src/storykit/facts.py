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

from . import arabic, catalogue
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
    what_ar: str = ""  # the Arabic of `what`, for a headline (the Arabic index shows it)

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

    def text_ar(self, spec: str = "") -> str:
        """The same figure for Arabic readers: the digits are the same (storykit.arabic)."""
        return self.text(spec)

    def record(self, spec: str = "", in_arabic: bool = False) -> dict:
        return {"text": self.text_ar(spec) if in_arabic else self.text(spec), "value": self.value,
                "source": list(self.source), "what": self.what, "headline": self.headline,
                **({"what_ar": self.what_ar} if self.what_ar else {})}


@dataclass(frozen=True)
class Noted(Fact):
    """A number or date in prose that is not a figure of the data; `why` says what it is, or its source.

    Its record has no catalogue source and carries `why` (NOTED), which the page's "About the data"
    shows in place of a publisher; it is never a headline.
    """

    why: str = ""
    why_ar: str = ""  # the same reason in Arabic, for the Arabic page's list of figures

    def text(self, spec: str = "") -> str:
        spec = spec or self.fmt
        if spec:
            return format(self.value, spec)
        if isinstance(self.value, date):
            return format_date(self.value)
        return str(self.value)  # as written: a resolution's number takes no thousands separator

    def text_ar(self, spec: str = "") -> str:
        if isinstance(self.value, date) and not (spec or self.fmt):
            return arabic.day_text(self.value)
        return self.text(spec)

    def record(self, spec: str = "", in_arabic: bool = False) -> dict:
        value = self.value.isoformat() if isinstance(self.value, date) else self.value  # JSON, in the output
        # `what` is the reason too, so that two values with the same text and other reasons stay apart.
        return {"text": self.text_ar(spec) if in_arabic else self.text(spec), "value": value, "source": [],
                "what": self.why, NOTED: self.why, "headline": False, **({"why_ar": self.why_ar} if self.why_ar else {})}


NOTED = "why"  # the key of a record made by noted(...): its reason


def is_noted(record: dict) -> bool:
    """Whether a fact record was written with noted(...), not computed from data."""
    return bool(record.get(NOTED))


def fact(value, *, source: str | tuple[str, ...] | list[str], what: str, fmt: str = "",
         headline: bool = False, what_ar: str = "") -> Fact:
    """A figure computed from data, with the catalogue id(s) of the raw source(s) it came from.

    `fmt` is a format spec (",.1f", ".0%"); by default integers get thousands separators.
    `headline=True` puts the figure on the index page, labelled with `what` (and `what_ar` in Arabic).
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
    return Fact(value, ids, what, fmt, headline, what_ar.strip())


def people(value, what: str, source: str | tuple[str, ...], **options) -> Fact:
    """A count of people as a fact: a whole number (the fraction dropped)."""
    return fact(int(value), source=source, what=what, **options)


def noted(value, *, why: str, fmt: str = "", why_ar: str = "") -> Noted:
    """A number or date the prose needs that is not a figure computed from data, with the reason.

    For a resolution's number ("Resolution {r}", r=noted(2254, why="the UN Security Council resolution's
    number")), a count that is no figure of the data, or the date of an event (a date, a pandas
    Timestamp, or text; "2016-12-30" is shown as format_date writes it: "30 December 2016"). Numbers
    are shown as written (no thousands separator) unless `fmt` says otherwise. `why` says what the
    value is and where it comes from: the page lists it with the figures, in place of a publisher.
    It is never a headline figure. `why_ar` is the reason in Arabic, for the Arabic page.
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
    return Noted(value, (), why.strip(), fmt, False, "", why.strip(), why_ar.strip())


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


class Both(str):
    """A text in English (the str itself) and in Arabic (`.ar`), for a field of a two-language template."""

    ar: str

    def __new__(cls, english: str, ar: str):
        text = super().__new__(cls, english)
        text.ar = ar
        return text


def both(english: str, ar: str) -> Both:
    """A text value in both editions' languages: both("rose", "ارتفعت"). In English it is `english`;
    the Arabic edition's templates get `ar`."""
    if not isinstance(english, str) or not isinstance(ar, str):
        raise TypeError(f"both({english!r}, {ar!r}): give two texts, the English and the Arabic.")
    return Both(english, ar)


@dataclass(frozen=True)
class Prose:
    """Markdown with its figures marked, and the records of those figures; `ar` is the same in Arabic,
    or None, and then `problem` says why the Arabic edition cannot show it."""

    markdown: str
    facts: tuple[dict, ...]
    ar: "Prose | None" = None
    problem: str = ""

    def metadata(self, kind: str, **extra) -> dict:
        return {META_KEY: {"kind": kind, "facts": list(self.facts), **extra, arabic.CODE: self.arabic_record()}}

    def arabic_record(self) -> dict:
        """What the Arabic edition reads of this prose: its Markdown and figures, or why there is none."""
        if self.ar is None:  # "missing": not written yet (the build names it); else written but refused
            return {"problem": self.problem} if self.problem else \
                {"problem": f"{self.quoted()} has no Arabic", "missing": True}
        return {"markdown": self.ar.markdown, "facts": list(self.ar.facts)}

    def quoted(self) -> str:
        """The start of the English text, as a reporter finds it: “In the 90 days after…”."""
        from .notebook.prose import plain_text

        text = plain_text(re.sub(r"\\(.)", r"\1", self.markdown))
        return f"\u201c{text if len(text) <= 70 else text[:69] + chr(0x2026)}\u201d"

    def _repr_markdown_(self):
        return self.markdown


class NoArabic(StorykitError):
    """A value in a template has no Arabic."""


def in_arabic(value, words: dict | None = None) -> str:
    """A text value for the Arabic edition: both(...)'s Arabic; an English governorate name's Arabic
    (the gazetteer's); `words`' entry for it; text without Latin letters, or only acronyms (UCDP, SY07),
    as it is. Anything else raises NoArabic, naming it."""
    if isinstance(value, Both):
        return value.ar
    text = str(value)
    if words and text in words:  # the notebook's own words first: "IDPs" may be written out in Arabic
        return words[text]
    if not arabic.LATIN.search(text) or ACRONYMS.fullmatch(text):
        return text
    if (name := place_names().get(text.strip())) is not None:
        return name
    raise NoArabic(f"the text {text!r} has no Arabic: write both({text!r}, \"...\")")


ACRONYMS = re.compile(r"[^A-Za-z]*(?:(?:[A-Z]{2,}s?|SY\d+)[^A-Za-z]*)+")  # UCDP, IDPs, GED, P-codes


def place_names() -> dict[str, str]:
    """Each governorate's English name and its Arabic (storykit.data.place_names); none without the layer."""
    from . import data

    try:
        return data.place_names()
    except (StorykitError, OSError, KeyError, ValueError):
        return {}


class _Formatter(string.Formatter):
    """Formats a template: facts become marked spans, text is escaped, bare numbers are refused.
    `in_arabic` formats the Arabic edition's template: figures as Arabic readers read them, text
    values in Arabic (`in_arabic`)."""

    def __init__(self, in_arabic: bool = False):
        self.facts: list[dict] = []
        self.arabic = in_arabic

    def format_field(self, value, spec):
        if isinstance(value, Fact):
            if self.arabic and value.headline and not value.what_ar:
                raise NoArabic(f"the headline figure {value.what!r} has no what_ar=... (the Arabic index shows it)")
            record = value.record(spec, self.arabic)
            self.facts.append(record)
            return f'<span class="{FACT_CLASS}">{escape(record["text"])}</span>'
        if isinstance(value, Prose):  # a phrase made with md(...) once and used in several sentences
            if self.arabic and value.ar is None:
                raise NoArabic(value.problem or f"the phrase {value.quoted()} has no Arabic")
            value = value.ar if self.arabic else value
            self.facts.extend(value.facts)
            return value.markdown
        if self.arabic and isinstance(value, str):
            value = in_arabic(value)
        if isinstance(value, (numbers.Number, date)) and not isinstance(value, bool):
            raise TypeError(f"{value!r} is a bare {type(value).__name__} in prose: wrap it with "
                            "fact(value, source=..., what=...), or, if it is not a figure (a date of an event, "
                            "a resolution's number), with noted(value, why=...).")
        return _escape_markdown(escape(format(value, spec), quote=False))  # Dar'a stays Dar'a


def _escape_markdown(text: str) -> str:
    # Text values (place names...) are shown as written, never as Markdown or HTML.
    return re.sub(r"([\\`*_\[\]#|<>])", r"\\\1", text)


def md(template: str, arabic: str | None = None, /, **values) -> Prose:
    """Markdown from a template whose {fields} are facts, text or other md(...); nothing is displayed.
    `arabic` is the same in Arabic, with the same fields: md("{n} deaths", "{n} قتيل", n=f)."""
    formatter = _Formatter()
    english = Prose(formatter.format(template, **values), tuple(formatter.facts))
    if arabic is None:
        return english
    if problem := out_of_step(template, arabic):
        return Prose(english.markdown, english.facts, problem=f"{english.quoted()}: {problem}")
    formatter = _Formatter(in_arabic=True)
    try:
        ar = Prose(formatter.format(arabic, **values), tuple(formatter.facts))
    except NoArabic as e:
        return Prose(english.markdown, english.facts, problem=f"{english.quoted()}: {e}")
    return Prose(english.markdown, english.facts, ar)


def out_of_step(english: str, ar: str) -> str:
    """What differs between the fields of a template and of its Arabic, in words; "" if nothing."""
    def fields(template):
        return {re.split(r"[.\[]", f)[0] for _, f, _, _ in string.Formatter().parse(template) if f}

    en, other = fields(english), fields(ar)
    parts = ([f"the Arabic lacks {', '.join('{' + f + '}' for f in sorted(en - other))}"] if en - other else []) + \
            ([f"the Arabic has {', '.join('{' + f + '}' for f in sorted(other - en))}, which the English has not"]
             if other - en else [])
    if not ar.strip():
        parts = ["the Arabic is empty"]
    return "; ".join(parts) + ("" if not parts else " (a figure must be in both, or in neither)")


def _display(bundle: dict, metadata: dict) -> None:
    from IPython.display import display

    from .notebook import view

    view.watch_markdown()  # from the page's first output on, its Markdown cells are checked as they are saved
    display(bundle, metadata=metadata, raw=True)


def say(template: str, arabic: str | None = None, /, **values) -> None:
    """Display a paragraph of prose whose figures are facts, and its Arabic (`arabic`, the same template
    in Arabic with the same fields). In the notebook each figure stands out, naming its source, and a
    number the build would refuse, or Arabic it could not use, is named at once (storykit.notebook.view)."""
    from .notebook import view

    prose = md(template, arabic, **values)
    _display({"text/markdown": prose.markdown, **view.prose_view(prose.markdown, prose.facts)},
             prose.metadata("prose"))
    view.warn(view.refusal(prose.markdown, prose.facts, "This paragraph"))
    view.warn_arabic(prose.arabic_record())


def page(*, title: str, summary: str, as_of, title_ar: str | None = None, summary_ar: str | None = None,
         **values) -> None:
    """Declare the page: its title, its one-paragraph summary (a template like `say`), and the date
    the data runs to (`as_of`: a date, a year, or text: both(english, arabic) for words), with the
    title and summary in Arabic. Call it once, near the top of the notebook."""
    if re.search(r"\d", title) and untraced_numbers(escape(title)):
        raise UntracedFigure(f"The page title {title!r} holds a number: write it in the summary as a fact.")
    prose = md(summary, summary_ar, **values)
    as_of = format_date(as_of)
    meta = prose.metadata("page", title=title, as_of=str(as_of), summary_markdown=prose.markdown)
    if prose.ar is not None:
        try:
            if not title_ar or not title_ar.strip():
                raise NoArabic("the page's title has no Arabic: give page(..., title_ar=...)")
            meta[META_KEY][arabic.CODE] |= {"title": title_ar.strip(), "as_of": in_arabic(as_of),
                                            "summary_markdown": prose.ar.markdown}
        except NoArabic as e:
            meta[META_KEY][arabic.CODE] = {"problem": f"the page's declaration: {e}"}
    from .notebook import view

    text = f"# {escape(title)}\n\n{prose.markdown}\n\n*Data as of {meta[META_KEY]['as_of']}*"
    _display({"text/markdown": text, **view.prose_view(text, prose.facts)}, meta)
    view.warn(view.refusal(prose.markdown, prose.facts, "The page's summary"))
    view.warn_arabic(meta[META_KEY][arabic.CODE])


def format_date(value) -> str:
    """'30 December 2016' for a date or an ISO day ('2016-12-30'), '2019' for a year, with its Arabic
    (both(...): '30 كانون الأول 2016'); other text passes through."""
    if isinstance(value, str) and (day := iso_day(value.strip())):
        value = day
    if (day := arabic.as_date(value)) is not None:
        return Both(f"{day.day} {day:%B %Y}", arabic.day_text(day))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value if isinstance(value, Both) else value.strip()
    raise StorykitError(f"as_of={value!r}: give the date the data runs to (a date, a year or text).")

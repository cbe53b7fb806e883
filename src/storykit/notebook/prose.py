"""The rule the build applies to prose: every number a reader sees in a page's text is a recorded
fact, or one of the few kinds of numbers that may be written as text (years, ISO dates, a day next to
its month). storykit.facts marks and records the facts; the build and the notebook's own view check
the text with these. Standard library only.
"""

import re
from html import unescape
from html.parser import HTMLParser

from ..arabic import MONTHS as ARABIC_MONTH_NAMES
from ..errors import StorykitError
from .contract import FACT_CLASS, GENERATED_CLASS


class UntracedFigure(StorykitError, ValueError):
    """Prose holds a number that no helper recorded, or a recorded figure was changed."""


MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
# A number is a run of digits, possibly with , or . inside, not glued to a preceding letter
# (so identifiers such as the P-code SY07 are not numbers).
NUMBER = re.compile(r"(?<![A-Za-z0-9])\d+(?:[.,]\d+)*")
ARABIC_MONTHS = "|".join(sorted(ARABIC_MONTH_NAMES, key=len, reverse=True))
ALLOWED = re.compile(
    r"\b\d{4}-\d{2}(?:-\d{2})?\b"  # ISO dates and months: 2016-12-30, 2016-12
    rf"|\b(?:[12]?\d|3[01])\s+(?:{MONTHS})\b"  # 30 December
    rf"|(?<![\d.,])(?:[12]?\d|3[01])\s+(?:{ARABIC_MONTHS})"  # 30 كانون الأول
    rf"|\b(?:{MONTHS})\s+(?:[12]?\d|3[01])\b(?!\d)"  # December 30
    r"|(?<![\d.,])(?:19|20)\d{2}(?![\d.,]\d)"  # a year, 1900-2099, alone (not 2,016 or 2016.5)
)
RULE = ("Years (1900-2099), ISO dates (2016-12-30, 2016-12) and day-of-month next to a month name "
        "(30 December, 30 كانون الأول) may be written as text; every other number in prose must come from "
        "storykit.facts.fact(...) passed to say(), page() or a chart's title or notes.")


def untraced_numbers(text: str) -> list[str]:
    """The numbers in plain text that the rule does not allow (facts removed beforehand)."""
    allowed = [m.span() for m in ALLOWED.finditer(text)]
    return [m.group() for m in NUMBER.finditer(text)
            if not any(a <= m.start() and m.end() <= b for a, b in allowed)]


class _ProseText(HTMLParser):
    """Collects the text of HTML outside facts and generated elements, and the facts' texts."""

    def __init__(self, generated_ok: bool):
        super().__init__(convert_charrefs=True)
        self.generated_ok = generated_ok
        self.skip_depth = 0  # > 0 inside a fact or generated element
        self.fact_depth = 0
        self.stack: list[bool] = []
        self.text: list[str] = []
        self.fact_texts: list[str] = []
        self._fact: list[str] = []

    VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "source", "col", "area", "base", "embed"}

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        is_fact = FACT_CLASS in classes
        skip = is_fact or (self.generated_ok and GENERATED_CLASS in classes) or tag in ("script", "style")
        self.stack.append((skip, is_fact))
        if skip:
            self.skip_depth += 1
        if is_fact:
            self.fact_depth += 1
            self._fact = []

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        skip, is_fact = self.stack.pop()
        if skip:
            self.skip_depth -= 1
        if is_fact:
            self.fact_depth -= 1
            self.fact_texts.append("".join(self._fact))
        self.text.append(" ")

    def handle_data(self, data):
        if self.fact_depth:
            self._fact.append(data)
        elif not self.skip_depth:
            self.text.append(data)


def check_prose(html: str, recorded: list[dict], where: str, generated_ok: bool = False) -> None:
    """Raise UntracedFigure if the HTML shows a number that is neither allowed nor a recorded fact.

    `generated_ok` exempts elements of class sk-generated (a chart's description, source line and
    download link, written by storykit.charts from the data and the catalogue); prose cannot use it.
    """
    parser = _ProseText(generated_ok)
    parser.feed(html)
    parser.close()
    known = {r["text"] for r in recorded}
    changed = [t for t in parser.fact_texts if t not in known]
    if changed:
        raise UntracedFigure(f"{where}: the figure(s) {', '.join(map(repr, changed))} are marked as facts but "
                             "no fact with that text was recorded; use storykit.facts.say(), never hand-written spans.")
    text = re.sub(r"\s+", " ", "".join(parser.text))
    bad = untraced_numbers(text)
    if bad:
        context = []
        for number in dict.fromkeys(bad):
            i = text.find(number)
            context.append(f"{number!r} in \u201c\u2026{text[max(0, i - 40):i + len(number) + 20].strip()}\u2026\u201d")
        raise UntracedFigure(f"{where}: untraced figure(s) in the prose: {'; '.join(context)}. {RULE}")


def plain_text(html: str) -> str:
    """The words of some HTML on one line, as a search result, a shared link or a notebook's plain view shows them."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()

"""Arabic as the Arabic edition writes it: dates, month names, digits, fonts, and the plotly.js locale.

Digits are Western (0-9), grouped by thousands with "," and with "." for decimals, as Al Jazeera and
BBC News Arabic print figures: a traced figure then reads the same in both editions, and only its
words change. Months are the Levantine names Syrians use (كانون الثاني ... كانون الأول). plotly.js's
own "ar" locale is not used: it names May آذار (March) and groups no digits; charts carry LOCALE in
their config instead (plotly.js's `locales`), so the page, its pictures and its share card all draw
the same month names. Standard library only.
"""

import re
from datetime import date, datetime

CODE = "ar"
SITE_NAME = "حرب سوريا بالأرقام"  # the site's title in Arabic (storykit.notebook.contract.SITE_NAME)
MONTHS = ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
          "تشرين الأول", "تشرين الثاني", "كانون الأول")
DAYS = ("الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت")  # Sunday first, as d3 counts
# System fonts that draw Arabic well: Segoe UI (Windows), Geeza Pro (Apple), Noto (Android, Linux); no web font.
FONT = ('system-ui, -apple-system, "Segoe UI", Tahoma, "Geeza Pro", "Noto Sans Arabic", "Noto Naskh Arabic", '
        '"DejaVu Sans", Arial, sans-serif')
LOCALE = {"dictionary": {}, "format": {
    "days": list(DAYS), "shortDays": list(DAYS), "months": list(MONTHS), "shortMonths": list(MONTHS),
    "periods": ["ص", "م"], "decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", " ل.س"],
    "dateTime": "%a %e %b %Y %X", "date": "%d/%m/%Y", "time": "%H:%M:%S"}}
CONFIG = {"locale": CODE, "locales": {CODE: LOCALE}}  # what a chart's plotly.js config adds in Arabic
LATIN = re.compile(r"[A-Za-z]")
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")


def month_year(value) -> str:
    return f"{MONTHS[value.month - 1]} {value.year}"


def day_text(value) -> str:
    """'30 كانون الأول 2016'."""
    return f"{value.day} {month_year(value)}"


def date_text(value, of: str = "day") -> str:
    """A date to the period of its series: 'day', 'month' or 'year'."""
    if isinstance(value, datetime):
        value = value.date()
    if of == "year":
        return str(value.year)
    return month_year(value) if of == "month" else day_text(value)


def is_arabic(text: str) -> bool:
    """Whether a text is written in Arabic: more of its letters Arabic than Latin."""
    return len(ARABIC_LETTER.findall(text)) > len(LATIN.findall(text))


def as_date(value) -> date | None:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None

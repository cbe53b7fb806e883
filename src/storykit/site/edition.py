"""The site's two editions, English and Arabic: where each lives, which way it reads, the words its
pages say around what the notebooks wrote (the templates take them as `t`), and what the Arabic
edition reads of an executed notebook (each storykit output carries its Arabic; each English
Markdown cell has its Arabic in the cell after it).

The English edition is the site's root; the Arabic one is the same pages under ar/ (reports/ar/<page>),
right to left. A page's two editions link each other, with hreflang alternates.
"""

import re
from dataclasses import dataclass

from .. import arabic
from ..notebook.contract import PLOTLY_MIME, SITE_NAME, cell_source
from ..notebook.prose import plain_text
from .checks import PageError


class NoArabicPage(PageError):
    """The page's Arabic edition cannot be published (its Arabic is missing or out of step); the English can."""


@dataclass(frozen=True)
class Edition:
    code: str  # the pages' lang
    dir: str  # "ltr" or "rtl"
    folder: str  # where its pages live in the site: "" or "ar/"
    name: str  # the edition's name in its own language, for the link to it from the other
    t: dict  # the words its pages say


EN_WORDS = {
    "site": SITE_NAME, "skip": "Skip to the content", "site_nav": "Site",
    "footer": "every figure is computed from the public sources named on each page.", "built": "Built",
    "all_reports": "All reports", "what_changed": "What changed", "feed_title": "What changed on the site",
    "data_as_of": "Data as of", "page_built": "Page built", "about": "About the data",
    "about_text": "Every figure on this page is computed from the files below, as their publishers released them. "
                  "Each file was checked against its SHA-256 checksum when it was downloaded.",
    "published_by": "Published by", "licence": "Licence", "files": "The files, and where this site took them from",
    "package_copy": "The copy the Python package {package} ships, byte for byte:",
    "copies": "Copies kept in the GitHub repository {carrier}{others}, byte for byte as published:",
    "others": " and others named below", "copy_in": "copy in", "figures": "Every figure in the text and where it comes from",
    "figure": "Figure", "counts": "What it counts", "source": "Source", "not_figure": "not a figure",
    "made_by": "Made by running", "with": "with", "back": "Back to the index of reports",
    "setting": "this page's setting", "site_built": "Site built",
    "newer": "Newer figures may be out from", "run_to": "the ones here run to", "lead": "The lead chart",
    "in_figures": "The war in figures", "reports": "Reports", "failed_on": "The last update failed on",
    "choose": "Choose a place on the map, or in the list below, for its profile.",
    "previous": "Previous:", "next": "Next:", "stories": "Stories",
    "out_of_date": "This page may be out of date.", "notice_rest": "this is the page from the update of",
    "other_edition": "اقرأ هذه الصفحة بالعربية",
    "alone": "The chart alone", "embed": "Embed", "copy": "Copy the code", "copied": "Copied.",
    "embed_label": "To show this chart on your own site, paste this code into your page. The chart keeps its source "
                   "and licence, and links back here.",
    "selected": "Selected: copy it with your keyboard or menu.", "meta": "Sources and licence (JSON)",
    "data_csv": "Data (CSV)", "from": "From {link}, on {site}",
    "published": "Published", "updated": "Updated", "gone": "no longer on the page (it was", "comma": ",",
    "new_here": "new on the page", "was": "was", "corrected": "The figure corrected:",
    "more_changed": "{n} more figures changed", "under_them": "What changed under them:",
    "under_it": "What changed under it:", "semicolon": "; ",
    "unchanged": "No figure on this page has changed since it was published", "on": "on",
    "every_change": "Every change on this site", "follow": "Follow the changes (Atom feed)",
    "changes_intro": "Every figure of this site that changed, when and why, and every correction, newest first.",
    "follow_reader": "Follow them in a feed reader:", "the_feed": "the Atom feed",
    "none_changed": "No figure has changed since the pages were published.", "feed_name": "what changed",
    "kinds": {"change": "Figures updated", "rollback": "Figures put back", "correction": "Correction"},
    "card_alt": "The chart \u201c{chart}\u201d from "
    "\u201c{title}\u201d, with its source",
}
AR_WORDS = {
    "site": arabic.SITE_NAME, "skip": "انتقل إلى المحتوى", "site_nav": "الموقع",
    "footer": "كل رقم هنا محسوب من المصادر العامة المذكورة في كل صفحة.", "built": "بُني في",
    "all_reports": "كل التقارير", "what_changed": "ما الذي تغيّر", "feed_title": "ما الذي تغيّر في الموقع",
    "data_as_of": "البيانات حتى", "page_built": "بُنيت الصفحة في", "about": "عن البيانات",
    "about_text": "كل رقم في هذه الصفحة محسوب من الملفات أدناه كما نشرتها جهاتها. وقد طوبق كل ملف مع بصمته "
                  "(SHA-256) عند تنزيله.",
    "published_by": "الناشر:", "licence": "الترخيص", "files": "الملفات، ومن أين أخذها هذا الموقع",
    "package_copy": "النسخة التي توزّعها حزمة بايثون {package}، كما هي بايتاً ببايت:",
    "copies": "نسخ محفوظة في مستودع GitHub {carrier}{others}، كما نُشرت بايتاً ببايت:",
    "others": " وفي مستودعات أخرى مذكورة أدناه", "copy_in": "نسخة في", "figures": "كل رقم في النص ومن أين جاء",
    "figure": "الرقم", "counts": "في الجملة", "source": "المصدر", "not_figure": "ليس رقماً من البيانات",
    "made_by": "صُنعت بتشغيل", "with": "مع", "back": "العودة إلى فهرس التقارير",
    "setting": "إعداد هذه الصفحة", "site_built": "بُني الموقع في",
    "newer": "قد تكون أرقام أحدث صدرت عن", "run_to": "الأرقام هنا حتى", "lead": "المخطط الرئيسي",
    "in_figures": "الحرب بالأرقام", "reports": "التقارير", "failed_on": "فشل آخر تحديث في",
    "choose": "اختر مكاناً على الخريطة، أو من القائمة أدناه، لتقرأ ملفه.",
    "previous": "السابق:", "next": "التالي:", "stories": "القصص",
    "out_of_date": "قد لا تكون هذه الصفحة محدّثة.", "notice_rest": "هذه هي الصفحة كما صدرت في تحديث",
    "other_edition": "Read this page in English",
    "alone": "المخطط وحده", "embed": "تضمين", "copy": "انسخ الشيفرة", "copied": "نُسخت.",
    "embed_label": "لعرض هذا المخطط على موقعك، الصق هذه الشيفرة في صفحتك. يحتفظ المخطط بمصدره وترخيصه، "
                   "ويربط بهذه الصفحة.",
    "selected": "حُدّدت: انسخها بلوحة المفاتيح أو من القائمة.", "meta": "المصادر والترخيص (JSON)",
    "data_csv": "البيانات (CSV)", "from": "من {link}، على موقع {site}",
    "published": "نُشرت في", "updated": "حُدّثت في", "gone": "لم يعد في الصفحة (كان", "comma": "،",
    "new_here": "جديد في الصفحة", "was": "وكان", "corrected": "الرقم المصحَّح:",
    "more_changed": "أرقام أخرى تغيّرت: {n}", "under_them": "ما الذي تغيّر وراءها:",
    "under_it": "ما الذي تغيّر وراءه:", "semicolon": "؛ ",
    "unchanged": "لم يتغيّر أي رقم في هذه الصفحة منذ نشرها", "on": "في",
    "every_change": "كل التغييرات في الموقع", "follow": "تابع التغييرات (خلاصة Atom)",
    "changes_intro": "كل رقم تغيّر في هذا الموقع، متى ولماذا، وكل تصحيح، الأحدث أولاً.",
    "follow_reader": "تابعها في قارئ الخلاصات:", "the_feed": "خلاصة Atom",
    "none_changed": "لم يتغيّر أي رقم منذ نُشرت الصفحات.", "feed_name": "ما الذي تغيّر",
    "kinds": {"change": "تحديث الأرقام", "rollback": "إعادة الأرقام السابقة", "correction": "تصحيح"},
    "card_alt": "المخطط «{chart}» من «{title}»، مع مصدره",
}
EN = Edition("en", "ltr", "", "English", EN_WORDS)
AR = Edition(arabic.CODE, "rtl", "ar/", "العربية", AR_WORDS)
EDITIONS = (EN, AR)


def edition_of(code: str) -> Edition:
    """The edition whose pages are in the language `code`."""
    return AR if code == AR.code else EN


def of(out: str) -> Edition:
    """The edition a page of the site belongs to, by its path."""
    return AR if out.startswith(AR.folder) else EN


def english(out: str) -> str:
    """The English page of a page of either edition: ar/truce.html -> truce.html."""
    return out[len(AR.folder):] if out.startswith(AR.folder) else out


def pages(manifest: dict) -> list[str]:
    """Every page the manifest lists, in both editions (a page's Arabic if it was published)."""
    return list(manifest) + [AR.folder + out for out, entry in manifest.items() if entry.get(AR.code)]


def other(out: str) -> str:
    """The same page in the other edition."""
    return english(out) if out.startswith(AR.folder) else AR.folder + out


# --- what the Arabic edition reads of an executed notebook ---------------------------------------

# --- the Arabic edition --------------------------------------------------------------------------------


def in_arabic(cell) -> bool:
    return arabic.is_arabic(cell_source(cell))


def arabic_follows(nb, index: int, at: str) -> None:
    """Refuse the Arabic page if the English Markdown cell at `index` has no Arabic cell right after it."""
    after = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
    if after is None or after.cell_type != "markdown" or not in_arabic(after):
        first = cell_source(nb.cells[index]).strip().splitlines()[0][:70]
        raise NoArabicPage(f"{at}: the Markdown cell \u201c{first}\u201d has no Arabic: write its Arabic in a "
                           "Markdown cell right after it")


def arabic_output(meta: dict, out, at: str):
    """A storykit output as the Arabic page reads it: its record and data in Arabic."""
    import nbformat  # a build with nothing to make imports none of Jupyter

    ar = meta.get(arabic.CODE)
    if ar is None:
        raise NoArabicPage(f"{at}: this output has no Arabic (made by a storykit without the Arabic edition?); "
                           "run the notebook again")
    if "problem" in ar:
        raise NoArabicPage(f"{at}: {ar['problem']}")
    kind, data = meta.get("kind"), dict(out.get("data", {}))
    meta = meta | {"facts": with_sentences(ar["facts"], ar.get("markdown") or ar.get("summary_markdown") or
                                            ar.get("html", ""))}
    if kind == "page":
        meta |= {k: ar[k] for k in ("title", "as_of", "summary_markdown")}
    elif kind == "prose":
        data["text/markdown"] = ar["markdown"]
    elif kind == "chart":
        figure = ar["figure"]
        shapes = [t.get("geojson") for t in data.get(PLOTLY_MIME, {}).get("data", [])]
        for trace, shape in zip(figure["data"], shapes):  # the page's copy names its map shapes; a picture needs them
            if isinstance(trace.get("geojson"), str) and isinstance(shape, dict):
                trace["geojson"] = shape
        data |= {"text/html": ar["html"], PLOTLY_MIME: figure}
    return meta, nbformat.from_dict({**out, "data": data})


def with_sentences(facts: list[dict], html: str) -> list[dict]:
    """Each figure with the Arabic sentence it stands in: what the Arabic page's list of figures says it counts."""
    text = plain_text(re.sub(r"<script\b.*?</script>", " ", html, flags=re.S))
    sentences = [s.strip() for s in re.split(r"(?<=[.!؟؛])\s+", text) if s.strip()]
    return [f | {"sentence": next((s for s in sentences if f["text"] in s), text)} for f in facts]

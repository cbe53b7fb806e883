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


# Each phrase the pages say around the notebooks' words, in English and in Arabic, side by side.
WORDS = {
    "site": (SITE_NAME, arabic.SITE_NAME),
    "skip": ("Skip to the content", "انتقل إلى المحتوى"),
    "site_nav": ("Site", "الموقع"),
    "footer": ("every figure is computed from the public sources named on each page.",
               "كل رقم هنا محسوب من المصادر العامة المذكورة في كل صفحة."),
    "built": ("Built", "بُني في"),
    "all_reports": ("All reports", "كل التقارير"),
    "what_changed": ("What changed", "ما الذي تغيّر"),
    "feed_title": ("What changed on the site", "ما الذي تغيّر في الموقع"),
    "data_as_of": ("Data as of", "البيانات حتى"),
    "page_built": ("Page built", "بُنيت الصفحة في"),
    "about": ("About the data", "عن البيانات"),
    "about_text": ("Every figure on this page is computed from the files below, as their publishers released them. "
                   "Each file was checked against its SHA-256 checksum when it was downloaded.",
                   "كل رقم في هذه الصفحة محسوب من الملفات أدناه كما نشرتها جهاتها. "
                   "وقد طوبق كل ملف مع بصمته (SHA-256) عند تنزيله."),
    "published_by": ("Published by", "الناشر:"),
    "licence": ("Licence", "الترخيص"),
    "files": ("The files, and where this site took them from", "الملفات، ومن أين أخذها هذا الموقع"),
    "package_copy": ("The copy the Python package {package} ships, byte for byte:",
                     "النسخة التي توزّعها حزمة بايثون {package}، كما هي بايتاً ببايت:"),
    "copies": ("Copies kept in the GitHub repository {carrier}{others}, byte for byte as published:",
               "نسخ محفوظة في مستودع GitHub {carrier}{others}، كما نُشرت بايتاً ببايت:"),
    "others": (" and others named below", " وفي مستودعات أخرى مذكورة أدناه"),
    "copy_in": ("copy in", "نسخة في"),
    "figures": ("Every figure in the text and where it comes from", "كل رقم في النص ومن أين جاء"),
    "figure": ("Figure", "الرقم"),
    "counts": ("What it counts", "في الجملة"),
    "source": ("Source", "المصدر"),
    "not_figure": ("not a figure", "ليس رقماً من البيانات"),
    "made_by": ("Made by running", "صُنعت بتشغيل"),
    "with": ("with", "مع"),
    "back": ("Back to the index of reports", "العودة إلى فهرس التقارير"),
    "setting": ("this page's setting", "إعداد هذه الصفحة"),
    "site_built": ("Site built", "بُني الموقع في"),
    "newer": ("Newer figures may be out from", "قد تكون أرقام أحدث صدرت عن"),
    "run_to": ("the ones here run to", "الأرقام هنا حتى"),
    "lead": ("The lead chart", "المخطط الرئيسي"),
    "in_figures": ("The war in figures", "الحرب بالأرقام"),
    "reports": ("Reports", "التقارير"),
    "failed_on": ("The last update failed on", "فشل آخر تحديث في"),
    "choose": ("Choose a place on the map, or in the list below, for its profile.",
               "اختر مكاناً على الخريطة، أو من القائمة أدناه، لتقرأ ملفه."),
    "previous": ("Previous:", "السابق:"),
    "next": ("Next:", "التالي:"),
    "stories": ("Stories", "القصص"),
    "out_of_date": ("This page may be out of date.", "قد لا تكون هذه الصفحة محدّثة."),
    "notice_rest": ("this is the page from the update of", "هذه هي الصفحة كما صدرت في تحديث"),
    "other_edition": ("اقرأ هذه الصفحة بالعربية", "Read this page in English"),
    "alone": ("The chart alone", "المخطط وحده"),
    "embed": ("Embed", "تضمين"),
    "copy": ("Copy the code", "انسخ الشيفرة"),
    "copied": ("Copied.", "نُسخت."),
    "embed_label": ("To show this chart on your own site, paste this code into your page. The chart keeps its source "
                    "and licence, and links back here.",
                    "لعرض هذا المخطط على موقعك، الصق هذه الشيفرة في صفحتك. "
                    "يحتفظ المخطط بمصدره وترخيصه، ويربط بهذه الصفحة."),
    "selected": ("Selected: copy it with your keyboard or menu.", "حُدّدت: انسخها بلوحة المفاتيح أو من القائمة."),
    "meta": ("Sources and licence (JSON)", "المصادر والترخيص (JSON)"),
    "data_csv": ("Data (CSV)", "البيانات (CSV)"),
    "from": ("From {link}, on {site}", "من {link}، على موقع {site}"),
    "published": ("Published", "نُشرت في"),
    "updated": ("Updated", "حُدّثت في"),
    "gone": ("no longer on the page (it was", "لم يعد في الصفحة (كان"),
    "comma": (",", "،"),
    "new_here": ("new on the page", "جديد في الصفحة"),
    "was": ("was", "وكان"),
    "corrected": ("The figure corrected:", "الرقم المصحَّح:"),
    "more_changed": ("{n} more figures changed", "أرقام أخرى تغيّرت: {n}"),
    "under_them": ("What changed under them:", "ما الذي تغيّر وراءها:"),
    "under_it": ("What changed under it:", "ما الذي تغيّر وراءه:"),
    "semicolon": ("; ", "؛ "),
    "unchanged": ("No figure on this page has changed since it was published",
                  "لم يتغيّر أي رقم في هذه الصفحة منذ نشرها"),
    "on": ("on", "في"),
    "every_change": ("Every change on this site", "كل التغييرات في الموقع"),
    "follow": ("Follow the changes (Atom feed)", "تابع التغييرات (خلاصة Atom)"),
    "changes_intro": ("Every figure of this site that changed, when and why, and every correction, newest first.",
                      "كل رقم تغيّر في هذا الموقع، متى ولماذا، وكل تصحيح، الأحدث أولاً."),
    "follow_reader": ("Follow them in a feed reader:", "تابعها في قارئ الخلاصات:"),
    "the_feed": ("the Atom feed", "خلاصة Atom"),
    "none_changed": ("No figure has changed since the pages were published.", "لم يتغيّر أي رقم منذ نُشرت الصفحات."),
    "feed_name": ("what changed", "ما الذي تغيّر"),
    "kinds": {  # the kinds of entry in the log of changes
        "change": ("Figures updated", "تحديث الأرقام"),
        "rollback": ("Figures put back", "إعادة الأرقام السابقة"),
        "correction": ("Correction", "تصحيح"),
    },
    "card_alt": ("The chart “{chart}” from “{title}”, with its source", "المخطط «{chart}» من «{title}»، مع مصدره"),
}


def _in(language: int) -> dict:
    """WORDS in one language: 0, English; 1, Arabic."""
    return {k: {kind: pair[language] for kind, pair in v.items()} if isinstance(v, dict) else v[language]
            for k, v in WORDS.items()}


EN_WORDS, AR_WORDS = _in(0), _in(1)
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

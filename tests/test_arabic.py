"""The Arabic edition (issue 15): Arabic dates and month names, prose and charts carried in both
languages by the same facts, refused when missing or out of step, and the real site published in
both editions, each page linking the other."""

import json
import re
from datetime import date
from html.parser import HTMLParser

import nbformat
import pandas as pd
from markupsafe import escape
import plotly.express as px
import pytest

from storykit import arabic, facts
from storykit.charts import chart_bundle
from storykit.facts import both, fact, format_date, md, noted
from storykit.site import edition, pages
from storykit.site.edition import AR, EN, NoArabicPage

from .browser import GOVERNORATES, STORIES, browser, needs_chromium, serve  # noqa: F401

GED = "ucdp_ged_syria_2016_2019"
ENGLISH = ["index.html", "changes.html"] + STORIES + [f"governorates/{g}.html" for g in GOVERNORATES]


# --- Arabic as the pages write it ---------------------------------------------------------------------------


def test_months_are_the_levantine_names_and_may_is_ayyar():
    assert arabic.date_text(date(2025, 5, 1), "month") == "أيار 2025"
    assert arabic.date_text(date(2016, 3, 1), "month") == "آذار 2016"
    assert arabic.day_text(date(2016, 12, 30)) == "30 كانون الأول 2016"
    assert arabic.LOCALE["format"]["months"][4] == "أيار" and "آذار" not in arabic.LOCALE["format"]["months"][3:]
    assert arabic.LOCALE["format"]["thousands"] == "," and arabic.LOCALE["format"]["grouping"] == [3]


def test_a_date_is_written_in_both_languages():
    day = format_date("2016-12-30")
    assert day == "30 December 2016" and day.ar == "30 كانون الأول 2016"
    assert format_date(2019) == "2019"


def test_a_figure_is_the_same_fact_in_both_editions_and_a_date_reads_in_arabic():
    deaths = fact(71970, source=GED, what="deaths")
    fell = noted("2024-12-08", why="the day the government fell")
    prose = md("UCDP counted {n} deaths until {d}.", "أحصى UCDP {n} قتيلاً حتى {d}.", n=deaths, d=fell)
    assert [f["value"] for f in prose.facts] == [f["value"] for f in prose.ar.facts] == [71970, "2024-12-08"]
    assert '<span class="fact">71,970</span>' in prose.ar.markdown
    assert '<span class="fact">8 كانون الأول 2024</span>' in prose.ar.markdown


def test_arabic_out_of_step_with_the_english_is_refused_naming_the_sentence_and_the_figure():
    deaths = fact(71970, source=GED, what="deaths")
    prose = md("UCDP counted {n} deaths in {year}.", "أحصى UCDP قتلى عام {year}.", n=deaths, year="2016")
    assert prose.ar is None
    assert "UCDP counted 71,970 deaths in 2016." in prose.problem and "{n}" in prose.problem
    missing = md("UCDP counted {n} deaths.", n=deaths)
    assert "has no Arabic" in missing.arabic_record()["problem"]


def test_english_words_in_an_arabic_template_are_refused_unless_given_in_both(monkeypatch):
    monkeypatch.setattr(facts, "place_names", lambda: {"Idleb": "إدلب"})
    prose = md("Deaths {moved}.", "الوفيات {moved}.", moved="rose")
    assert prose.ar is None and "'rose'" in prose.problem
    prose = md("Deaths {moved} in {g}.", "{moved} الوفيات في {g}.", moved=both("rose", "ارتفعت"), g="Idleb")
    assert prose.ar.markdown == "ارتفعت الوفيات في إدلب."


# --- charts in Arabic ---------------------------------------------------------------------------------------

WORDS = {"Deaths": "الوفيات", "when": "متى", "deaths": "الوفيات", "governorate": "المحافظة", "month": "الشهر",
         "Before": "قبل", "After": "بعد"}


def _frame():
    return pd.DataFrame({"when": ["Before", "After"], "governorate": ["Idleb", "Hama"], "deaths": [10, 20]})


def test_a_chart_in_arabic_has_arabic_words_table_and_csv_and_reads_from_the_right(monkeypatch):
    monkeypatch.setattr(facts, "place_names", lambda: {"Idleb": "إدلب", "Hama": "حماة"})
    data = _frame()
    fig = px.bar(data, x="governorate", y="deaths", color="when", labels={"deaths": "Deaths", "governorate": ""})
    _, meta = chart_bundle(fig, data, title=md("Deaths {d}", "الوفيات {d}", d=both("fell", "انخفضت")),
                           source=GED, words=WORDS)
    ar = meta["storykit"]["ar"]
    assert "problem" not in ar
    assert ">الوفيات انخفضت</h2>" in ar["html"] and "<summary>جدول</summary>" in ar["html"]
    assert '<th scope="col">المحافظة</th>' in ar["html"] and '<th scope="row">إدلب</th>' in ar["html"]
    csv = re.search(r"base64,([^\"]+)", ar["html"]).group(1)
    import base64

    assert base64.b64decode(csv).decode("utf-8-sig").splitlines()[0] == "متى,المحافظة,الوفيات"
    layout = ar["figure"]["layout"]
    assert layout["xaxis"]["autorange"] == "reversed" and layout["yaxis"]["side"] == "right"  # categories from the right
    assert {t["name"] for t in ar["figure"]["data"]} == {"قبل", "بعد"}
    assert ar["figure"]["config"]["locale"] == "ar" and ar["figure"]["config"]["locales"]["ar"] == arabic.LOCALE


def test_a_time_axis_stays_left_to_right():
    data = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=6, freq="MS"), "deaths": range(6)})
    fig = px.bar(data, x="month", y="deaths", labels={"deaths": "Deaths", "month": ""})
    _, meta = chart_bundle(fig, data, title=both("Deaths", "الوفيات"), source=GED, words=WORDS)
    ar = meta["storykit"]["ar"]
    assert "autorange" not in ar["figure"]["layout"].get("xaxis", {})
    assert "أيار 2025" in ar["html"] and "May" not in re.sub(r"<script.*?</script>", "", ar["html"], flags=re.S)


def test_a_chart_string_without_arabic_keeps_the_chart_off_the_arabic_page_naming_it():
    data = _frame()
    fig = px.bar(data, x="when", y="deaths", labels={"deaths": "Deaths per week"})
    _, meta = chart_bundle(fig, data, title=both("Deaths", "الوفيات"), source=GED, words=WORDS)
    assert "Deaths per week" in meta["storykit"]["ar"]["problem"]
    _, meta = chart_bundle(fig, data, title="Deaths", source=GED, words=WORDS)
    assert "title has no Arabic" in meta["storykit"]["ar"]["problem"]


# --- the Arabic page of a notebook --------------------------------------------------------------------------


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _shown(prose, kind="prose", **extra):
    out = nbformat.v4.new_output("display_data", data={"text/markdown": prose.markdown},
                                 metadata=prose.metadata(kind, **extra))
    cell = nbformat.v4.new_code_cell("say(...)")
    cell.outputs = [out]
    return cell


def _page_cell():
    summary = md("It holds {n}.", "يضم {n}.", n=fact(5, source=GED, what="things"))
    meta = summary.metadata("page", title="A page", as_of="2025", summary_markdown=summary.markdown)
    meta["storykit"]["ar"] |= {"title": "صفحة", "as_of": "2025", "summary_markdown": summary.ar.markdown}
    out = nbformat.v4.new_output("display_data", data={"text/markdown": "# A page"}, metadata=meta)
    cell = nbformat.v4.new_code_cell("page(...)")
    cell.outputs = [out]
    return cell


def test_each_edition_takes_its_own_markdown_and_prose():
    nb = _notebook(_page_cell(), nbformat.v4.new_markdown_cell("## Where"), nbformat.v4.new_markdown_cell("## أين"),
                   _shown(md("Deaths {d}.", "الوفيات {d}.", d=both("fell", "انخفضت"))))
    english, ar = pages.collect(nb, "x.ipynb"), pages.collect(nb, "x.ipynb", AR)
    assert "Where" in english.body and "أين" not in english.body and "انخفضت" not in english.body
    assert "أين" in ar.body and "Where" not in ar.body and "الوفيات انخفضت." in ar.body
    assert ar.title == "صفحة" and ar.edition == "ar"
    assert [f["value"] for f in ar.facts] == [f["value"] for f in english.facts]
    assert ar.facts[0]["what_ar"] == "يضم 5."  # the Arabic list of figures names each by its sentence


def test_an_english_markdown_cell_without_its_arabic_keeps_the_page_out_of_the_arabic_edition():
    nb = _notebook(_page_cell(), nbformat.v4.new_markdown_cell("The figures below are UCDP's."))
    assert pages.collect(nb, "x.ipynb").title == "A page"
    with pytest.raises(NoArabicPage, match="The figures below are UCDP's.*has no Arabic"):
        pages.collect(nb, "x.ipynb", AR)


def test_a_paragraph_without_arabic_names_its_sentence():
    nb = _notebook(_page_cell(), _shown(md("UCDP counted {n} deaths.", n=fact(9, source=GED, what="deaths"))))
    with pytest.raises(NoArabicPage, match="UCDP counted 9 deaths.*has no Arabic"):
        pages.collect(nb, "x.ipynb", AR)


def test_the_build_says_which_sentence_keeps_a_page_out_of_arabic_and_publishes_the_english(copy):
    from storykit.site.build import build

    said = []
    build(force=True, log=said.append)
    site = copy / "reports"
    missing = [line for line in said if "not published in Arabic" in line]
    assert missing and all("\u201c" in line for line in missing)  # each names the sentence, quoted
    assert (site / "index.html").is_file() and (site / "ar" / "index.html").is_file()
    english = [p for p in site.rglob("*.html") if "assets" not in p.parts and p.parts[-2] != "ar"]
    assert english and not [p for p in (site / "ar").rglob("*.html") if p.name not in ("index.html", "changes.html")]


# --- the real site, in both editions ------------------------------------------------------------------------


class _Page(HTMLParser):
    """A page's language, its links to the other edition, its figures, and its words outside names."""

    SKIP = {"script", "style", "code", "textarea", "svg", "title"}
    VOID = {"br", "img", "meta", "link", "input", "hr", "wbr", "source", "col"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = self.dir = None
        self.alternates, self.links, self.facts, self.words = {}, [], [], []
        self._stack, self._skip, self._fact = [], 0, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang, self.dir = a.get("lang"), a.get("dir")
        if tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            self.alternates[a["hreflang"]] = a["href"]
        if tag == "a" and a.get("hreflang"):
            self.links.append((a["hreflang"], a["href"]))
        if tag in self.VOID:
            return
        skip = tag in self.SKIP or a.get("lang") == "en" or (a.get("dir") == "ltr" and tag != "html")
        self._stack.append((skip, "fact" in (a.get("class") or "").split()))
        self._skip += skip
        if self._stack[-1][1]:
            self._fact = []

    def handle_endtag(self, tag):
        if tag in self.VOID or not self._stack:
            return
        skip, is_fact = self._stack.pop()
        self._skip -= skip
        if is_fact and self._fact is not None:
            self.facts.append("".join(self._fact))
            self._fact = None

    def handle_data(self, data):
        if self._fact is not None:
            self._fact.append(data)
        if not self._skip:
            self.words.append(data)


def parsed(path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


# Latin letters an Arabic reader meets outside names: acronyms, file formats, a page's English title
NAMES = re.compile(r"[A-Z]{2,}s?|PNG|SVG|CSV|JSON|Atom|GitHub|storykit|P-code|SHA")


def manifest(real_site) -> dict:
    """The manifest of the version online (the newest: versions are named by when they were built)."""
    return json.loads(max((real_site / ".site").glob("*.json")).read_text(encoding="utf-8"))


def _target(site, out: str, href: str):
    return ((site / out).parent / href).resolve()


@pytest.mark.parametrize("out", ENGLISH)
def test_every_english_page_has_its_arabic_page_right_to_left_linking_back(real_site, out):
    site = real_site / "reports"
    en, ar = parsed(site / out), parsed(site / "ar" / out)
    assert (en.lang, en.dir) == ("en", "ltr") and (ar.lang, ar.dir) == ("ar", "rtl")
    assert set(en.alternates) == set(ar.alternates) == {"en", "ar"}
    assert [_target(site, out, h) for c, h in en.links if c == "ar"] == [(site / "ar" / out).resolve()]
    assert [_target(site, "ar/" + out, h) for c, h in ar.links if c == "en"] == [(site / out).resolve()]


@pytest.mark.parametrize("out", [o for o in ENGLISH if o != "changes.html"])
def test_the_arabic_page_is_in_arabic_and_carries_the_same_traced_figures(real_site, out):
    site = real_site / "reports"
    en, ar = parsed(site / out), parsed(site / "ar" / out)
    text = " ".join(ar.words)
    latin = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", text) if not NAMES.fullmatch(w)]
    assert len(re.findall(r"[\u0600-\u06ff]", text)) > 20 * max(1, len(latin)), (out, latin[:20])
    # Every figure a reader sees is the English page's, but for dates, which read in Arabic.
    assert {f for f in ar.facts if not re.search(r"[\u0600-\u06ff]", f)} == \
        {f for f in en.facts if not re.search(r"[A-Za-z]", f)}
    if out != "index.html":
        entry = manifest(real_site)[out]
        values = sorted((json.dumps(f["value"]), tuple(f["source"])) for f in entry["facts"])
        assert values == sorted((json.dumps(f["value"]), tuple(f["source"])) for f in entry["ar"]["facts"])


def test_the_index_of_each_edition_lists_its_own_pages(real_site):
    site, entries = real_site / "reports", manifest(real_site)
    for ed in (EN, AR):
        html = (site / ed.folder / "index.html").read_text(encoding="utf-8")
        titles = [e["ar"]["title"] if ed is AR else e["title"] for out, e in entries.items() if out in STORIES]
        assert all(f'href="{story}"' in html for story in STORIES)
        assert len(titles) == len(STORIES) and all(str(escape(t)) in html for t in titles)


def test_arabic_pages_share_arabic_cards_and_embed_arabic_charts(real_site):
    site = real_site / "reports"
    for story in STORIES:
        en, ar = (site / story).read_text(encoding="utf-8"), (site / "ar" / story).read_text(encoding="utf-8")
        embeds = re.findall(r'href="\.\./assets/embed/([^"]+\.html)"', ar)
        assert embeds and all(e.startswith("ar-") for e in embeds)
        page = (site / "assets" / "embed" / embeds[0]).read_text(encoding="utf-8")
        assert '<html lang="ar" dir="rtl"' in page
        card_en = re.search(r'property="og:image" content="([^"]+)"', en)
        card_ar = re.search(r'property="og:image" content="([^"]+)"', ar)
        if card_en:  # drawn by Chromium at build time
            assert card_ar and card_ar.group(1) != card_en.group(1)


@needs_chromium
def test_no_arabic_chart_names_may_adhar_and_every_one_draws_cleanly(real_site, browser):  # noqa: F811
    """plotly.js's own Arabic locale calls May آذار: the site's charts carry storykit's, and say أيار."""
    with serve(real_site / "reports") as base:
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "ar/returns.html")  # time on the axes, categories, a map and its colour scale
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= "
                               "document.querySelectorAll('figure.sk-chart').length", timeout=60_000)
        months = page.evaluate("""async () => {
            const gd = document.createElement("div"); document.body.appendChild(gd);
            const config = JSON.parse(document.querySelector('script[type="application/json"]').textContent).config;
            await Plotly.newPlot(gd, [{x: ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"], y: [1, 2, 3, 4],
                                       type: "bar"}], {xaxis: {tickformat: "%B %Y", dtick: "M1"}, width: 900}, config);
            return [...gd.querySelectorAll(".xtick text")].map(t => t.textContent);
        }""")
        assert "أيار 2025" in months and "آذار 2025" in months and months.count("آذار 2025") == 1, months
        ticks = page.evaluate("[...document.querySelectorAll('.xtick text, .ytick text, .colorbar .cbaxis text')]"
                              ".map(t => t.textContent)")
        assert not [t for t in ticks if re.search(r"[A-Za-z]", t)], ticks  # no "May", no "60k"
        assert errors == []
        page.close()


def test_the_editions_say_the_same_things():
    assert set(edition.EN_WORDS) == set(edition.AR_WORDS)
    assert set(edition.EN_WORDS["kinds"]) == set(edition.AR_WORDS["kinds"])


def test_a_noted_value_gives_its_reason_in_arabic_on_the_arabic_page():
    fell = noted("2024-12-08", why="the day the government fell", why_ar="يوم سقوط الحكومة")
    record = md("On {d}.", "في {d}.", d=fell).ar.facts[0]
    assert pages.publishers(record, AR) == "يوم سقوط الحكومة"
    assert pages.publishers(record, EN) == "the day the government fell"
    plain = md("On {d}.", "في {d}.", d=noted("2024-12-08", why="the day")).ar.facts[0]
    assert pages.publishers(plain, AR) == edition.AR_WORDS["not_figure"]

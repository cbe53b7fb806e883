"""Facts: figures that format themselves and carry their source; the rule for numbers in prose."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from storykit.errors import StorykitError
from storykit.facts import (Fact, UntracedFigure, check_prose, fact, format_date, md, page, say,
                            untraced_numbers)


def test_a_fact_formats_itself_and_records_its_source():
    f = fact(np.int64(71970), source="ucdp_country_year", what="battle deaths in 2013")
    assert isinstance(f, Fact) and str(f) == "71,970" and f"{f}" == "71,970"
    assert f.record() == {"text": "71,970", "value": 71970, "source": ["ucdp_country_year"],
                          "what": "battle deaths in 2013", "headline": False}
    assert str(fact(0.2205, source="ucdp_ged_syria_2016_2019", what="share", fmt=".0%")) == "22%"
    assert str(fact(12.0, source="parameter", what="weeks")) == "12"
    assert str(fact(1234.56, source=("unhcr_population", "idmc_idps"), what="mean")) == "1,234.6"


NA = r"The figure for 'deaths' is missing \(NA\): the data has no value for it; check the table"


@pytest.mark.parametrize("value, error, message", [
    (float("nan"), StorykitError, NA), (pd.NA, StorykitError, NA), (None, StorykitError, NA),
    ("71970", TypeError, r"fact\('71970', what='deaths'\): the value must be a number, not str"),
    (True, TypeError, r"fact\(True, what='deaths'\): the value must be a number, not bool"),
])
def test_a_fact_must_be_a_number(value, error, message):
    with pytest.raises(error, match=message):
        fact(value, source="ucdp_country_year", what="deaths")


def test_a_fact_names_a_known_source_and_what_it_counts():
    with pytest.raises(StorykitError, match="no source called 'ucdp'"):
        fact(1, source="ucdp", what="deaths")
    with pytest.raises(StorykitError, match="needs `what`"):
        fact(1, source="ucdp_country_year", what=" ")


def test_md_marks_facts_escapes_text_and_refuses_bare_numbers():
    deaths = fact(44829, source="ucdp_country_year", what="battle deaths in 2016")
    prose = md("In {place}, {n} died ({share} of all).", place="<b>Idleb</b> *x*", n=deaths,
               share=fact(0.5, source="ucdp_country_year", what="share", fmt=".0%"))
    assert '<span class="fact">44,829</span>' in prose.markdown
    assert '<span class="fact">50%</span>' in prose.markdown
    assert "<b>" not in prose.markdown and "&lt;b&gt;" in prose.markdown and "\\*x\\*" in prose.markdown
    assert [f["text"] for f in prose.facts] == ["44,829", "50%"]
    with pytest.raises(TypeError, match="wrap it with"):
        md("{n} died", n=44829)
    with pytest.raises(TypeError, match="wrap it with"):
        md("on {d}", d=date(2016, 12, 30))


def test_format_spec_in_the_template_is_what_gets_recorded():
    f = fact(6325978, source="unhcr_population", what="IDPs in 2016")
    prose = md("{n:,.0f} and {n:.3g}", n=f)
    assert [r["text"] for r in prose.facts] == ["6,325,978", "6.33e+06"]


def test_say_and_page_display_markdown_with_facts_in_metadata(monkeypatch):
    shown = []
    monkeypatch.setattr("storykit.facts._display", lambda bundle, meta: shown.append((bundle, meta)))
    n = fact(5524511, source="unhcr_population", what="Syrian refugees in 2016", headline=True)
    say("UNHCR counted {n} refugees.", n=n)
    page(title="Refugees", summary="{n} Syrians were refugees.", as_of=pd.Timestamp("2016-12-31"), n=n)
    (b1, m1), (b2, m2) = shown
    assert b1["text/markdown"] == 'UNHCR counted <span class="fact">5,524,511</span> refugees.'
    assert m1["storykit"]["kind"] == "prose" and m1["storykit"]["facts"][0]["headline"] is True
    assert m2["storykit"] | {"facts": None, "ar": None} == {
        "kind": "page", "title": "Refugees", "as_of": "31 December 2016", "facts": None, "ar": None,
        "summary_markdown": '<span class="fact">5,524,511</span> Syrians were refugees.'}
    assert m2["storykit"]["ar"]["missing"]  # no Arabic given: the build names the summary
    with pytest.raises(UntracedFigure, match="The page title 'The 14 governorates' holds a number: write it in "
                                             "the summary as a fact"):
        page(title="The 14 governorates", summary="x", as_of=2020)


def test_dates_for_as_of():
    assert format_date(date(2019, 11, 30)) == "30 November 2019"
    assert format_date(2019) == "2019" and format_date(" Nov 2019 ") == "Nov 2019"
    with pytest.raises(StorykitError, match=r"as_of=None: give the date the data runs to"):
        format_date(None)


@pytest.mark.parametrize("text", [
    "Since 2011 the war has killed many.", "From 2011 to 2012, and 2011–2016.", "On 30 December 2016.",
    "On December 30, 2016.", "On 2016-12-30 and in 2016-12.", "Idleb (SY07) and SY14.", "In 1999 and 2099.",
    "The 2015 wave.",
])
def test_allowed_numbers(text):
    assert untraced_numbers(text) == []


@pytest.mark.parametrize("text, bad", [
    ("All 14 governorates.", ["14"]), ("5.5 million fled.", ["5.5"]), ("Deaths fell by 22%.", ["22"]),
    ("It was the 3rd year.", ["3"]), ("71,970 died in 2013.", ["71,970"]), ("In 2,016 places.", ["2,016"]),
    ("In 45 December.", ["45"]), ("Year 2150 or 1850.", ["2150", "1850"]), ("About 20161 people.", ["20161"]),
    ("0.5 of them", ["0.5"]),
])
def test_untraced_numbers(text, bad):
    assert untraced_numbers(text) == bad


def test_check_prose_skips_recorded_facts_and_only_trusts_generated_text_when_told():
    deaths = fact(71970, source="ucdp_country_year", what="deaths in 2013")
    html = "<p>" + md("In 2013, {d} died.", d=deaths).markdown + "</p>"
    check_prose(html, [deaths.record()], "here")
    with pytest.raises(UntracedFigure, match="no fact with that text was recorded"):
        check_prose(html, [], "here")  # a hand-written span is no fact
    with pytest.raises(UntracedFigure, match=r"here: untraced figure\(s\) in the prose: '14'"):
        check_prose("<h2>All 14 governorates</h2>", [], "here")
    generated = '<p class="sk-generated">Lowest 1,195 (2011).</p>'
    check_prose(generated, [], "chart", generated_ok=True)
    with pytest.raises(UntracedFigure, match="1,195"):
        check_prose(generated, [], "markdown cell")
    check_prose('<script>var a = 12345;</script><p><a href="x/123">a link</a></p>', [], "here")


def test_text_values_keep_their_apostrophes():
    from storykit.facts import md

    assert "Dar'a" in md("In {place}", place="Dar'a").markdown


def test_a_phrase_made_with_md_can_be_used_inside_another_and_keeps_its_facts():
    days = fact(90, source="ucdp_country_year", what="days compared")
    period = md("{days} days each side", days=days)
    sentence = md("Deaths per week: {period}, with {name}", period=period, name="Dar'a <b>")
    assert sentence.markdown.startswith('Deaths per week: <span class="fact">90</span> days each side, with ')
    assert "<b>" not in sentence.markdown  # text values are still escaped; the inner markup is not
    assert [f["what"] for f in sentence.facts] == ["days compared"]

"""A corpus of bad raw inputs, all made here: each must stop `storykit` with a plain message (no traceback)
that names the file, the place in it and the value, keep data/raw/ and data/processed/ as they were, and
publish nothing.

Each case damages one source in a copy of the real raw folder, inside a project made from the shared
`processed` fixture. Process cases re-pin the catalogue to the damaged bytes, as for a new release that
turns out bad: the SHA-256 check then lets the file through (and the cleaner's fingerprint changes, so it
runs again), and the cleaner is the last line of defence. Cases with `repin=False` show the SHA-256 check
refusing the file first. Fetch cases run `storykit fetch` against the HTTP server of test_fetch.py.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import plotly.express as px
import pyreadr
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from storykit import catalogue, charts, cli, facts


from storykit.site import pages
from storykit.site.checks import check_published
from storykit.ingest.cleaners import Inputs
from storykit.ingest.cleaners.vdc import DAILY, VICTIMS, clean_vdc_daily
from storykit.ingest.fetch import file_sha256
from storykit.gazetteer import Gazetteer

from .test_fetch import server  # noqa: F401  (the fixture: a local HTTP server with faults to play)
from .test_idp_movements import write_workbook
from .test_ucdp import ged_row
from .test_unhcr import HDX_HEADER, MONTHLY_HEADER
from .test_vdc import DAILY_HEADER, VICTIMS_HEADER


def member(source_id: str, index: int = 0) -> str:
    return catalogue.get(source_id).files[index].name


class Context:
    """What a damage function may need besides the folder it writes into."""

    def __init__(self, project: Path, request):
        self.project, self.request = project, request

    @cached_property
    def gaz(self) -> Gazetteer:
        return Gazetteer.load(self.project / "data" / "processed" / "gazetteer.parquet")

    def http_server(self):
        return self.request.getfixturevalue("server")


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    damage: Callable  # (folder of the source in data/raw/, Context); a fetch case returns the mirror to use
    words: tuple[str, ...]  # what the message must say
    command: str = "process"
    repin: bool | tuple[str, ...] = True  # a tuple: re-pin, and drop these members from the catalogue entry


# --- writers of bad files ---------------------------------------------------------------------------

def write(source_id: str, content: str | bytes, encoding: str = "utf-8", index: int = 0):
    def damage(folder, ctx):
        data = content if isinstance(content, bytes) else content.encode(encoding)
        (folder / member(source_id, index)).write_bytes(data)
    return damage


def rda(source_id: str, obj: str, **columns):
    def damage(folder, ctx):
        path = folder / member(source_id)
        path.unlink()
        pyreadr.write_rdata(path, pd.DataFrame(columns), df_name=obj)
    return damage


def workbook(**layout):
    def damage(folder, ctx):
        write_workbook(folder.parent, ctx.gaz, **layout)
    return damage


def cut(damage, name: str, keep: float = 0.5):
    """Write a good synthetic file with `damage`, then keep only its first part, as a broken download would."""
    def cut_damage(folder, ctx):
        damage(folder, ctx)
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: int(len(data) * keep)])
    return cut_damage


def delete(name: str):
    def damage(folder, ctx):
        (folder / name).unlink()
    return damage


def fault(suffix: str, kind: str):
    def damage(folder, ctx):
        handler, url = ctx.http_server()
        handler.faults[suffix] = [kind] * 5
        return url
    return damage


def bad_mirror(source_id: str, content: bytes):
    """A mirror folder whose copy of the source's file is not the catalogued one."""
    def damage(folder, ctx):
        mirror = ctx.project.parent / "mirror"
        path = mirror / catalogue.get(source_id).files[0].path
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        return str(mirror)
    return damage


def one_sheet(folder, ctx):
    wb = openpyxl.Workbook()
    wb.active.append(["Governorate", "January"])
    wb.save(folder / "idp_1.xlsx")


def victim(record, province=" Homs", day="2012-01-02", area=" Somewhere"):
    return f'"{record}"," Civilian"," Adult - Male","{province}","{area}",{day}," Shooting","X"\n'


def daily(*rows: str, header: str = DAILY_HEADER) -> str:
    return header + "".join(f"{r}\n" for r in rows)


GOOD_DAY = "2012-05-01,3.0,0.0,2.0"
HDX = "unhcr_hdx_origin_syr"
MONTHLY = "unhcr_asylum_monthly"
IDMC = "idmc_idps"
BRDS = "ucdp_country_year"
GED = "ucdp_ged_syria_2016_2019"
XLSX = "ocha_idp_movements"
ADM1 = "ocha_admin1_2016"
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>\n"
SCRIPT = "<script>alert('x')</script>"


def idmc(**changes):
    columns = {"year": [2015.0, 2016.0], "coo_iso": ["SYR", "SYR"], "coa_iso": ["SYR", "SYR"],
               "total": [1000.0, 2000.0]} | changes
    return rda(IDMC, "idmc", **columns)


def brds(**changes):
    columns = {"gwcode": [652.0, 652.0], "year": [2012.0, 2013.0], "best": [30.0, 40.0], "low": [20.0, 30.0],
               "high": [50.0, 60.0], "source": ["UCDP GED", "UCDP GED"]} | changes
    return rda(BRDS, "ucdpbrds", **columns)


def ged(**changes):
    row = ged_row(1, 38.0, 35.0, 6, adm_1="Aleppo Governorate") | changes
    return rda(GED, "ucdp_syria_df", **{k: [v] for k, v in row.items()})


CASES = [
    # Empty, truncated and otherwise unreadable files
    Case("empty csv", DAILY, write(DAILY, ""), (member(DAILY), "empty (0 bytes)")),
    Case("csv with a header only", DAILY, write(DAILY, DAILY_HEADER), (member(DAILY), "header but no rows")),
    Case("csv cut in the middle of a line", VICTIMS,
         write(VICTIMS, VICTIMS_HEADER + victim(1) + victim(2) + '"3"," Civilian"," Adult - Male"," Homs"'),
         (member(VICTIMS), "line 4 has 4 fields but the header has 8", "'3, Civilian, Adult - Male, Homs'",
          "cut short")),
    Case("csv cut inside a quoted value", VICTIMS, write(VICTIMS, VICTIMS_HEADER + victim(1) + '"2"," Civ'),
         (member(VICTIMS), "line 3", "not valid CSV", "cut short")),
    Case("csv line with extra fields", DAILY, write(DAILY, daily(GOOD_DAY, "2012-05-02,1.0,2.0,3.0,4.0")),
         (member(DAILY), "line 3 has 5 fields but the header has 4", "'2012-05-02,1.0,2.0,3.0,4.0'")),
    Case("empty rda", IDMC, write(IDMC, b""), (member(IDMC), "empty (0 bytes)")),
    Case("rda cut short", IDMC, cut(idmc(), member(IDMC)), (member(IDMC), "cannot be read as an R data file")),
    Case("empty xlsx", XLSX, write(XLSX, b""), (member(XLSX), "empty (0 bytes)")),
    Case("xlsx cut short", XLSX, cut(workbook(), member(XLSX)),
         (member(XLSX), "cannot be read as an Excel workbook", "BadZipFile")),
    Case("an error page saved as the xlsx", XLSX, write(XLSX, HTML_PAGE),
         (member(XLSX), "cannot be read as an Excel workbook")),
    Case("an error page saved as the shp", ADM1, write(ADM1, HTML_PAGE),
         ("syr_admin1.shp", "cannot be read as a shapefile")),
    Case("shapefile without its .dbf", ADM1, delete("syr_admin1.dbf"),
         ("ocha_admin1_2016/syr_admin1.dbf", "not matching the catalogue's SHA-256", "storykit fetch")),
    Case("shapefile without its .dbf, nor in the catalogue", ADM1, delete("syr_admin1.dbf"),
         ("syr_admin1.shp", "lacks syr_admin1.dbf"), repin=("syr_admin1.dbf",)),
    Case("raw file changed under its pinned checksum", IDMC, idmc(),
         ("idps_national", "idmc_idps/idmc.rda", "not matching the catalogue's SHA-256"), repin=False),

    # Encodings
    Case("utf-16 with a byte-order mark", DAILY, write(DAILY, daily(GOOD_DAY), "utf-16"),
         (member(DAILY), "UTF-16", "byte-order mark")),
    Case("utf-16 without a byte-order mark", DAILY, write(DAILY, daily(GOOD_DAY), "utf-16-le"),
         (member(DAILY), "line 1 holds NUL bytes", "UTF-16")),
    Case("latin-1 instead of utf-8", VICTIMS,
         write(VICTIMS, VICTIMS_HEADER + victim(1) + victim(2, area=" Darayyâ"), "latin-1"),
         (member(VICTIMS), "line 3", "byte 0xe2", '" Darayy', "Latin-1")),

    # Columns and headers
    Case("missing column", VICTIMS,
         write(VICTIMS, VICTIMS_HEADER.replace(',"Date.of.death"', "") + victim(1).replace(",2012-01-02", "")),
         (member(VICTIMS), "no column 'Date.of.death'", "'Cause.of.death'")),
    Case("renamed column", MONTHLY, write(MONTHLY, MONTHLY_HEADER.replace("Value", "Values")
                                          + 'Germany,"Syrian Arab Rep.",2015,March,40\n'),
         (member(MONTHLY), "no column 'Value'", "Was 'Value' renamed 'Values'?")),
    Case("header moved down a row", HDX,
         write(HDX, "Persons of concern from Syria\n" + HDX_HEADER + "2016,Turkey,Syrian Arab Rep.,120,,120\n"),
         (member(HDX), "no column 'Year'", "'Persons of concern from Syria'", "Line 2 holds them", "moved down")),
    Case("column named twice", DAILY, write(DAILY, daily("2012-05-01,1.0,2.0", header="day,Aleppo,Aleppo\n")),
         (member(DAILY), "'Aleppo' more than once")),
    Case("xlsx without its summary sheet", XLSX, one_sheet,
         (member(XLSX), "no sheet 'IDPFlow_Summarysince2016'", "(sheets: Sheet)")),
    Case("rda without a column", "unhcr_population",
         rda("unhcr_population", "population", year=[2016.0], coo_iso=["SYR"], coa_name=["Germany"],
             refugees=[1.0], asylum_seekers=[1.0], idps=[0.0]),
         (member("unhcr_population"), "R object 'population': no column coa_iso")),
    Case("rda object under another name", IDMC, rda(IDMC, "idmc_2024", year=[2016.0], total=[1.0]),
         (member(IDMC), "'idmc'", "idmc_2024")),

    # Places
    Case("unknown governorate in a column", VICTIMS, write(VICTIMS, VICTIMS_HEADER + victim(1, " Atlantis")),
         (member(VICTIMS), "column 'Province'", "'Atlantis'", "matches no place")),
    Case("unknown governorate as a column name", DAILY,
         write(DAILY, daily("2012-05-01,1.0,2.0", header="day,Aleppo,Gotham\n")),
         (member(DAILY), "column names", "'Gotham'")),
    Case("unknown governorate in a cell", XLSX, workbook(edits={(3, 0): "Atlantis"}),
         (member(XLSX), "cell A4", "'Atlantis'")),
    Case("unknown governorate in an R file", "unhcr_demographics",
         rda("unhcr_demographics", "demographics", year=[2016.0], coo_iso=["SYR"], coa_iso=["SYR"],
             pop_type=["IDP"], location=["Atlantis : Mohafazah - Governorate"], total=[5.0]),
         (member("unhcr_demographics"), "'Atlantis'")),
    Case("script in a place name", VICTIMS, write(VICTIMS, VICTIMS_HEADER + victim(1, f" {SCRIPT}")),
         (member(VICTIMS), "column 'Province'", repr(SCRIPT), "holds markup")),
    Case("markup around a real place name", GED, ged(adm_1="<b>Aleppo</b> Governorate"),
         (member(GED), "column adm_1", "'<b>Aleppo</b> Governorate'", "holds markup")),
    Case("markup in a governorate cell", XLSX, workbook(edits={(3, 0): "<i>Idleb</i>"}),
         (member(XLSX), "cell A4", "'<i>Idleb</i>'", "holds markup")),

    # Counts
    Case("negative count in a csv", DAILY, write(DAILY, daily(GOOD_DAY, "2012-05-03,0.0,-3,0.0")),
         (member(DAILY), "2012-05-03", "'Damascus Suburbs'", "'-3'")),
    Case("non-numeric count in a csv", DAILY, write(DAILY, daily(GOOD_DAY, "2012-05-03,0.0,twelve,0.0")),
         (member(DAILY), "2012-05-03", "'Damascus Suburbs'", "'twelve'")),
    Case("non-numeric count in the HDX csv", HDX,
         write(HDX, HDX_HEADER + "2016,Turkey,Syrian Arab Rep.,1,,1\n2016,Germany,Syrian Arab Rep.,12a,,1\n"),
         (member(HDX), "Refugees (incl. refugee-like situations)", "line 4", "'12a'")),
    Case("negative count in a cell", XLSX, workbook(edits={(2, 3): -5}), (member(XLSX), "cell D3", "-5 is negative")),
    Case("non-numeric count in a cell", XLSX, workbook(edits={(3, 2): "n/a"}),
         (member(XLSX), "cell C4", "'n/a' is not a number")),
    Case("negative count in an R file", BRDS, brds(best=[30.0, -5.0]),
         (member(BRDS), "'deaths_best'", "below 0", "year=2013", ": -5")),
    Case("non-numeric count in an R file", IDMC, idmc(total=["1000", "n/a"]),
         (member(IDMC), "'idps'", "integer", "'n/a'")),

    # Keys
    Case("record twice", VICTIMS, write(VICTIMS, VICTIMS_HEADER + victim(7) + victim(7, " Hama")),
         (member(VICTIMS), "2 rows of victims share a key", "record_id=7")),
    Case("day twice", DAILY, write(DAILY, daily(GOOD_DAY, GOOD_DAY)),
         (member(DAILY), "share a key", "date=2012-05-01")),
    Case("country and month twice", MONTHLY,
         write(MONTHLY, MONTHLY_HEADER + 'Germany,"Syrian Arab Rep.",2015,March,40\n' * 2),
         (member(MONTHLY), "share a key", "month=2015-03-01, reported_as=Germany")),
    Case("year twice in an R file", BRDS, brds(year=[2012.0, 2012.0]),
         (member(BRDS), "share a key", "year=2012")),

    # Dates
    Case("date in the future", VICTIMS, write(VICTIMS, VICTIMS_HEADER + victim(1, day="2099-01-01")),
         (member(VICTIMS), "column 'date' of victims is above", "record_id=1", ": 2099-01-01")),
    Case("date before the war", DAILY, write(DAILY, daily("1900-05-01,3.0,0.0,2.0")),
         (member(DAILY), "column 'date' of deaths_daily is below 2011-01-01", ": 1900-05-01")),
    Case("date that does not exist", VICTIMS, write(VICTIMS, VICTIMS_HEADER + victim(1, day="2012-02-30")),
         (member(VICTIMS), "'Date.of.death'", "line 2", "'2012-02-30'")),
    Case("year in the future", IDMC, idmc(year=[2015.0, 2999.0]),
         (member(IDMC), "column 'year' of idps_national is above", "year=2999", ": 2999")),
    Case("year before UNHCR", HDX, write(HDX, HDX_HEADER + "1850,Turkey,Syrian Arab Rep.,120,,120\n"),
         (member(HDX), "column 'year' of refugees is below 1951", "asylum_iso3='TUR'", ": 1850")),
    Case("event in the future", GED, ged(date_start="2099-03-01", date_end="2099-03-02"),
         (member(GED), "column 'date_start' of conflict_events is above", "event_id=1", ": 2099-03-01")),
    Case("month in the future", MONTHLY, write(MONTHLY, MONTHLY_HEADER + 'Germany,"Syrian Arab Rep.",2999,May,4\n'),
         (member(MONTHLY), "column 'month' of asylum_applications is above", ": 2999-05-01")),

    # Downloads
    Case("server answers 404", IDMC, fault("idmc.rda", "404"), (IDMC, "answered 404", member(IDMC)), "fetch"),
    Case("server answers 500", IDMC, fault("idmc.rda", "500"), (IDMC, "answered 500", member(IDMC)), "fetch"),
    Case("server cuts the connection", ADM1, fault("syr_admin1.dbf", "cut"),
         (ADM1, "syr_admin1.dbf", "after 3 attempts"), "fetch"),
    Case("server sends other bytes", IDMC, fault("idmc.rda", "altered"),
         (IDMC, member(IDMC), "does not match the catalogue", "actual SHA-256"), "fetch"),
    Case("mirror holds another file", IDMC, bad_mirror(IDMC, b"a synthetic file, not the R data"),
         (IDMC, member(IDMC), "does not match the catalogue", "actual SHA-256",
          hashlib.sha256(b"a synthetic file, not the R data").hexdigest()), "fetch"),
]



# --- the project each case runs in ------------------------------------------------------------------

@pytest.fixture
def project(raw_root, processed, tmp_path, monkeypatch) -> Path:
    """A project whose raw sources link to the fetched ones and whose tables are a copy of `processed`."""
    root = tmp_path / "project"
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    for sid in catalogue.sources():
        (raw / sid).symlink_to(raw_root / sid, target_is_directory=True)
    shutil.copytree(processed, root / "data" / "processed")
    (root / "reports").mkdir()
    (root / "reports" / "index.html").write_text("<p>the last good site</p>", encoding="utf-8")
    monkeypatch.setenv("STORYKIT_HOME", str(root))
    monkeypatch.delenv("STORYKIT_MIRROR", raising=False)
    return root


def repin(monkeypatch, source_id: str, folder: Path, drop: tuple[str, ...] = ()) -> None:
    """Point the catalogue at the files now in `folder`, as if a new release had been pinned."""
    real = catalogue.get
    source = real(source_id)
    files = tuple(replace(f, sha256=file_sha256(p), bytes=p.stat().st_size) if (p := folder / f.name).is_file()
                  else f for f in source.files if f.name not in drop)
    pinned = replace(source, files=files)
    monkeypatch.setattr(catalogue, "get", lambda sid: pinned if sid == source_id else real(sid))


def snapshot(root: Path) -> dict[str, str]:
    """Every file a failed run must leave alone (data/raw/ as links and their targets' names), hashed."""
    out = {}
    for folder in ("data/processed", "reports", "data/raw"):
        for dirpath, dirnames, filenames in os.walk(root / folder):
            for name in sorted(dirnames + filenames):
                path = Path(dirpath) / name
                rel = str(path.relative_to(root))
                if path.is_symlink():
                    out[rel] = f"-> {os.readlink(path)}"
                elif path.is_file():
                    out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, project, raw_root, monkeypatch, capsys, request):
    ctx = Context(project, request)
    folder = project / "data" / "raw" / case.source
    folder.unlink()  # the link to the good copy
    if case.command == "process":
        shutil.copytree(raw_root / case.source, folder)  # the good files, then the damage
        case.damage(folder, ctx)
        if case.repin is not False:
            repin(monkeypatch, case.source, folder, case.repin if isinstance(case.repin, tuple) else ())
        argv = ["process"]
    else:
        monkeypatch.setenv("STORYKIT_MIRROR", case.damage(folder, ctx))
        argv = ["fetch", case.source]
    before = snapshot(project)

    status = cli.main(argv)

    err = capsys.readouterr().err
    assert status == 1, err
    assert err.startswith(f"storykit {case.command}: ") and "Traceback" not in err, err
    missing = [w for w in case.words if w not in err]
    assert not missing, f"the message lacks {missing}:\n{err}"
    assert snapshot(project) == before  # no partial file, last good tables and pages untouched


def test_the_corpus_covers_every_kind_of_bad_input():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    assert {"process", "fetch"} == {c.command for c in CASES}


# --- what is not an error ---------------------------------------------------------------------------

def test_a_utf8_byte_order_mark_changes_nothing(processed, tmp_path):
    """Excel writes UTF-8 CSV with a byte-order mark; the text is the same, so the table must be too."""
    tables = []
    for name, encoding in (("plain", "utf-8"), ("bom", "utf-8-sig")):
        folder = tmp_path / name / DAILY
        folder.mkdir(parents=True)
        (folder / member(DAILY)).write_text(daily(GOOD_DAY, "2012-05-02,0.0,1.0,4.0"), encoding=encoding)
        tables.append(clean_vdc_daily(Inputs(tmp_path / name, processed))["deaths_daily"])
    assert (tmp_path / "bom" / DAILY / member(DAILY)).read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert tables[0]["deaths"].sum() == 3 + 2 + 1 + 4


# --- what reaches a page is escaped -----------------------------------------------------------------

class _Parsed(HTMLParser):
    """The start tags of a page, the content of each script element, and the text a reader sees."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.text, self._in = [], [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._in = tag
        self.tags.append(tag)
        if tag == "script":
            self.scripts.append((dict(attrs).get("type", ""), ""))

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            kind, content = self.scripts[-1]
            self.scripts[-1] = (kind, content + data)
        elif self._in != "style":
            self.text.append(data)


def page_about(place: str, monkeypatch) -> str:
    """A page that names `place` in its title, summary, a sentence, a chart's data, title and notes."""
    shown = []
    monkeypatch.setattr(facts, "_display", lambda bundle, meta: shown.append(
        new_output("display_data", data=bundle, metadata=meta)))
    data = pd.DataFrame({"place": [place, "Homs"], "deaths": [30, 40]})
    facts.page(title=f"Deaths in {place}", summary="{p} counted {n}.", as_of=date(2016, 12, 30), p=place,
               n=facts.fact(30, source="ucdp_country_year", what=f"deaths in {place}", headline=True))
    facts.say("The worst place was {p}.", p=place)
    bundle, meta = charts.chart_bundle(px.bar(data, x="place", y="deaths"), data, title=f"Deaths: {place}",
                                       source="ucdp_country_year", notes=facts.md("Including {p}.", p=place))
    cells = [new_code_cell("", outputs=shown[:1]),
             new_code_cell("", outputs=shown[1:] + [new_output("display_data", data=bundle, metadata=meta)])]
    html = pages.render(pages.collect(new_notebook(cells=cells), "nb"), built=datetime(2024, 1, 1, tzinfo=timezone.utc))
    check_published(html, "nb")
    return html


def test_a_hostile_place_name_reaches_the_page_as_text(monkeypatch):
    hostile = f"{SCRIPT}<img src=x onerror=alert('y')>Idleb"
    benign, bad = _Parsed(page_about("Idleb", monkeypatch)), _Parsed(page_about(hostile, monkeypatch))
    assert bad.tags == benign.tags  # no element came from the name: no extra script, no img
    assert [k for k, _ in bad.scripts] == [k for k, _ in benign.scripts]
    for kind, content in bad.scripts:
        if kind == "application/json":
            assert "<" not in content  # data: nothing in it can close its script element
        else:
            assert "alert(" not in content  # code: the name never runs
    text = "".join(bad.text)
    assert f"Deaths in {hostile}" in text  # the reader sees the name as written
    assert text.count(hostile) >= 4  # title, summary, sentence, chart title, notes, description


def test_date_and_year_bounds_are_written_into_the_data_package(processed):
    package = json.loads((processed / "datapackage.json").read_text())
    fields = {(r["name"], f["name"]): f.get("constraints", {}) for r in package["resources"]
              for f in r["schema"]["fields"]}
    today = date.today()
    for key in [("victims", "date"), ("deaths_daily", "date"), ("conflict_events", "date_start"),
                ("asylum_applications", "month"), ("idp_movements", "month")]:
        assert date.fromisoformat(fields[key]["maximum"]) <= today, key
        assert date.fromisoformat(fields[key]["minimum"]) < today, key
    for key in [("refugees", "year"), ("idps_national", "year"), ("conflict_events", "year"),
                ("deaths_national", "year")]:
        assert fields[key]["maximum"] == today.year, key
    assert fields[("refugees", "year")]["minimum"] == 1951  # docs/sources.md, unhcr_population: from 1951

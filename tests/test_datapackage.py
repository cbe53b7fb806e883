"""The processed data package as `storykit process` leaves it: complete, valid, traceable."""

import json

import pytest

from storykit import catalogue

REQUIRED = {
    "provinces": {"pcode", "name_en", "name_ar"},
    "gazetteer": {"pcode", "name_en", "name_ar"},
    "refugees": {"year", "origin_iso3", "asylum_iso3", "asylum_name", "refugees", "asylum_seekers", "source"},
    "asylum_applications": {"month", "asylum_iso3", "applications", "source"},
    "idps_by_governorate": {"year", "pcode", "idps", "source"},
    "idps_national": {"year", "idps", "source"},
    "idp_movements": {"month", "pcode", "movements", "source"},
    "conflict_events": {"event_id", "date_start", "date_end", "pcode", "located_by", "latitude", "longitude",
                        "where_prec", "type_of_violence", "deaths_best", "deaths_low", "deaths_high",
                        "deaths_civilians", "source"},
    "deaths_national": {"year", "deaths_best", "deaths_low", "deaths_high", "source"},
    "victims": {"date", "pcode", "status", "sex", "age_group", "cause", "source"},
    "deaths_daily": {"date", "pcode", "deaths", "source"},
}


@pytest.fixture(scope="module")
def package(processed):
    return json.loads((processed / "datapackage.json").read_text())


def test_every_required_resource_and_column_is_described(package, processed):
    resources = {r["name"]: r for r in package["resources"]}
    for name, columns in REQUIRED.items():
        assert name in resources, f"datapackage.json has no resource {name}"
        declared = {f["name"] for f in resources[name]["schema"]["fields"]}
        assert columns <= declared, f"{name} lacks {columns - declared}"
        assert (processed / resources[name]["path"]).is_file()


def test_every_resource_names_its_raw_files_with_hash_and_licence(package):
    for resource in package["resources"]:
        assert resource["sources"], resource["name"]
        for entry in resource["sources"]:
            source = catalogue.get(entry["id"])
            assert entry["sha256"] in {f.sha256 for f in source.files}
            assert entry["licence"] == source.licence


def test_frictionless_finds_every_resource_valid(processed):
    from frictionless import validate

    # Every row of every resource, the resources shared out over the processors (the largest, the
    # conflict events, alone takes most of the time).
    report = validate(processed / "datapackage.json", parallel=True)
    assert len(report.tasks) == len(json.loads((processed / "datapackage.json").read_text())["resources"])
    errors = [f"{t.name}: {e.message}" for t in report.tasks for e in t.errors[:3]]
    assert report.valid, "\n".join(errors[:20])

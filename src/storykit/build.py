"""Build reports/: for now, an index page that lists the processed tables and their sources."""

import json
from html import escape

from .errors import StorykitError
from .paths import processed_dir, reports_dir
from .tables import write_text


def build(reports: list[str] | None = None, force: bool = False) -> None:
    package_file = processed_dir() / "datapackage.json"
    if not package_file.is_file():
        raise StorykitError("There are no processed tables yet: run `storykit fetch` and `storykit process` first.")
    package = json.loads(package_file.read_text(encoding="utf-8"))
    rows = "\n".join(
        f"<tr><td>{escape(r['name'])}</td><td>{escape(r['title'])}</td>"
        f"<td>{escape('; '.join(sorted({s['title'] for s in r['sources']})))}</td>"
        f"<td>{escape('; '.join(sorted({s['licence'] for s in r['sources']})))}</td></tr>"
        for r in package["resources"]
    )
    write_text(INDEX.format(rows=rows, created=escape(package["created"])), reports_dir() / "index.html")


INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Syria's war in numbers: the data</title></head>
<body><main><h1>Syria's war in numbers: the data</h1>
<p>Processed tables, built {created}.</p>
<table><thead><tr><th>Table</th><th>What it holds</th><th>Sources</th><th>Licences</th></tr></thead>
<tbody>
{rows}
</tbody></table></main></body></html>
"""

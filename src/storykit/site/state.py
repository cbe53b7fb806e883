"""What a build keeps between builds in build/freeze.json: the version and index it published last,
and the dates the processed tables cover, read again only when a table changed."""

import hashlib
import json
from datetime import date
from pathlib import Path

from .. import catalogue
from ..atomic import write_text

STATE = "freeze.json"


class State:
    def __init__(self, work: Path):
        self.path = work / STATE
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.data = {}

    def get(self, key: str):
        return self.data.get(key)

    def update(self, **values) -> None:
        self.data |= values

    def save(self) -> None:
        text = json.dumps(self.data, indent=1, sort_keys=True)
        try:
            if self.path.read_text(encoding="utf-8") == text:
                return
        except OSError:
            pass
        write_text(text, self.path)

    def stale(self, root: Path, digests, log=print) -> list:
        """Sources whose figures are older than the catalogue allows (the staleness guard). It never
        stops a build: the processed tables' own checks will."""
        from ..ingest.staleness import Currency

        today = date.today()
        try:
            tables = sorted(p.name for p in (root / "data" / "processed").glob("*.parquet"))
            key = hashlib.sha256(json.dumps([[t, digests(f"file:data/processed/{t}")] for t in tables])
                                 .encode()).hexdigest()
            if (self.data.get("currency") or {}).get("key") != key:
                from ..ingest.staleness import currency

                found = currency(root / "data" / "processed")
                self.data["currency"] = {"key": key, "covers": {s: c.covers_to and c.covers_to.isoformat()
                                                                for s, c in found.items()}}
            covers = self.data["currency"]["covers"]
            found = [Currency(s, date.fromisoformat(covers[s]) if covers.get(s) else None, source.max_age_days)
                     for s, source in catalogue.sources().items()]
            return [c for c in found if c.is_stale(today)]
        except Exception as e:  # noqa: BLE001
            log(f"could not check how current the sources are ({type(e).__name__}: {e})")
            return []

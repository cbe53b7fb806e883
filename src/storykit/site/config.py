"""reports.toml: the site's settings ([site]) and the reports it publishes ([[reports]]), in order."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import StorykitError

CONFIG = "reports.toml"


@dataclass
class Config:
    intro: str
    cell_timeout: int
    kernel: str
    notebook_timeout: int = 3600
    lock_wait: int = 1800
    workers: int = 0  # kernels at once; 0: one per processor
    reuse_kernels: bool = True  # run page after page in a kernel, each in a fresh namespace
    keep_versions: int = 2  # versions kept in .site/: the one online and those `storykit rollback` returns to
    lead: str = ""  # the story whose first chart leads the index
    url: str = ""  # where the site is published, ending in "/": pages name their canonical address
    reports: list[dict] = field(default_factory=list)
    intro_ar: str = ""  # the index's introduction in the Arabic edition

    def label(self, report: dict, arabic: bool = False) -> str:
        """A report's name in the menu: its `title` (`title_ar` in Arabic), else "" (its page's title)."""
        return report.get("title_ar" if arabic else "title", "")

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.reports]

    def outputs(self) -> list[str]:
        """Every page the reports make with their own parameters, in order."""
        out = []
        for r in self.reports:
            fan = r.get("fan_out")
            out += [f"{fan.get('folder', r['name'])}/{p}.html" for p in fan["pages"]] if fan else [f"{r['name']}.html"]
        return out


def load_config(root: Path) -> Config:
    path = root / CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StorykitError(f"{path} is missing: it lists the reports to build.") from None
    except tomllib.TOMLDecodeError as e:
        raise StorykitError(f"{path}: {e}.") from None
    site = data.get("site", {})
    reports = data.get("reports", [])
    for i, r in enumerate(reports, start=1):
        for key in ("name", "notebook"):
            if not r.get(key):
                raise StorykitError(f"{path}: report number {i} has no {key!r}.")
        fan = r.get("fan_out")
        if fan and not (fan.get("parameter") and fan.get("pages")):
            raise StorykitError(f"{path}: report {r['name']!r}: fan_out needs `parameter` and a `pages` table.")
    names = [r["name"] for r in reports]
    if len(set(names)) != len(names):
        raise StorykitError(f"{path}: two reports share a name; names must be unique.")
    lead = site.get("lead", "")
    stories = [r["name"] for r in reports if not r.get("fan_out")]
    if lead and lead not in stories:
        raise StorykitError(f"{path}: [site] lead = {lead!r} names no story; it may be one of {', '.join(stories)}.")
    return Config(intro=site.get("intro", ""), cell_timeout=int(site.get("cell_timeout", 600)),
                  kernel=site.get("kernel", "python3"), notebook_timeout=int(site.get("notebook_timeout", 3600)),
                  lock_wait=int(site.get("lock_wait", 1800)), workers=int(site.get("workers", 0)),
                  reuse_kernels=bool(site.get("reuse_kernels", True)), lead=lead, reports=reports,
                  keep_versions=_keep_versions(path, site), url=_url(path, site), intro_ar=site.get("intro_ar", ""))


def _keep_versions(path: Path, site: dict) -> int:
    value = site.get("keep_versions", Config.keep_versions)
    # bool is an int in Python; `keep_versions = true` is no count
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise StorykitError(f"{path}: [site] keep_versions = {_toml(value)} is not allowed: write a whole number "
                            "of at least 2, without quotes (the version online and the one `storykit rollback` "
                            f"goes back to), e.g. keep_versions = 3; without it, {Config.keep_versions} are kept.")
    return value


def _url(path: Path, site: dict) -> str:
    """The site's address, ending in "/" so that a page's path joins it; "" when reports.toml names none."""
    value = site.get("url", "")
    parts = urlsplit(value) if isinstance(value, str) else None
    if value == "" or (parts and parts.scheme in ("http", "https") and parts.hostname and not parts.query
                       and not parts.fragment and not any(c.isspace() for c in value)):
        return value if value == "" or value.endswith("/") else value + "/"
    raise StorykitError(f"{path}: [site] url = {_toml(value)} is not allowed: write the address where the site is "
                        'published, in quotes, starting with https:// (or http://), e.g. url = '
                        '"https://example.org/syria/"; without it, pages name no canonical address.')


def _toml(value) -> str:
    """The value as it is written in reports.toml."""
    return str(value).lower() if isinstance(value, bool) else f'"{value}"' if isinstance(value, str) else str(value)

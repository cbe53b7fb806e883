"""The record of the last build, in build/last-build.json, for whoever comes after a build nobody
watched (cron, CI): when it ran, what it published, what failed and why, and where the notebooks it
ran are, as they ran. `storykit status` shows it.

Times are kept in UTC and shown in the machine's own time zone, named, as a person would write
them; the executed notebooks' folder is kept relative to the project, which may move.
"""

import json
from datetime import datetime, timezone
from pathlib import Path

from .. import arabic
from ..atomic import write_text
from ..errors import StorykitError
from ..paths import project_root
from .progress import duration

LAST = "last-build.json"
FIELDS = ("started", "finished", "published", "failed", "executed", "version")


def record(work: Path, *, started: datetime, finished: datetime, published: list[str], failed: dict[str, str],
           executed: Path, version: str | None) -> None:
    """Keep the record of the build that just ended in `work`/last-build.json (replacing the one before).

    `published`: the pages it published; `failed`: {page: why}; `executed`: the folder of the
    notebooks it ran; `version`: the name of the site version it published, or None."""
    data = {"started": _utc(started), "finished": _utc(finished), "published": list(published),
            "failed": dict(failed), "executed": _in_project(executed), "version": version}
    write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", work / LAST)


def last(work: Path) -> dict | None:
    """The record of the last build (its times as datetimes), or None if no build has run yet."""
    path = work / LAST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not (isinstance(data, dict) and set(FIELDS) <= set(data)):
            raise ValueError("some of its fields are missing")
        return data | {"started": datetime.fromisoformat(data["started"]),
                       "finished": datetime.fromisoformat(data["finished"])}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as e:  # a JSONDecodeError is a ValueError
        raise StorykitError(f"{_in_project(path)} cannot be read as the record of a build ({e}). Delete it: "
                            "the next build writes it again.") from None


def describe(record: dict, now: datetime | None = None, online: Path | None = None) -> list[str]:
    """The record in lines for people. `online`: the version readers see now (publish.Site.version()),
    to say so when a rollback has replaced the one this build published."""
    from .publish import version_time

    finished, published, failed = record["finished"], record["published"], record["failed"]
    lines = [f"Last build: finished {moment(finished)} ({ago(finished, now)}), "
             f"after {duration((finished - record['started']).total_seconds())}."]
    if published:
        lines.append(f"  published {len(published)} page(s) and the index: {', '.join(published)}")
    elif record["version"]:
        lines.append("  published the index only: no page needed making again")
    else:
        lines.append("  published nothing" + ("" if failed else ": every page was up to date"))
    if failed:
        lines.append(f"  {len(failed)} page(s) failed (a version published before stays online, marked out of date):")
        for page, why in failed.items():
            lines.append(f"    {page}: " + str(why).replace("\n", "\n      "))
    lines.append(f"  the notebooks as they ran: {record['executed']}/")
    if online is not None and record["version"] and online.name != record["version"]:
        lines.append("  reports/ has been rolled back since: it shows the version built "
                     f"{moment(version_time(online))}")
    return lines


def utc_text(when: datetime | str, lang: str = "en") -> str:
    """'2 December 2026, 13:54 UTC': a time as pages show it to readers (an ISO text is read first); in
    Arabic (`lang` "ar"), '2 كانون الأول 2026، 13:54 بتوقيت غرينتش'."""
    when = (datetime.fromisoformat(when) if isinstance(when, str) else when).astimezone(timezone.utc)
    if lang == arabic.CODE:
        return f"{arabic.day_text(when)}، {when:%H:%M} بتوقيت غرينتش"
    return f"{when.day} {when:%B %Y}, {when:%H:%M} UTC"


def moment(when: datetime) -> str:
    """'Tuesday 4 March 2025 at 05:31 CET', in the machine's time zone (a naive time is taken as local)."""
    local = when.astimezone()
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local:%Z}".rstrip()


def ago(when: datetime, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    now = now or datetime.now(timezone.utc)
    seconds = (now.astimezone(timezone.utc) - when.astimezone(timezone.utc)).total_seconds()
    if seconds < 60:  # a clock set a little wrong too: never "in -2 minutes"
        return "just now"
    minutes = int(seconds // 60)
    count, unit = (minutes, "minute") if minutes < 60 else (minutes // 60, "hour") if minutes < 48 * 60 \
        else (minutes // (24 * 60), "day")
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def _utc(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _in_project(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)


def describe_changes(entries: list[dict]) -> list[str]:
    """The newest entries of the site's log of changes (storykit.site.changes.latest), in lines for people."""
    lines = ["", "Latest changes (every one is in reports/changes.html):"]
    for e in entries:
        kind = {"change": "figures updated", "rollback": "figures put back"}.get(e.get("kind"), e.get("kind"))
        when = datetime.fromisoformat(e["date"])
        head = f"  {moment(when)}  {e['page']}: {kind}"
        figures = e.get("figures", [])
        if figures:
            f = figures[0]
            more = f", and {len(figures) - 1} more" if len(figures) > 1 else ""
            head += f": {f['what']} {f['new'] if f['new'] is not None else '(gone)'}, was " \
                    f"{f['old'] if f['old'] is not None else '(new)'}{more}"
        elif e.get("text"):
            head += f": {e['text']}"
        lines.append(head)
    return lines

"""The `storykit` command: fetch, process, build, and the reporter's own: new, check, preview, status,
rollback."""

import argparse
import sys

from .errors import StorykitError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storykit", description="Fetch, clean and publish the Syria story.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch", help="download raw sources into data/raw/, checking each SHA-256")
    p.add_argument("ids", nargs="*", help="catalogue ids (default: every source)")
    p = sub.add_parser("process", help="clean raw sources into data/processed/")
    p.add_argument("--force", action="store_true", help="run every cleaner even if nothing changed")
    sub.add_parser("status", help="say how current each source is, which are stale, and what the last build did")
    p = sub.add_parser("build", help="build the pages in reports/")
    p.add_argument("reports", nargs="*", help="report names (default: all)")
    p.add_argument("--force", action="store_true",
                   help="make every page named again, even those whose notebook, parameters and inputs are unchanged")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), dest="params",
                   help="set a notebook parameter for this build (repeatable); alone, builds the reports that take it")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="how long to wait for a build already running (default: lock_wait in reports.toml; 0: stop at once)")
    p.add_argument("--publish", action="store_true",
                   help="publish pages built with -p values that reports.toml does not set (without it, such a "
                        "build is a trial, made in build/preview/ only)")
    sub.add_parser("rollback", help="publish again the version of the site before the one online")
    p = sub.add_parser("preview", help="build pages privately and show them on this machine, made again at each change")
    p.add_argument("reports", nargs="*", help="report names (default: all)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), dest="params",
                   help="try a notebook parameter (repeatable); nothing is published")
    p.add_argument("--port", type=int, default=8000, help="the port on 127.0.0.1 (default: 8000)")
    p = sub.add_parser("new", help="make a new story's notebook, ready to build, and add it to reports.toml")
    p.add_argument("name", help="the story's name, as its page will be called: e.g. army-check")
    p = sub.add_parser("check", help="run every page check on a notebook's pages, without publishing")
    p.add_argument("notebook", help="the notebook, e.g. notebooks/truce.ipynb")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except StorykitError as e:
        print(f"storykit {args.command}: {e}", file=sys.stderr)
        if args.command in ("fetch", "process"):  # a scheduled run must hear of these too; build alerts itself
            import socket

            from .alerts import send

            send(f"storykit {args.command} failed on {socket.gethostname()}: {e}",
                 log=lambda m: print(m, file=sys.stderr))
        return 1
    except KeyboardInterrupt:
        print(f"storykit {args.command}: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130


def _fetch(args) -> int:
    from .ingest.fetch import fetch

    got = fetch(args.ids or None)
    print(f"fetched {len(got)} source(s)" + (f": {', '.join(got)}" if got else "; all were already present and checked"))
    return 0


def _process(args) -> int:
    from .ingest.snapshot import processing_is_current
    from .paths import processed_dir, raw_dir

    if not args.force and processing_is_current(raw_dir(), processed_dir()):  # without importing the cleaners
        print("processed 0 cleaner(s); everything was up to date")
        return 0
    from .ingest.process import process

    ran = process(force=args.force)
    print(f"processed {len(ran)} cleaner(s)" + (f": {', '.join(ran)}" if ran else "; everything was up to date"))
    return 0


def _status(args) -> int:
    from datetime import date

    from .paths import processed_dir
    from .ingest.staleness import currency

    today = date.today()
    for c in currency(processed_dir()).values():
        if c.covers_to is None:
            continue
        limit = f"limit {c.max_age_days} days" if c.max_age_days else "archive"
        flag = "  STALE" if c.is_stale(today) else ""
        print(f"{c.source:32} covers to {c.covers_to:%Y-%m-%d} ({c.age_days(today):>5} days ago, {limit}){flag}")
    _last_build()
    return 0


def _last_build() -> None:
    from .paths import project_root
    from .site import history
    from .site.publish import Site

    record = history.last(project_root() / "build")
    print()  # a blank line after the sources' lines
    print("\n".join(history.describe(record, online=Site(project_root()).version())) if record
          else "no build has run yet")
    from .site.changes import latest

    if entries := latest(project_root()):
        print("\n".join(history.describe_changes(entries)))


def _build(args) -> int:
    from .paths import project_root
    from .site.build import build

    built = build(args.reports, force=args.force, params=dict(args.params or []), wait=args.wait,
                  publish_trials=args.publish)
    if built.private:
        print(f"made {len(built)} page(s) in {built.private.relative_to(project_root())}/ only; reports/ is unchanged")
    else:
        print(f"published {len(built)} page(s) and the index in reports/" if built
              else "no page needed making again; reports/ is up to date")
    return 0


def _rollback(args) -> int:
    from .atomic import locked
    from .paths import project_root
    from .site import changes
    from .site.config import load_config
    from .site.history import ago, moment
    from .site.publish import Site, version_time

    root = project_root()
    config = load_config(root)
    site = Site(root, keep=config.keep_versions)
    with locked(root / "build" / "build.lock", config.lock_wait):  # as a build does: one of them at a time
        site.recover()
        put_back = []
        version = site.rollback(lambda now, back: put_back.append(changes.roll_back(root, config, now, back)))
    built = version_time(version)
    print(f"reports/ now shows the site as built {moment(built)} ({ago(built)}). The next `storykit build`, "
          "a scheduled one too, makes again the pages changed since then: fix what was wrong before it runs.")
    if put_back and put_back[0]:
        print(f"The figures it puts back are logged on {put_back[0]} page(s) and in reports/changes.html.")
    return 0


def _preview(args) -> int:
    from .site.preview import preview

    try:
        preview(args.reports, dict(args.params or []), args.port, argv=sys.argv[1:])
    except KeyboardInterrupt:
        print("preview stopped; nothing was published")
    return 0


def _new(args) -> int:
    from .paths import project_root
    from .site.new import new_story

    new_story(project_root(), args.name)
    return 0


def _check(args) -> int:
    from .site.preview import check

    passed = check(args.notebook)
    print(f"{args.notebook}: every page check passed ({', '.join(passed)}); nothing was published")
    return 0


COMMANDS = {"fetch": _fetch, "process": _process, "status": _status, "build": _build, "rollback": _rollback,
            "preview": _preview, "check": _check, "new": _new}

if __name__ == "__main__":
    sys.exit(main())

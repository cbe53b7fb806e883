"""The `storykit` command: fetch, process, build."""

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
    sub.add_parser("status", help="say how current each source is, and which are stale")
    p = sub.add_parser("build", help="build the pages in reports/")
    p.add_argument("reports", nargs="*", help="report names (default: all)")
    p.add_argument("--force", action="store_true",
                   help="make every page named again, even those whose notebook, parameters and inputs are unchanged")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), dest="params",
                   help="set a notebook parameter for this build (repeatable); alone, builds the reports that take it")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="how long to wait for a build already running (default: lock_wait in reports.toml; 0: stop at once)")
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
    return 0


def _build(args) -> int:
    from .site.build import build

    published = build(args.reports, force=args.force, params=dict(args.params or []), wait=args.wait)
    print(f"published {len(published)} page(s) and the index in reports/" if published
          else "no page needed making again; reports/ is up to date")
    return 0


COMMANDS = {"fetch": _fetch, "process": _process, "status": _status, "build": _build}

if __name__ == "__main__":
    sys.exit(main())

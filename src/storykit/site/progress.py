"""What a build is doing while it runs, and how long each page took.

On a terminal someone is watching: a progress bar (pages done of all, time elapsed, the pages
running) stays at the bottom, drawn with rich, and the build's messages scroll above it. Anywhere
else (a cron log, CI, a pipe) a reader comes later and reads lines: each message is one whole line,
given to `log`, with the page's place in the build, and no control character (no colour, no
carriage return redrawing a line):

    [3/17] building truce.html ...
    [3/17] truce.html done in 7.2 s

The build calls `started`, `finished` and `log` from the thread the kernels report from as well as
its own, so every change is made under a lock.
"""

import re
import sys
import threading
import time

# Terminal escapes (colours, cursor moves) and the other control characters but tab and newline.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


def duration(seconds: float) -> str:
    """'7.2 s', '3 min 05 s', '1 h 02 min': as precise as a person needs."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """The build's progress over `total` pages; use it as a context manager.

    `log` receives the lines when `stream` (sys.stderr by default, as it is when the build runs) is
    no terminal; on a terminal everything is drawn on `stream`. `clock` gives seconds (tests pass
    their own)."""

    def __init__(self, total: int, log=print, stream=None, clock=time.monotonic):
        stream = sys.stderr if stream is None else stream
        self.total, self._log, self._clock = total, log, clock
        self._lock = threading.RLock()  # a `log` that reports back through this object does not deadlock
        self._begun: dict[str, float] = {}  # pages running: when each began
        self._times: dict[str, float] = {}
        self._failed: set[str] = set()
        self._starts = self._done = 0
        self._bar = self._task = None
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        if self._tty:
            self._bar = _bar(stream)
            self._task = self._bar.add_task("pages", total=total, running="")

    def __enter__(self) -> "Progress":
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            with self._lock:
                self._redraw()
            self._bar.stop()  # the last state stays on screen; the cursor comes back

    @property
    def times(self) -> dict[str, float]:
        """Seconds each finished page ran, by its label."""
        with self._lock:
            return dict(self._times)

    def started(self, label: str, doing: str = "building") -> None:
        """The page began: `doing` says how ("building" in a kernel, or making it again from its last run)."""
        with self._lock:
            self._starts += 1
            self._begun[label] = self._clock()
            if self._tty:
                self._redraw()
            else:
                self._log(f"[{self._starts}/{self.total}] {doing} {_plain(label)} ...")

    def finished(self, label: str, ok: bool) -> None:
        """The page is done (`ok`) or failed; its time is recorded if it had started."""
        with self._lock:
            self._done += 1
            begun = self._begun.pop(label, None)
            took = ""
            if begun is not None:
                self._times[label] = self._clock() - begun
                took = f" {'in' if ok else 'after'} {duration(self._times[label])}"
            if not ok:
                self._failed.add(label)
            line = f"{_plain(label)} {'done' if ok else 'failed'}{took}"
            if self._tty:
                self._bar.console.print(line, markup=False, highlight=False, emoji=False)
                self._redraw()
            else:
                self._log(f"[{self._done}/{self.total}] {line}")

    def log(self, message: str) -> None:
        """Any other message of the build: above the bar, or a line of its own."""
        with self._lock:
            if self._tty:
                self._bar.console.print(message, markup=False, highlight=False, emoji=False)
            else:
                self._log(_plain(message))

    def summary(self) -> list[str]:
        """Each page's time, slowest first, for the end of the build."""
        with self._lock:
            times = sorted(self._times.items(), key=lambda lt: (-lt[1], lt[0]))
            return [f"{duration(s):>10}  {label}" + ("  (failed)" if label in self._failed else "")
                    for label, s in times]

    def _redraw(self) -> None:
        running = ", ".join(self._begun)
        self._bar.update(self._task, completed=self._done, running=f"running: {running}" if running else "")


def _plain(text: str) -> str:
    return CONTROL.sub("", str(text))


def _bar(stream):
    # Only on a terminal: a build in cron never imports rich.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar
    from rich.table import Column

    console = Console(file=stream, force_terminal=True, highlight=False)
    # The pages running take what room is left, cut short: the count and the time always show.
    running = TextColumn("{task.fields[running]}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1))
    return Bar(TextColumn("building"), BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn("pages"),
               TimeElapsedColumn(), running, console=console, expand=True)

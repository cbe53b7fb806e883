"""The build's progress: plain whole lines where nobody watches (cron, CI, a pipe), a bar on a terminal."""

import io
import re
import threading

from storykit.site.progress import Progress, duration


class Clock:
    """Seconds the test decides, so no assertion depends on how fast the machine is."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_three(progress: Progress, clock: Clock) -> None:
    """Two pages run side by side, one fails; a message comes while they run."""
    with progress:
        progress.started("truce.html")
        progress.started("governorates/idleb.html")
        clock.now = 2.5
        progress.log("  not on the page: cell 3 (“print(x)”)")
        progress.finished("governorates/idleb.html", ok=True)
        progress.started("refugees.html")
        clock.now = 7.2
        progress.finished("truce.html", ok=True)
        clock.now = 70.0
        progress.finished("refugees.html", ok=False)


def test_without_a_terminal_each_step_is_one_plain_line():
    lines, clock, stream = [], Clock(), io.StringIO()
    run_three(Progress(3, log=lines.append, stream=stream, clock=clock), clock)
    assert lines == [
        "[1/3] building truce.html ...",
        "[2/3] building governorates/idleb.html ...",
        "  not on the page: cell 3 (“print(x)”)",
        "[1/3] governorates/idleb.html done in 2.5 s",
        "[3/3] building refugees.html ...",
        "[2/3] truce.html done in 7.2 s",
        "[3/3] refugees.html failed after 1 min 08 s",
    ]
    assert stream.getvalue() == ""  # nothing drawn where no one looks


def test_plain_lines_carry_no_control_characters():
    lines = []
    progress = Progress(1, log=lines.append, stream=io.StringIO())
    with progress:
        progress.log("\x1b[31mValueError\x1b[0m: no year column\rredrawn")
        progress.started("toll\x1b[1m.html")
    assert lines == ["ValueError: no year column" + "redrawn", "[1/1] building toll.html ..."]
    assert not any(re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line) for line in lines)


def test_times_and_the_summary_put_the_slowest_page_first():
    clock = Clock()
    progress = Progress(3, log=lambda _: None, stream=io.StringIO(), clock=clock)
    run_three(progress, clock)
    assert progress.times == {"governorates/idleb.html": 2.5, "truce.html": 7.2, "refugees.html": 67.5}
    assert [line.split() for line in progress.summary()] == [
        ["1", "min", "08", "s", "refugees.html", "(failed)"],
        ["7.2", "s", "truce.html"],
        ["2.5", "s", "governorates/idleb.html"],
    ]


def test_a_page_that_never_started_counts_as_done_without_a_time():
    lines = []
    progress = Progress(2, log=lines.append, stream=io.StringIO())
    progress.finished("toll.html", ok=False)  # its notebook could not even be read
    assert lines == ["[1/2] toll.html failed"] and progress.times == {} and progress.summary() == []


def test_on_a_terminal_a_bar_counts_the_pages_and_messages_go_above_it():
    lines, clock, terminal = [], Clock(), Terminal()
    progress = Progress(3, log=lines.append, stream=terminal, clock=clock)
    with progress:
        progress.started("truce.html")
        progress.log("[not markup] checking the new site")
        progress._bar.refresh()
        shown = strip(terminal.getvalue())
        assert "building" in shown and "0/3" in shown and "running: truce.html" in shown
        clock.now = 7.2
        progress.finished("truce.html", ok=True)
    assert lines == []  # drawn on the terminal, not handed to the log as well
    shown = strip(terminal.getvalue())
    assert "[not markup] checking the new site" in shown and "truce.html done in 7.2 s" in shown
    assert "1/3" in shown.splitlines()[-1]  # the bar stays, last, with its final count
    assert "\x1b[" in terminal.getvalue()  # drawn with a terminal's controls (which plain lines never carry)
    assert progress.times == {"truce.html": 7.2}


def test_pages_reported_from_several_threads_are_all_counted():
    lines = []
    progress = Progress(40, log=lines.append, stream=io.StringIO())

    def page(i):
        progress.started(f"p{i}.html")
        progress.finished(f"p{i}.html", ok=True)

    threads = [threading.Thread(target=page, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = sorted(int(re.match(r"\[(\d+)/40\] p\d+\.html done", line)[1]) for line in lines if " done" in line)
    assert done == list(range(1, 41)) and len(progress.times) == 40


def test_durations_read_as_a_person_says_them():
    assert [duration(s) for s in (0.04, 7.25, 59.9, 65, 3599, 3600, 7325)] == [
        "0.0 s", "7.2 s", "59.9 s", "1 min 05 s", "59 min 59 s", "1 h 00 min", "2 h 02 min"]


def strip(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", text)

"""The build's kernels: started ahead of need, several at once, each running page after page.

`with Pool(...) as pool` starts one kernel per worker at once, and imports the pages' libraries in
it, while the build itself is still starting (this module imports only jupyter_client until a page
runs); `pool.run(tasks)` hands out the pages in order and yields each result as it comes, so the
build exports one page while the kernels run the next ones.

Reuse, and what makes it safe: before each page its kernel gets a fresh namespace (IPython's
%reset -f), the notebook's folder as working directory, and recording of the page's inputs
(storykit.notebook.session). What carries over from one page to the next is module state that
does not depend on the page: imported modules, storykit.data's tables (cached per file version).
A page that fails in any way ends its kernel; the next page gets a new one. With
`reuse_kernels = false` in reports.toml every page gets a new kernel (for a notebook that changes
library-wide settings a later page would inherit).

Parameters are injected as Papermill does (storykit.site.parameters).

A cell over `cell_timeout`, a page over `notebook_timeout`, a kernel that dies, and every kernel
when the run ends or is interrupted: the kernel's whole process group is killed, so nothing a
notebook started outlives its page.
"""

import ast
import asyncio
import json
import os
import queue
import signal
import subprocess
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from ..atomic import write_text
from ..notebook import session
from ..notebook.contract import cell_label
from .checks import PageError, strip_ansi
from .parameters import inject

STARTUP = 60  # seconds a kernel may take to answer once started
PREPARE = 120  # seconds storykit's own calls in a kernel (imports, a fresh namespace) may take
# What the build runs in a kernel, named through the module itself so that moving it moves this too.
SESSION = f"__import__({session.__name__!r}, fromlist=['_'])"
WARM = f"{SESSION}.warm()"
BEGIN = SESSION + ".begin_page({cwd!r})"
READS = f"{SESSION}.end_page()"

started = 0  # kernels this process has started (a build with nothing to make starts none)


@dataclass
class Task:
    """One notebook run: `nb` (read by the build) with `parameters`, its executed copy saved to
    `executed`; `where` names it in messages, `message` is logged when it starts."""

    nb: dict  # a NotebookNode
    parameters: dict
    cwd: Path
    executed: Path
    where: str
    message: str
    job: object = None


@dataclass
class Result:
    task: Task
    nb: dict | None = None
    reads: dict | None = None  # {input name: stat when read} (storykit.notebook.reads)
    error: BaseException | None = None


class Kernel:
    def __init__(self, pool: "Pool"):
        self.pool = pool
        self.km: AsyncKernelManager | None = None
        self.kc = None
        self.group: int | None = None

    async def start(self) -> "Kernel":
        global started
        self.km = AsyncKernelManager(kernel_name=self.pool.kernel)
        try:
            # The kernel's own stderr (a port another process took, a warning of a library) is no reader's or
            # scheduler's business: a failure reaches the build through the kernel's messages or its death.
            # No IPython history: kernels running at once would contend for its one database and print
            # "Session/line number was not unique" into a page's cells.
            await self.km.start_kernel(cwd=str(self.pool.cwd), stderr=subprocess.DEVNULL, extra_arguments=[
                "--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"])
            started += 1
            self.group = self.km.provisioner.pgid  # the kernel starts its own session
            self.pool.groups.add(self.group)
            self.kc = self.km.client()
            self.kc.start_channels()
            await self.kc.wait_for_ready(timeout=STARTUP)
            self.kc.allow_stdin = False
            await self.call(WARM)
        except BaseException:
            await self.stop()
            raise
        return self

    async def alive(self) -> bool:
        return self.km is not None and await self.km.is_alive()

    def kill(self) -> None:
        _kill([self.group] if self.group else [])

    async def stop(self) -> None:
        self.kill()
        self.pool.groups.discard(self.group)
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            try:
                await self.km.shutdown_kernel(now=True)  # reaps it and removes its connection file
            except Exception:  # noqa: BLE001 (it is dead already; nothing more to do)
                pass

    async def call(self, code: str, expressions: dict | None = None, timeout: float = PREPARE) -> dict:
        """Run storykit's own `code` silently (nothing in the notebook, no history); the values of
        `expressions` ({name: Python expression}), as Python literals."""
        from nbclient.exceptions import DeadKernelError

        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=expressions or {},
                                 allow_stdin=False)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                reply = await self.kc.get_shell_msg(timeout=1)
            except queue.Empty:
                if not await self.alive():
                    raise DeadKernelError("Kernel died") from None
                if loop.time() > deadline:
                    raise TimeoutError(f"the kernel did not answer within {timeout:.0f} s") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
        values = {}
        for name, value in content.get("user_expressions", {}).items():
            if value.get("status") != "ok":
                raise RuntimeError(f"{value.get('ename')}: {value.get('evalue')}")
            values[name] = ast.literal_eval(value["data"]["text/plain"])
        return values

    async def run(self, task: Task) -> tuple[dict, dict]:
        """Execute the task's notebook; raise PageError saying where and why it stopped."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        class Client(NotebookClient):
            """nbclient running cells in the pool's kernel (none of its own, no signal handlers)."""

            @asynccontextmanager
            async def async_setup_kernel(self, **kwargs):
                yield

        pool, where = self.pool, task.where
        nb = inject(task.nb, task.parameters)
        progress: dict = {}
        overtime = asyncio.Event()

        def stop():
            overtime.set()
            self.kill()  # nbclient then sees a dead kernel and stops

        def where_stopped() -> str:
            return cell_label(nb, progress["index"]) if "index" in progress else "before its first cell"

        watchdog = asyncio.get_running_loop().call_later(pool.notebook_timeout, stop)
        try:
            await self.call(BEGIN.format(cwd=str(task.cwd)))
            client = Client(nb, km=self.km, timeout=pool.cell_timeout, kernel_name=pool.kernel,
                             on_cell_execute=lambda cell, cell_index: progress.update(index=cell_index))
            client.kc = self.kc
            await client.async_execute()
            reads = json.loads((await self.call("", {"reads": READS}))["reads"])
            return nb, reads
        except CellExecutionError as e:
            raise PageError(f"{where}, {where_stopped()} stopped with {e.ename}: "
                                  f"{strip_ansi(str(e.evalue))}") from None
        except CellTimeoutError:
            raise PageError(f"{where}, {where_stopped()} ran longer than the {pool.cell_timeout} s a cell "
                                  "may take (cell_timeout in reports.toml) and was stopped.") from None
        except DeadKernelError:
            if overtime.is_set():
                raise PageError(f"{where}: the notebook ran longer than the {pool.notebook_timeout} s it may "
                                      f"take (notebook_timeout in reports.toml) and was stopped in "
                                      f"{where_stopped()}.") from None
            raise PageError(f"{where}, {where_stopped()}: the kernel died while running this cell (it ran "
                                  "out of memory, crashed, or the code ended its process).") from None
        finally:
            watchdog.cancel()
            try:  # what ran, for the reporter to look at (the page is made from `nb`, not this file)
                write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", task.executed)
            except (OSError, TypeError, ValueError):
                pass


class Pool:
    """Kernels that run notebooks, `workers` at a time; use it as a context manager."""

    def __init__(self, kernel: str, cwd: Path, workers: int, cell_timeout: int, notebook_timeout: int,
                 reuse: bool = True):
        self.kernel, self.cwd, self.workers = kernel, cwd, max(1, workers)
        self.cell_timeout, self.notebook_timeout, self.reuse = cell_timeout, notebook_timeout, reuse
        self.groups: set[int] = set()  # process groups of the kernels alive
        self._results: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._started = lambda task: None

    @classmethod
    def for_site(cls, config, root: Path, pages: int) -> "Pool":
        """The pool reports.toml sets for `pages` pages of the project at `root`: a kernel per page, at
        most `workers` (by default one per processor)."""
        return cls(config.kernel, root / "notebooks", min(config.workers or os.cpu_count() or 1, pages),
                   config.cell_timeout, config.notebook_timeout, config.reuse_kernels)

    def __enter__(self) -> "Pool":
        self._thread.start()  # the kernels start now
        self._ready.wait()
        return self

    def __exit__(self, *exc) -> None:
        """Stop every kernel, at once if the build is leaving early (an error, Ctrl-C)."""
        self._send([None] * self.workers)  # workers stop when they have run what they were given
        if exc[0] is not None and (loop := getattr(self, "_loop", None)) is not None:
            try:
                loop.call_soon_threadsafe(self._task.cancel)
            except RuntimeError:  # the loop has just finished
                pass
            _kill(list(self.groups))
        self._thread.join(timeout=60)
        _kill(list(self.groups))

    def run(self, tasks: list[Task], log=print, keep: bool = False, started=None):
        """Yield a Result for each task, in the order they finish; the kernels then stop, unless
        `keep` (a preview's, kept warm for the next change). `started(task)` is called as each
        begins (by default its message is logged)."""
        self._started = started or (lambda task: log(task.message))
        self._send(tasks + ([] if keep else [None] * self.workers))
        for _ in tasks:
            item = self._results.get()
            if isinstance(item, BaseException):  # the pool itself broke
                raise item
            yield item

    def _send(self, items: list) -> None:
        for item in items:
            try:
                self._loop.call_soon_threadsafe(self._todo.put_nowait, item)
            except (RuntimeError, AttributeError):  # the loop is closed, or never ran: nobody waits for work
                pass

    def _main(self) -> None:
        async def main():
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
            self._todo: asyncio.Queue = asyncio.Queue()
            self._ready.set()
            try:
                await asyncio.gather(*(self._worker() for _ in range(self.workers)))
            finally:
                _kill(list(self.groups))

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as e:  # noqa: BLE001 (the pool itself broke: the build says so)
            self._results.put(e)
        finally:
            self._ready.set()

    async def _worker(self) -> None:
        kernel = await self._start()  # at once: it starts while the build prepares the pages
        try:
            while (task := await self._todo.get()) is not None:
                self._started(task)
                if isinstance(kernel, Kernel) and not await kernel.alive():
                    await kernel.stop()
                    kernel = None
                if kernel is None:
                    kernel = await self._start()
                if isinstance(kernel, BaseException):  # it could not start: this page fails, the next tries again
                    self._results.put(Result(task, error=kernel))
                    kernel = None
                    continue
                try:
                    nb, reads = await kernel.run(task)
                    self._results.put(Result(task, nb=nb, reads=reads))
                    done = not self.reuse
                except Exception as e:  # noqa: BLE001 (reported as this page's failure)
                    self._results.put(Result(task, error=e))
                    done = True  # whatever state the failure left is not handed to the next page
                if done:
                    await kernel.stop()
                    kernel = None
        finally:
            if isinstance(kernel, Kernel):
                await kernel.stop()

    async def _start(self) -> "Kernel | BaseException":
        try:
            return await Kernel(self).start()
        except Exception as e:  # noqa: BLE001 (the page that needed it fails with this)
            return e


def _kill(groups: list[int]) -> None:
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, TypeError):
            pass

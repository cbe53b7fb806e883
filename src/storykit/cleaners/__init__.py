"""The cleaners: each reads raw sources and returns tidy tables that match its declared schemas.

A cleaner is a function registered with `@cleaner(sources=..., outputs=...)`. It receives the
paths of its raw files and returns {resource name: DataFrame}; `storykit.process` types, checks
and writes what it returns, and records where it came from in datapackage.json.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import catalogue
from ..tables import Schema


@dataclass(frozen=True)
class Cleaner:
    name: str
    sources: tuple[str, ...]
    outputs: tuple[Schema, ...]
    needs: tuple[str, ...]  # processed resources it reads, made by other cleaners
    run: Callable[["Inputs"], dict[str, pd.DataFrame]]


@dataclass(frozen=True)
class Inputs:
    raw_root: Path
    processed_root: Path

    def raw(self, source_id: str, member: str | None = None) -> Path:
        return catalogue.get(source_id).local_path(member, self.raw_root)

    def processed(self, name: str) -> Path:
        matches = sorted(self.processed_root.glob(f"{name}.*"))
        return matches[0]


REGISTRY: dict[str, Cleaner] = {}


def cleaner(*, sources: tuple[str, ...], outputs: tuple[Schema, ...], needs: tuple[str, ...] = ()):
    def register(func):
        REGISTRY[func.__name__.removeprefix("clean_")] = Cleaner(
            func.__name__.removeprefix("clean_"), tuple(sources), tuple(outputs), tuple(needs), func
        )
        return func

    return register


def all_cleaners() -> list[Cleaner]:
    """Every cleaner, in an order where each runs after those whose outputs it needs."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    made_by = {s.name: c.name for c in REGISTRY.values() for s in c.outputs}
    ordered: list[Cleaner] = []
    pending = dict(REGISTRY)
    while pending:
        ready = [c for c in pending.values() if all(made_by.get(n) in {o.name for o in ordered} for n in c.needs)]
        if not ready:
            raise RuntimeError(f"cleaners wait on each other: {sorted(pending)}")
        for c in sorted(ready, key=lambda c: c.name):
            ordered.append(pending.pop(c.name))
    return ordered

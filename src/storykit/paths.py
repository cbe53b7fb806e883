"""Where the project's folders are, wherever a command or a notebook is started from."""

import os
import re
from pathlib import Path


def project_root() -> Path:
    """STORYKIT_HOME if set, else the nearest folder at or above the working one holding pyproject.toml.

    Notebooks run with their own folder as working directory, so we look upwards.
    """
    if home := os.environ.get("STORYKIT_HOME"):
        return Path(home).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "src" / "storykit").is_dir():
            return folder
    return here


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    return project_root() / "data" / "processed"


def slug(text: str) -> str:
    """A name for a file or an element id made from text: "Deir-ez-Zor 2016" -> "deir-ez-zor-2016"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

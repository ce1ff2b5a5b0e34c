"""Check, before any work starts, that a path given on the command line can be written."""

from __future__ import annotations

import os
from pathlib import Path

from bot.settings import nearest_existing


def writable_folder_problem(folder: Path) -> str | None:
    """Why `folder` cannot be used (or created) as a folder this process writes in; None if it can."""
    if "\x00" in str(folder):
        return "the path contains a NUL byte"
    folder = folder.expanduser().absolute()
    existing = nearest_existing(folder)
    if not existing.is_dir():
        kind = "a file" if existing.is_file() else "not a folder"
        return f"{existing} is {kind}; give a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable by this user"
    return None


def writable_file_problem(path: Path) -> str | None:
    """Why a file cannot be written at `path`; None if it can (its folder may still be missing)."""
    if "\x00" in str(path):
        return "the path contains a NUL byte"
    path = path.expanduser().absolute()
    if path.is_dir():
        return f"{path} is a folder; give a file name"
    if path.exists() and not path.is_file():
        return f"{path} is not a regular file"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable by this user"
    return writable_folder_problem(path.parent)

"""Files written whole or not at all: a crash or ``kill -9`` at any moment leaves the old file or the new."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, flushed, then renamed over it.

    The temporary name is unique (two processes saving at once never share one) and hidden with a ``.tmp``
    suffix, so a listing of ``*.json`` or ``*.html`` never shows one left by a crash.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Files with personal data, owner-only: the one helper every writer uses.

The store, report folders, progression cards, letters and mail copies hold pseudonyms
and sometimes first names or personal links (docs/privacy.md). They are created so that
only their owner can read them, whatever the umask: folders 0700, files 0600.

* :func:`private_folder` — create (or tighten) a folder to 0700;
* :func:`write_private` — write a file 0600 all at once (a temporary file, then a rename);
* :func:`private_umask` — a block in which every file and folder created (by pandas,
  matplotlib, sqlite...) is owner-only (umask 077).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it owner-only (0700)."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_FOLDER)
    return path


def write_private(path: Path, content: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``content`` to ``path`` owner-only (0600), all at once: readers never see a
    half-written file, and a failure leaves the old file (or none)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    data = content.encode(encoding) if isinstance(content, str) else content
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Everything created in the block is owner-only (umask 077). The umask is per
    process: use it around a command's writing, not in a library thread."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


__all__ = ["PRIVATE_FILE", "PRIVATE_FOLDER", "private_folder", "private_umask",
           "write_private"]

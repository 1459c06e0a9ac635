"""Write a folder all at once: build it in a hidden sibling, then rename it into place.

A crash (or an exception) while the files are being written leaves only the hidden
staging folder, which the next run removes; the target is either the old complete folder
or the new complete one, never a mix. Replacing an existing target is refused when it
holds anything bip-bridge would not have written there, so a mistyped ``--out`` cannot
wipe someone's folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bip_bridge.errors import ConfigError, Problem
from bip_bridge.files import private_umask

STAGING_PREFIX = ".bip-bridge-staging-"
OLD_PREFIX = ".bip-bridge-old-"


def _check_replaceable(target: Path, allowed: Callable[[str], bool]) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise ConfigError(
            f"{target} exists and is not a folder; nothing was written.",
            [Problem(str(target), "is a file", "a new or empty folder, or an earlier bundle")],
            hint="Choose another output folder (--out).",
        )
    strangers = sorted(p.name for p in target.iterdir() if not allowed(p.name))
    if strangers:
        shown = ", ".join(strangers[:5]) + (" ..." if len(strangers) > 5 else "")
        raise ConfigError(
            f"{target} holds files bip-bridge did not write ({shown}); nothing was written.",
            [Problem(str(target), "not empty", "a new or empty folder, or an earlier bundle")],
            hint="Choose a new or empty output folder (--out), or move those files away.",
        )


@contextmanager
def staged_folder(target: Path, allowed: Callable[[str], bool]) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces ``target`` in one rename."""
    target = Path(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _check_replaceable(target, allowed)
    for leftover in parent.glob(f"{STAGING_PREFIX}{target.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{target.name}-", dir=parent))
    try:
        with private_umask():  # every file of a report is owner-only (docs/privacy.md)
            yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staging.chmod(0o700)  # personal data: owner-only (bip_bridge.files)
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{target.name}-", dir=parent))
        old.rmdir()
        target.rename(old)
        try:
            staging.rename(target)
        except BaseException:
            old.rename(target)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)

"""Checks of the lakehouse and the local state at rest, before a command writes.

Delta commits are atomic, so a crash never tears a table; a disk, a copy or a hand can: a torn
(unparsable) log entry, a deleted one, a staging table left by an older version, a stack state
file whose processes are gone. Each is reported as one line naming the file and the repair
command, before anything is written on top of it (a build on a torn log would fail half-way;
one on a dead stack would record every entity as a failed hydration). `mlg repair` fixes what
can be fixed without losing anything: it moves the bad files into a `_quarantine` folder
beside them (never deletes) and says what to run next.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError

REPAIR = "mlg repair"
TAIL_CHECKED = 3  # log entries parsed per table (the newest: older ones are behind checkpoints)
_ACTIONS = {"add", "remove", "metaData", "protocol", "commitInfo", "txn", "cdc", "domainMetadata",
            "checkpointMetadata", "sidecar"}


class AtRestError(MlgError):
    """A file at rest is damaged; the message names it and the repair command."""

    exit_code = 5


@dataclass(frozen=True)
class Problem:
    table: str
    kind: str          # torn_entry | missing_entries | old_schema | dead_stack
    path: str          # the file (or folder) at fault
    detail: str
    repair: str

    def line(self) -> str:
        return f"{self.table}: {self.detail} ({self.path}); repair: {self.repair}"


def _local(path: str) -> Path | None:
    if "://" in path and not path.startswith("file://"):
        return None  # object stores: delta-rs reports it when reading
    return Path(path.removeprefix("file://"))


def _versions(log: Path) -> tuple[list[int], int | None]:
    versions, checkpoint = [], None
    for entry in os.scandir(log):
        name = entry.name
        if len(name) == 25 and name.endswith(".json") and name[:20].isdigit():
            versions.append(int(name[:20]))
        elif ".checkpoint" in name and name[:20].isdigit():
            checkpoint = max(checkpoint or 0, int(name[:20]))
    return sorted(versions), checkpoint


def _torn(path: Path) -> str | None:
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        return "not text"
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "empty"
    for n, line in enumerate(lines, 1):
        try:
            action = json.loads(line)
        except ValueError:
            return f"line {n} is not JSON"
        if not isinstance(action, dict) or not set(action) & _ACTIONS:
            return f"line {n} is not a Delta action"
    return None


def delta_log_problems(name: str, path: str) -> list[Problem]:
    root = _local(path)
    if root is None or not (root / "_delta_log").is_dir():
        return []
    log = root / "_delta_log"
    versions, checkpoint = _versions(log)
    repair = f"`{REPAIR} --table {name}` (moves the damaged entries aside, then run `mlg reconcile`)"
    if not versions and checkpoint is None:
        return [Problem(name, "missing_entries", str(log), "the Delta log holds no commit", repair)]
    start = checkpoint if checkpoint is not None else 0
    expected = set(range(start, versions[-1] + 1)) if versions else set()
    missing = sorted(expected - set(versions) - ({checkpoint} if checkpoint is not None else set()))
    if missing:
        return [Problem(name, "missing_entries", str(log / f"{missing[0]:020d}.json"),
                        f"Delta log entry {missing[0]} is missing ({len(missing)} of versions "
                        f"{start}..{versions[-1]} gone)", repair)]
    for version in versions[-TAIL_CHECKED:]:
        entry = log / f"{version:020d}.json"
        why = _torn(entry)
        if why:
            return [Problem(name, "torn_entry", str(entry), f"Delta log entry {version} is torn ({why})", repair)]
    return []


def staging_problems(settings: Settings) -> list[Problem]:
    from deltalake import DeltaTable

    from spark_jobs.hydration.staging import STAGING

    out = []
    for name in STAGING:
        path = tables.table(name).path(settings)
        if _local(path) is None or not DeltaTable.is_deltatable(path):
            continue
        try:
            have = DeltaTable(path).schema().to_arrow().names
        except Exception:  # noqa: BLE001 - a torn log is reported by delta_log_problems
            continue
        want = tables.table(name).column_names
        if list(have) != want:
            gone = [c for c in want if c not in have]
            out.append(Problem(name, "old_schema", path,
                               f"staging table from an older version (columns {', '.join(have)[:120]}"
                               f"{'; missing ' + ', '.join(gone) if gone else ''})",
                               f"`{REPAIR} --table {name}` (moves it aside; its batch is hydrated again)"))
    return out


def stack_problems(settings: Settings) -> list[Problem]:
    """A stack state file whose processes are dead while this command would use its URLs."""
    from spark_jobs.config import STACK_FILE

    path = Path(settings.state_dir) / STACK_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return [Problem("stack", "dead_stack", str(path), "unreadable stack state file",
                        "`mlg down` (removes it), then `mlg up`")]
    urls = data.get("source_urls") if isinstance(data, dict) else None
    if not urls or dict(settings.source_urls) != dict(urls):
        return []  # this command does not use the stack's sources
    from infra import stack

    status = stack.status(settings)
    if status.state is None or status.running:
        return []
    processes = status.state.processes()
    dead = sorted(f"{name} pid {processes[name].pid}" for name, ok in status.alive.items() if not ok)
    return [Problem("stack", "dead_stack", str(path),
                    f"the local stack is not running ({', '.join(dead) or 'processes gone'})",
                    "`mlg up` restarts it (or `mlg down` clears the file)")]


MIN_FREE_BYTES = 1 << 20
"""Below this much free space where a command writes, it refuses before writing anything
(MLG_MIN_FREE_BYTES overrides)."""


def free_space_problems(settings: Settings, *, min_free: int | None = None) -> list[Problem]:
    import shutil

    if min_free is None:
        min_free = int(os.environ.get("MLG_MIN_FREE_BYTES") or MIN_FREE_BYTES)

    out = []
    for what, path in (("state_dir", settings.state_dir), ("lakehouse", tables.lakehouse_root(settings)),
                       ("reports_dir", settings.reports_dir)):
        local = _local(str(path))
        while local is not None and not local.exists() and local != local.parent:
            local = local.parent  # not created yet: the filesystem it will be created on
        if local is None:
            continue
        free = shutil.disk_usage(local).free
        if free < min_free:
            out.append(Problem(what, "disk_full", str(path), f"the filesystem is full ({free // 1024} KiB free)",
                               f"free space there (`df -h {local}`), then rerun the command"))
    return out


_DISK_FULL = ("no space left on device", "os error 28", "disk quota exceeded", "file too large")


def disk_full_line(exc: BaseException) -> str | None:
    """One line for an error caused by a full disk (any library's wording), naming the path."""
    import errno
    import re

    text = str(exc)
    chain = [exc, exc.__cause__, exc.__context__]
    if not any(isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) for e in chain) \
            and not any(k in text.lower() for k in _DISK_FULL):
        return None
    path = next((e.filename for e in chain if isinstance(e, OSError) and e.filename), None)
    if path is None:
        found = re.search(r'path "([^"]+)"|\'(/[^\']+)\'|(/[\w./-]+)', text)
        path = next((g for g in found.groups() if g), None) if found else None
    where = f" writing {path}" if path else ""
    return (f"no space left on device{where}: free space on that filesystem (`df -h`), then rerun the same "
            "command (a write that failed is never used: the last committed versions stay live)")


def disk_full_error(path: Path, exc: BaseException, *, slack: int = 256 * 1024) -> OSError | None:
    """An ENOSPC OSError naming `path` when `exc` happened while its filesystem is (nearly) full
    (libraries that write from worker threads report only "an io error" or "writer killed")."""
    import errno
    import shutil

    if not isinstance(exc, Exception):
        return None
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if shutil.disk_usage(probe).free >= slack:
            return None
    except OSError:
        return None
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def problems(settings: Settings, *, stack: bool = True) -> list[Problem]:
    found: list[Problem] = free_space_problems(settings)
    for name, table in sorted(tables.all_tables().items()):
        found += delta_log_problems(name, table.path(settings))
    torn = {p.table for p in found}
    found += [p for p in staging_problems(settings) if p.table not in torn]
    if stack:
        found += stack_problems(settings)
    return found


def check(settings: Settings, *, stack: bool = True) -> None:
    """Raise `AtRestError` (one line: the first problem, and how many more) before any write."""
    found = problems(settings, stack=stack)
    if found:
        more = f" (and {len(found) - 1} more: `{REPAIR} --check` lists them)" if len(found) > 1 else ""
        raise AtRestError(found[0].line() + more)


# ---- repair --------------------------------------------------------------------------------------

def _quarantine(path: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    target = into / f"{path.name}.{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    os.rename(path, target)
    return target


def repair(settings: Settings, problem: Problem) -> list[str]:
    """Move what is damaged aside (never delete); returns what was done, one line each."""
    done = []
    if problem.kind in ("dead_stack", "disk_full"):
        return [f"not touched: {problem.path}: run {problem.repair}"]
    if problem.kind == "old_schema":
        target = _quarantine(Path(problem.path), Path(tables.lakehouse_root(settings)) / "_quarantine" / "staging")
        return [f"moved {problem.path} to {target}"]
    log = Path(problem.path).parent
    first_bad = int(Path(problem.path).name[:20])
    later = sorted(p for p in log.iterdir() if p.is_file() and p.name[:20].isdigit() and int(p.name[:20]) >= first_bad)
    for entry in later:  # the bad entry and everything after it: commits, .crc files, checkpoints
        done.append(f"moved {entry} to {_quarantine(entry, log / '_quarantine')}")
    last = log / "_last_checkpoint"
    if last.exists():
        try:
            if int(json.loads(last.read_text()).get("version", -1)) >= first_bad:
                done.append(f"moved {last} to {_quarantine(last, log / '_quarantine')}")
        except ValueError:
            done.append(f"moved {last} to {_quarantine(last, log / '_quarantine')}")
    done.append(f"{problem.table} is back at version {first_bad - 1}")
    return done

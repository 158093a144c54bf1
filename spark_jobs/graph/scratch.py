"""Scratch directories for iterative algorithms.

The engines we target have no checkpoint that cuts a plan's lineage (pysail lacks
localCheckpoint), so each iteration of a fixpoint writes its result as Parquet and the next one
reads it back: plans stay one level deep and nothing is collected to the driver.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from spark_jobs.config import Settings
from spark_jobs.tables import lakehouse_root

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@contextmanager
def scratch_dir(settings: Settings, purpose: str) -> Iterator[str]:
    """A fresh directory under `<lakehouse>/_scratch/`, removed afterwards (even on error)."""
    path = f"{lakehouse_root(settings)}/_scratch/{purpose}-{uuid.uuid4().hex[:12]}"
    try:
        yield path
    finally:
        remove_dir(path)


def materialize(frame: DataFrame, path: str) -> DataFrame:
    """`frame` computed once, written to `path` as Parquet and read back (schema given: pysail
    writes no file for an empty frame), so the plans that read it twice compute it once."""
    frame.write.mode("overwrite").parquet(path)
    return frame.sparkSession.read.schema(frame.schema).parquet(path)


def remove_dir(path: str) -> None:
    if "://" not in path:
        shutil.rmtree(Path(path), ignore_errors=True)
        return
    from pyarrow import fs

    filesystem, inner = fs.FileSystem.from_uri(path)
    try:
        filesystem.delete_dir(inner)
    except FileNotFoundError:
        pass

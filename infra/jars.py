"""JVM jars for the local services (Spark Connect, OpenSearch, Kafka), fetched with Maven.

Each service pins its jars in `infra/jvm/<service>/pom.xml`; `fetch(service)` runs
`mvn dependency:copy-dependencies` into `<jars dir>/<service>/` (default `.jars/` at the repo
root, `MLG_JARS_DIR` to move it). Spark's own `--packages` (Ivy) does not use Maven's mirror
settings, so every jar comes through `mvn`. A stamp holding the pom's hash makes a second fetch
a no-op (no network); `classpath(service)` lists the jars or says which command fetches them.

A service whose sources are vendored in `third_party/<service>/` (GraphFrames: the Maven Central
served here has no io.graphframes artifact) is built instead: `mvn package` with that pom
compiles them into one jar in `<jars dir>/<service>/`, and the stamp hashes the sources too.

    python -m infra.jars fetch spark opensearch kafka     # what `make jars` runs
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from spark_jobs.errors import MlgError

REPO_ROOT = Path(__file__).resolve().parent.parent
POMS = Path(__file__).resolve().parent / "jvm"
VENDORED = REPO_ROOT / "third_party"
STAMP = ".fetched"


def services() -> list[str]:
    return sorted(p.parent.name for p in POMS.glob("*/pom.xml"))


def jars_dir(service: str) -> Path:
    root = Path(os.environ.get("MLG_JARS_DIR") or REPO_ROOT / ".jars")
    return root.resolve() / service


def _pom(service: str) -> Path:
    pom = POMS / service / "pom.xml"
    if not pom.is_file():
        raise MlgError(f"unknown JVM service '{service}' (known: {', '.join(services())})")
    return pom


def _sources(service: str) -> Path | None:
    """The vendored sources the service's jar is built from, or None when its jars are fetched."""
    path = VENDORED / service
    return path if path.is_dir() else None


def _inputs_hash(service: str) -> str:
    """What the stamp records: the pom's hash, and the vendored sources' when the jar is built."""
    digest = hashlib.sha256(_pom(service).read_bytes())
    sources = _sources(service)
    for path in sorted(p for p in (sources.rglob("*") if sources else ()) if p.is_file()):
        digest.update(path.relative_to(sources).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def is_fetched(service: str) -> bool:
    stamp = jars_dir(service) / STAMP
    return stamp.is_file() and stamp.read_text().strip() == _inputs_hash(service)


def fetch(service: str, *, quiet: bool = True) -> Path:
    """Copy the service's jars (and their runtime dependencies) into `jars_dir(service)`, or
    build its jar there from its vendored sources."""
    dest = jars_dir(service)
    if is_fetched(service):
        return dest
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MlgError("Maven is needed to fetch the JVM jars: install it (Debian: apt-get install maven)")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    build = dest.with_name(dest.name + ".build")
    if _sources(service):  # the pom's jar plugin writes to mlg.out.dir, its classes go to mlg.build.dir
        shutil.rmtree(build, ignore_errors=True)
        cmd = [mvn, "-B", "-f", str(_pom(service)), "package", f"-Dmlg.build.dir={build}", f"-Dmlg.out.dir={tmp}"]
    else:
        cmd = [mvn, "-B", "-f", str(_pom(service)), "dependency:copy-dependencies",
               f"-DoutputDirectory={tmp}", "-DincludeScope=runtime"]
    if quiet:
        cmd.insert(1, "-q")
    done = subprocess.run(cmd, capture_output=True, text=True)
    shutil.rmtree(build, ignore_errors=True)
    if done.returncode != 0:
        tail = " | ".join(line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line)[:800]
        verb = "build" if _sources(service) else "fetch"
        raise MlgError(f"mvn could not {verb} the {service} jars: {tail or 'exit ' + str(done.returncode)}")
    (tmp / STAMP).write_text(_inputs_hash(service) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)  # all or nothing: a killed fetch never leaves a half folder behind the stamp
    return dest


def classpath(service: str) -> list[str]:
    """Every jar of the service; a clear error when they were never fetched."""
    if not is_fetched(service):
        raise MlgError(f"the {service} jars are not fetched: run `make jars` "
                       f"(or `python -m infra.jars fetch {service}`)")
    return sorted(str(p) for p in jars_dir(service).glob("*.jar"))


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] != "fetch":
        print("usage: python -m infra.jars fetch [SERVICE ...]", file=sys.stderr)
        return 2
    try:
        for service in argv[1:] or services():
            fetched = is_fetched(service)
            path = fetch(service)
            done = "built" if _sources(service) else "fetched"
            print(f"{service}: {'up to date' if fetched else done} ({len(list(path.glob('*.jar')))} jars in {path})")
    except MlgError as exc:
        print(f"jars: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The README is a test: every command in its shell code blocks (and in sql/queries/README.md),
and every `make` target, run as a new user would: from a copy of the repository root, with no
`MLG_*` or Airflow variables, against a scale-1 simulated ecosystem.

Commands are parsed from the Markdown, so a new example is tested without editing this file.

Which lines run (the rule):
- every line of a ```bash / ```sh block that starts with `mlg ` or `make `, in document order;
  the README's own sequence (`mlg up`, `mlg land`, `mlg build`, …, `mlg down`) builds the
  lakehouse the later examples query, and sql/queries/README.md runs on that lakehouse;
- a trailing `# exit N` comment documents a non-zero exit status (default 0);
- skipped, by SKIP below and never silently: what starts a long-running server
  (`make airflow-standalone`, `mlg serve`), what runs this test suite itself (`make test*`), and
  the main job and benchmarks, which take minutes (`make run` / `mlg run`: tests/e2e runs it;
  `make bench` / `mlg bench`).

What is checked: the documented exit status, no traceback anywhere in the output, and for the
query commands (lineage, impact, explain, related, search, tables, sql) at least one answer row;
an expected failure is one line on stderr naming the command.

Make targets: every target of the Makefile's .PHONY list, minus SKIP and minus the targets whose
recipe runs pytest (test runs such as `make chaos`), in a second copy (so
`make clean` cannot remove the lakehouse the examples use), `clean` and `lock` last. The copy
shares this checkout's `.venv` and `.jars` (symlinks) and never reinstalls them: every call passes
`-o .venv/.installed-stamp`, so make treats the environment as installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCS = ("README.md", "sql/queries/README.md")
SKIP = {  # prefix -> why it is not run here
    "make airflow-standalone": "starts a long-running server",
    "mlg serve": "starts a long-running server",
    "make test": "runs the test suite itself",
    "make run": "the main job takes minutes; tests/e2e/test_main_job.py runs it",
    "mlg run": "the main job takes minutes; tests/e2e/test_main_job.py runs it",
    "make bench": "benchmarks take minutes",
    "mlg bench": "benchmarks take minutes",
    "make browser": "installs a system package (chromium) with apt; tests/portal use it",
}
ANSWERING = {"lineage", "impact", "explain", "related", "search", "tables", "sql"}
FENCE = re.compile(r"^```(\w*)\s*$")
EXIT = re.compile(r"#\s*exit\s+(\d+)")
TIMEOUT_S = 300


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    command: str
    exit_code: int

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.command, comments=True)

    @property
    def skip_reason(self) -> str | None:
        return next((why for prefix, why in SKIP.items() if self.command.startswith(prefix)), None)

    @property
    def answers(self) -> bool:
        argv = self.argv
        return argv[0] == "mlg" and len(argv) > 1 and argv[1] in ANSWERING and self.exit_code == 0

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.command}"


def examples(doc: str) -> list[Example]:
    """Every `mlg …` / `make …` line of the document's shell code blocks."""
    found, language = [], None
    for number, line in enumerate((REPO / doc).read_text().splitlines(), 1):
        if m := FENCE.match(line.strip()):
            language = (m[1] or "text") if language is None else None
            continue
        text = line.strip()
        if language in ("bash", "sh", "shell") and text.startswith(("mlg ", "make ")):
            code = EXIT.search(text)
            found.append(Example(doc, number, text, int(code[1]) if code else 0))
    return found


def runs_tests(makefile: str, target: str) -> bool:
    """Whether the target's recipe runs pytest (a test run such as `chaos`, not a user command)."""
    recipe = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)*)", makefile, re.M)
    return bool(recipe and "pytest" in recipe[1])


def make_targets() -> list[str]:
    makefile = (REPO / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony, "the Makefile declares its targets in .PHONY"
    targets = [t for t in phony[1].split()
               if not any(f"make {t}".startswith(p) for p in SKIP) and not runs_tests(makefile, t)]
    last = [t for t in ("lock", "clean") if t in targets]
    return [t for t in targets if t not in last] + last


def copy_repo(dest: Path) -> Path:
    """The working tree as git sees it (tracked and untracked, not ignored), plus the shared venv."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)  # mtimes kept: make sees the install as current
    for shared in (".venv", ".jars"):
        if (REPO / shared).exists():
            (dest / shared).symlink_to(REPO / shared)
    return dest


def user_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLG_", "AIRFLOW_", "AIRFLOW__"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("RUST_LOG", "warn")
    return env


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def run(example_argv: list[str], cwd: Path) -> Outcome:
    argv = list(example_argv)
    if argv[0] == "make":
        argv[1:1] = ["-o", ".venv/.installed-stamp"]
    done = subprocess.run(argv, cwd=cwd, env=user_env(), capture_output=True, text=True, timeout=TIMEOUT_S)
    return Outcome(done.returncode, done.stdout, done.stderr)


def _stop_stack(root: Path) -> None:
    if (root / ".mlg" / "stack.json").exists():
        subprocess.run([str(BIN / "mlg"), "down"], cwd=root, env=user_env(), capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every runnable example of both documents, in order, in one copy of the repository."""
    root = copy_repo(tmp_path_factory.mktemp("readme") / "repo")
    results: list[tuple[Example, Outcome]] = []
    try:
        for doc in DOCS:
            for example in examples(doc):
                if example.skip_reason is None:
                    results.append((example, run(example.argv, root)))
        yield root, results
    finally:
        _stop_stack(root)


def test_the_documents_have_examples_and_the_skip_rule_is_narrow():
    found = [e for doc in DOCS for e in examples(doc)]
    assert len([e for e in found if e.doc == "README.md" and e.skip_reason is None]) >= 15
    assert len([e for e in found if e.doc != "README.md"]) >= 3
    skipped = [e for e in found if e.skip_reason]
    assert len(skipped) < len(found) / 3, [str(e) for e in skipped]  # the rule stays an exception


def test_every_example_exits_as_documented_without_a_traceback(readme_run):
    _, results = readme_run
    problems = []
    for example, outcome in results:
        text = outcome.stdout + outcome.stderr
        if outcome.returncode != example.exit_code:
            problems.append(f"{example}: exit {outcome.returncode}, documented {example.exit_code}\n{text[-1500:]}")
        elif "Traceback" in text:
            problems.append(f"{example}: traceback\n{text[-1500:]}")
        elif example.exit_code and not (outcome.stderr.count("\n") == 1
                                        and outcome.stderr.startswith(f"mlg {example.argv[1]}: ")):
            problems.append(f"{example}: a failure must be one line naming the command, got {outcome.stderr!r}")
    assert not problems, "\n\n".join(problems)


def test_every_query_example_answers(readme_run):
    _, results = readme_run
    empty = [str(e) for e, o in results if e.answers and len(o.stdout.strip().splitlines()) < 2]
    assert not empty, f"examples that print no answer row (header only or nothing): {empty}"


def test_the_fast_lookups_answer_as_the_engine_on_the_readme_examples(readme_run):
    root, results = readme_run
    for example, _ in results:
        argv = example.argv
        if argv[:2] in (["mlg", "lineage"], ["mlg", "impact"], ["mlg", "related"]) and example.exit_code == 0:
            fast, engine = (run([*argv, "--format", "json", *extra], root) for extra in ([], ["--engine", "spark"]))
            assert fast.returncode == engine.returncode == 0, engine.stderr
            rows = [json.loads(line) for line in fast.stdout.splitlines()]
            assert rows and rows == [json.loads(line) for line in engine.stdout.splitlines()], example
            return
    pytest.fail("the README has no lineage/impact/related example")


def test_every_relative_link_in_the_documents_resolves():
    missing = []
    for doc in (*DOCS, "docs/normalisation.md", "docs/sources.md"):
        base = (REPO / doc).parent
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", (REPO / doc).read_text()):
            if "://" not in target and not (base / target).exists():
                missing.append(f"{doc}: {target}")
    assert not missing, missing


def test_every_make_target_works_from_a_fresh_copy(tmp_path):
    root = copy_repo(tmp_path / "repo")
    try:
        for target in make_targets():
            outcome = run(["make", target], root)
            text = outcome.stdout + outcome.stderr
            assert outcome.returncode == 0 and "Traceback" not in text, f"make {target}:\n{text[-2000:]}"
        assert not (root / ".venv").exists() and (REPO / ".venv").is_dir()  # clean removed only the link
    finally:
        _stop_stack(root)


def test_every_uri_in_the_help_exists_in_the_simulated_ecosystem(readme_run, monkeypatch):
    from spark_jobs.cli import build_parser
    from spark_jobs.config import Settings
    from spark_jobs.graph.lookup import GraphLookup
    from spark_jobs.uris import AipUri, InvalidAipUri

    root, _ = readme_run
    monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps help at the terminal width: keep URIs whole
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    uris = set()
    for parser in commands.values():
        for uri in re.findall(r"aip://[^\s,;)'\"`]+", parser.format_help()):
            try:
                AipUri.parse(uri.rstrip("."))
            except InvalidAipUri:
                continue  # a prefix such as aip://team/…
            uris.add(uri.rstrip("."))
    assert uris, "the --help texts name example entities"
    graph = GraphLookup(Settings.load(env={}, lakehouse=str(root / "lakehouse"), state_dir=str(root / ".mlg")))
    missing = []
    for uri in sorted(uris):
        try:
            graph.require_entity(uri)
        except Exception as exc:  # noqa: BLE001 - collected, reported together
            missing.append(f"{uri}: {exc}")
    assert not missing, missing

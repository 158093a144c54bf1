"""`mlg`: the command line. Each command lives in `spark_jobs/commands/<name>.py` and
exposes `register(subparsers)`; this module only discovers them and turns errors into one line."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from spark_jobs import __version__
from spark_jobs.errors import MlgError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlg",
        description="Model Lifecycle Graph: land, build, query and publish the ML metadata graph.",
    )
    parser.add_argument("--version", action="version", version=f"mlg {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output and tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from spark_jobs import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"spark_jobs.commands.{info.name}")
        module.register(sub)
    for command in sub.choices.values():  # `mlg quality -v` means what `mlg -v quality` means
        if "-v" not in command._option_string_actions:
            command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help="log debug output and tracebacks")
    return parser


def main(argv: list[str] | None = None) -> int:
    # pysail logs shutdown chatter at WARN; the CLI keeps stderr for real problems.
    os.environ.setdefault("RUST_LOG", "error")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        _quiet_libraries()
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("mlg: interrupted", file=sys.stderr)
        return 130
    except MlgError as exc:
        print(f"mlg {args.command}: {_disk_full(exc) or exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the CLI promises one readable line
        if args.verbose:
            raise
        if full := _disk_full(exc):
            print(f"mlg {args.command}: {full}", file=sys.stderr)
            return 1
        print(f"mlg {args.command}: {_one_line(exc)} (run `mlg -v {args.command} …` for details)", file=sys.stderr)
        return 1


def _disk_full(exc: BaseException) -> str | None:
    """A full disk, whatever library hit it, is one line naming the path (spark_jobs.preflight)."""
    from spark_jobs.preflight import disk_full_line

    return disk_full_line(exc)


def _quiet_libraries() -> None:
    """Library warnings (deprecations, GE and Spark chatter) are for `-v`, not the user's terminal."""
    import warnings

    warnings.filterwarnings("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # and in children (airflow dags test)
    for name in ("great_expectations", "py4j", "pyspark", "airflow", "urllib3", "botocore"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:500]


if __name__ == "__main__":
    sys.exit(main())

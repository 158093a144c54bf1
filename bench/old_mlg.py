"""Run `mlg` from another checkout (argv[1]) with this venv, for before/after comparisons:
the editable install's finder is dropped so the other checkout's `spark_jobs` is imported."""
import sys

sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, sys.argv.pop(1))
from spark_jobs.cli import main  # noqa: E402

sys.exit(main())

"""Great Expectations imports without scipy.stats and altair, and the expectation that uses them
still validates: the deferred modules load on first use."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types

from quality.ge_imports import defer_unused

KL_DIVERGENCE_RUN = textwrap.dedent("""
    import sys
    import quality  # noqa: F401
    import great_expectations as gx
    import pandas as pd
    deferred = sorted(n for n in ("scipy.stats", "altair") if type(sys.modules.get(n)).__name__ == "_Deferred")
    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
             .get_batch(batch_parameters={"dataframe": pd.DataFrame({"x": [1, 1, 2, 2, 3, 3, 3, 3]})}))
    expectation = gx.expectations.ExpectColumnKLDivergenceToBeLessThan(
        column="x", partition_object={"values": [1, 2, 3], "weights": [0.25, 0.25, 0.5]}, threshold=0.1)
    result = batch.validate(expectation)
    import scipy.stats
    print(deferred, result.success, result.result["observed_value"], type(scipy.stats).__name__)
""")


def test_ge_imports_without_scipy_stats_and_the_kl_divergence_expectation_still_validates():
    done = subprocess.run([sys.executable, "-c", KL_DIVERGENCE_RUN], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GX_ANALYTICS_ENABLED": "False"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["['altair',", "'scipy.stats']", "True", "0.0", "module"]


def test_only_modules_not_imported_yet_and_installed_are_deferred(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    assert defer_unused(("json", "colorsys", "no_such_module_here")) == ["colorsys"]
    stand_in = sys.modules["colorsys"]
    assert type(stand_in) is not types.ModuleType
    assert stand_in.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)  # the first read imports it for real
    import colorsys
    assert type(colorsys) is types.ModuleType and sys.modules["colorsys"] is colorsys


def test_building_the_suites_logs_no_ge_temporary_directory_line(caplog):
    """`mlg build` prints INFO logs: GE's line for every ephemeral context it creates is noise there."""
    import logging

    import great_expectations.data_context.types.base  # noqa: F401

    from quality.config import QualityConfig
    from quality.runner import suite_digests

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.INFO)  # as GE leaves it
    caplog.set_level(logging.INFO)
    digests = suite_digests(QualityConfig.load(env={}))
    assert set(digests) == {"entities", "coverage", "edges"}
    assert not [r.getMessage() for r in caplog.records if "temporary directory" in r.getMessage()]

"""librdkafka calls without a timeout of their own (sync commit, close) are bounded."""

import threading

import pytest

from spark_jobs.errors import MlgError
from spark_jobs.landing.kafka import _bounded


def test_a_call_that_never_returns_raises_instead_of_hanging_the_run():
    never = threading.Event()
    with pytest.raises(MlgError, match="offset commit did not finish within 0.2s"):
        _bounded(never.wait, "offset commit", timeout_s=0.2)


def test_the_call_result_and_its_own_error_come_back_unchanged():
    assert _bounded(lambda: 42, "close") == 42
    with pytest.raises(KeyError, match="boom"):
        _bounded(lambda: {}["boom"], "close")

"""A Spark Connect server that stopped answering fails a command in about MLG_SPARK_RETRY_S, not
pyspark's default of ten minutes or more, and the failure is recognised as the engine being gone
(the build then records the failed stage without it: tests/chaos/test_services.py)."""

from __future__ import annotations

import grpc
import pytest
from pyspark.errors import PySparkException
from pyspark.errors.exceptions.connect import SparkConnectGrpcException
from pyspark.sql.connect.client.retries import Retrying

from spark_jobs.config import ConfigError, Settings
from spark_jobs.session import bounded_policy, engine_fault, engine_lost


class Unavailable(grpc.RpcError):
    """What grpc raises when the server's port no longer answers."""

    def code(self):
        return grpc.StatusCode.UNAVAILABLE

    def __str__(self) -> str:
        return "failed to connect to all addresses"


def _give_up_after(retry_s: float) -> tuple[float, BaseException]:
    """Seconds pyspark's own retry loop waits on a dead server under our policy, and what it raises."""
    return _retry_until_given_up(bounded_policy(retry_s))


def _retry_until_given_up(policy) -> tuple[float, BaseException]:
    waited = []
    with pytest.raises((PySparkException, grpc.RpcError)) as raised:
        for attempt in Retrying([policy], sleep=waited.append):
            with attempt:
                raise Unavailable()
    return sum(waited), raised.value


@pytest.mark.parametrize("retry_s", [1, 10, 60, 600])
def test_a_dead_server_is_retried_for_about_the_configured_time(retry_s):
    waited, error = _give_up_after(retry_s)
    assert retry_s <= waited <= retry_s * 1.5 + 1
    assert engine_lost(error)


def test_once_one_call_gave_up_on_the_server_the_others_stop_retrying():
    policy = bounded_policy(10)  # one client's: its queries and pyspark's background releases
    first, _ = _retry_until_given_up(policy)
    later, error = _retry_until_given_up(policy)
    assert first >= 10 and later == 0 and engine_lost(error)


def test_only_an_unreachable_engine_counts_as_lost():
    assert not engine_lost(ValueError("bad row"))
    try:
        try:
            raise Unavailable()
        except Unavailable:
            raise RuntimeError("[CONNECT] wrapped by pyspark") from None
    except RuntimeError as wrapped:
        assert engine_lost(wrapped)  # pyspark re-raises gRPC errors `from None`: the context still says


def test_the_retry_time_comes_from_the_environment_and_a_bad_value_is_one_clear_error():
    assert Settings.load(env={}).spark_retry_s == 60.0
    assert Settings.load(env={"MLG_SPARK_RETRY_S": "5"}).spark_retry_s == 5.0
    assert Settings.load(env={"MLG_SPARK_RETRY_S": "5"}, spark_retry_s=7).spark_retry_s == 7
    with pytest.raises(ConfigError, match="MLG_SPARK_RETRY_S must be a number of seconds, got 'soon'"):
        Settings.load(env={"MLG_SPARK_RETRY_S": "soon"})


def test_an_engine_fault_is_told_from_an_error_of_the_query():
    lost = SparkConnectGrpcException('status = StatusCode.INTERNAL\n\tdetails = "internal error: task context '
                                     'not found for operation"')
    assert engine_fault(lost) == "task context not found for operation"
    garbled = SparkConnectGrpcException("status = StatusCode.INTERNAL details = \"Exception deserializing response!\"")
    assert engine_fault(garbled) == "Exception deserializing response"
    try:
        try:
            raise lost
        except SparkConnectGrpcException:
            raise RuntimeError("stage infer failed") from None
    except RuntimeError as wrapped:
        assert engine_fault(wrapped) == "task context not found for operation"
    assert engine_fault(SparkConnectGrpcException("[TABLE_OR_VIEW_NOT_FOUND] graph.nope")) is None
    assert engine_fault(ValueError("task context not found for operation")) is None  # not from the engine

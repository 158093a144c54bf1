"""The local SQS endpoint (moto's server) and the landing queues, shared by `mlg up` and tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_jobs.errors import MlgError

DEFAULT_MAX_RECEIVE_COUNT = 5
LOCAL_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_command(port: int) -> list[str]:
    """moto's server from this interpreter's environment (the venv's bin), on 127.0.0.1."""
    script = Path(sys.executable).parent / "moto_server"
    if script.exists():
        return [str(script), "-H", "127.0.0.1", "-p", str(port)]
    found = shutil.which("moto_server")
    if found:
        return [found, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def child_env(region: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for local-stack processes: dummy AWS credentials, never the user's own."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL")}
    env.update(LOCAL_AWS_ENV, AWS_DEFAULT_REGION=region, AWS_REGION=region)
    env.update(extra or {})
    return env


@dataclass
class MotoServer:
    process: subprocess.Popen
    port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_moto(log_path: Path, *, region: str = "us-east-1", timeout_s: float = 30) -> MotoServer:
    """Start moto's server in its own process group and wait until it answers HTTP."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between the probe and the bind
        port = free_port()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(moto_command(port), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=child_env(region),
                                       start_new_session=True)
        server = MotoServer(process, port)
        try:
            wait_http(server.endpoint_url + "/moto-api/", process=process, timeout_s=timeout_s)
            return server
        except MlgError as exc:
            last_error = str(exc)
            stop_process(process)
    raise MlgError(f"moto server did not start: {last_error} (log: {log_path})")


def wait_http(url: str, *, process: subprocess.Popen | None = None, timeout_s: float = 30) -> None:
    """Wait until `url` answers (any HTTP status) or the process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise MlgError(f"process exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise MlgError(f"{url} did not answer within {timeout_s:.0f}s")


def stop_process(process: subprocess.Popen, *, timeout_s: float = 10) -> None:
    """Terminate a child we started (its whole process group), then kill it if it lingers."""
    import signal

    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout_s)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def local_client(endpoint_url: str, region: str = "us-east-1") -> Any:
    import boto3

    return boto3.session.Session(region_name=region).client(
        "sqs", endpoint_url=endpoint_url,
        aws_access_key_id=LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"])


@dataclass(frozen=True)
class LandingQueue:
    url: str
    dlq_url: str


def create_landing_queues(
    client: Any,
    names: Mapping[str, str],
    *,
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
    visibility_timeout_s: int = 30,
) -> dict[str, LandingQueue]:
    """One queue per source (`names[platform]`) with its dead-letter queue `<name>-dlq`.

    Idempotent: CreateQueue with the same attributes returns the existing queue.
    """
    out: dict[str, LandingQueue] = {}
    for platform, name in names.items():
        dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)})
        url = client.create_queue(QueueName=name, Attributes={
            "RedrivePolicy": redrive, "VisibilityTimeout": str(visibility_timeout_s)})["QueueUrl"]
        out[platform] = LandingQueue(url, dlq_url)
    return out


def delete_queues(client: Any, urls: Iterable[str]) -> None:
    for url in urls:
        try:
            client.delete_queue(QueueUrl=url)
        except Exception:  # noqa: BLE001 - best effort cleanup of a test queue
            pass


def queue_depth(client: Any, url: str) -> int:
    """Visible + in-flight messages (approximate, as SQS reports it)."""
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

"""Landing: drain each source's SQS queue into `landing.events` (bad bodies into
`landing.quarantine`), deduplicated, committed before the messages are deleted."""

from spark_jobs.landing.drain import CrashHook, CrashPoint, ReceivedMessage, land
from spark_jobs.landing.parse import QUARANTINE_REASONS, ParsedEvent, Rejection, parse_message, validate_event
from spark_jobs.landing.report import LandingReport, SourceMetrics

LandingResult = LandingReport  # the earlier name

__all__ = ["land", "LandingReport", "LandingResult", "SourceMetrics", "ReceivedMessage", "CrashHook",
           "CrashPoint", "parse_message", "validate_event", "ParsedEvent", "Rejection",
           "QUARANTINE_REASONS"]

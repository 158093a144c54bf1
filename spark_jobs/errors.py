"""User-facing errors: the CLI prints their message as one line and exits non-zero."""


class MlgError(Exception):
    """An error whose message is meant for the user (no traceback)."""

    exit_code = 1


class UsageError(MlgError):
    exit_code = 2

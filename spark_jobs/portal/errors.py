"""Errors a request can end in: a 400 with the reason, or a 404; JSON for /api, a page otherwise."""

from __future__ import annotations


class PortalError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(PortalError):
    status_code = 400


class NotFound(PortalError):
    status_code = 404

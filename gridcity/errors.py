"""Domain errors raised by services; the API maps each to one HTTP status in gridcity.api."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of the errors a user can cause and can understand."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    code = "invalid"
    http_status = 400


class NotPermitted(DomainError):
    code = "not_permitted"
    http_status = 403


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409


class Conflict(DomainError):
    code = "conflict"
    http_status = 409

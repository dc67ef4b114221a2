"""Errors a service raises; the API maps them to HTTP statuses and pages to messages."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(ServiceError):
    """Input that passed the schema but fails a rule needing data (e.g. an unknown postcode)."""

    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = "The request is not valid."):
        super().__init__(message, errors)


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409

"""Request ids: one per HTTP request, carried into log lines and into the Celery tasks it queues."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# Accept a caller's id only when it is short and plain, so it cannot forge log lines.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _current.get()


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID or makes one, and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _ACCEPTABLE.match(incoming) else uuid.uuid4().hex
        token = _current.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs after the middleware has returned, but hands over the request.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or _current.get()
        return True


@before_task_publish.connect
def _stamp_task_with_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None and "request_id" not in headers:
        headers["request_id"] = _current.get()


_task_tokens: dict[str, contextvars.Token[str]] = {}


@task_prerun.connect
def _adopt_request_id(task_id: str = "", task: Any = None, **_: Any) -> None:
    request_id = getattr(task.request, "request_id", None) if task else None
    _task_tokens[task_id] = _current.set(request_id or f"task-{task_id}")


@task_postrun.connect
def _forget_request_id(task_id: str = "", **_: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)

"""Small helpers the page tests share."""

from __future__ import annotations

import re

from django.test import Client


def client_for(user: object) -> Client:
    """A browser-less client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def drawer_actions(html: str) -> set[str]:
    """The workflow actions a rendered case drawer offers."""
    return set(re.findall(r'data-action="([a-z_]+)"', html))

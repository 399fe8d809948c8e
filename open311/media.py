"""Open311's photo links: a published request's photos are public, fetched through a signed
address (the photo's id and an HMAC of it under the secret key), so only the photos the
endpoints link can be fetched and no one can walk the ids. MEDIA_ROOT itself is never served."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import CasePhoto
from gridcity.errors import NotFound

SALT = "open311.media"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# What the route accepts: "<id>:<signature>" (django.core.signing, URL-safe base64).
SIGNED_ID_PATTERN = r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}"


def media_path(photo: CasePhoto) -> str:
    token = signing.Signer(salt=SALT).sign(str(photo.pk))
    extension = EXTENSIONS.get(photo.content_type, "jpg")
    return reverse("open311:media", kwargs={"token": token, "ext": extension})


def media_photo_id(token: str) -> int:
    """The photo id a signed token names, or NotFound when the signature does not hold."""
    try:
        return int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise NotFound(_("照片不存在或不在您的权限范围内。"), code="photo_not_found") from exc

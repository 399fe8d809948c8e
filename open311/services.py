"""Writes of the Open311 app: issuing and revoking client keys, and turning a posted request into
a case (source Open311) through cases.services.case_report, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cases import clock
from cases.models import Case, Urgency
from cases.services import case_report
from cases.workflow import Source
from departments.roles import Role
from departments.selectors import user_roles
from gridcity.errors import NotFound, NotPermitted, ValidationFailed
from grids.models import Area, Category, Component
from grids.selectors import component_get, grid_for_point
from open311.models import Attribute, Client, Request, Service

KEY_PREFIX_LENGTH = 8


def key_digest(raw: str) -> str:
    """Keys are 256-bit random strings, so a plain SHA-256 digest is as safe as a slow hash."""
    return hashlib.sha256(raw.encode()).hexdigest()


def client_account_check(*, account: AbstractBaseUser) -> None:
    """Reports are registered under the client's account: it must be able to register them."""
    if Role.ACCEPTOR not in user_roles(user=account):
        raise ValidationFailed(
            _("登记账号必须是有效账号并具有受理员角色。"), code="account_not_acceptor"
        )


def client_key_assign(client: Client) -> str:
    """Give the (unsaved) client a new key; the key is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    client.key_prefix = raw[:KEY_PREFIX_LENGTH]
    client.key_digest = key_digest(raw)
    return raw


def client_create(*, name: str, account: AbstractBaseUser, contact: str = "") -> tuple[Client, str]:
    """A new client application and its key."""
    client_account_check(account=account)
    client = Client(name=name, contact=contact, account=account)
    raw = client_key_assign(client)
    client.save(force_insert=True)
    return client, raw


def client_revoke(*, client: Client) -> Client:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
    return client


def client_authenticate(*, api_key: str) -> Client:
    """The usable client holding this key, or NotPermitted (403 in Open311)."""
    if not api_key:
        raise NotPermitted(_("缺少 api_key。"), code="api_key_missing")
    client = Client.objects.filter(key_digest=key_digest(api_key)).first()
    if client is None:
        raise NotPermitted(_("api_key 无效。"), code="api_key_invalid")
    if client.revoked_at is not None:
        raise NotPermitted(_("api_key 已被吊销。"), code="api_key_revoked")
    return client


@dataclass(frozen=True)
class Contact:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""

    @property
    def full_name(self) -> str:
        # Chinese names: family name first, no space; Latin names: given name first.
        first, last = self.first_name.strip(), self.last_name.strip()
        if (first + last).isascii():
            return f"{first} {last}".strip()[:100]
        return f"{last}{first}"[:100]


@dataclass(frozen=True)
class Submission:
    """A parsed POST requests (see open311.forms)."""

    service: Service
    description: str
    location: Point
    address_string: str = ""
    media_url: str = ""
    contact: Contact = field(default_factory=Contact)
    answers: dict[str, object] = field(default_factory=dict)
    photos: Sequence[bytes] = ()


def _apply_answers(
    service: Service, answers: dict[str, object]
) -> tuple[Urgency, Component | None, dict[str, object]]:
    """Check the answers against the service definition; return what they set on the case."""
    attributes = {a.code: a for a in service.attributes.all()}
    unknown = sorted(set(answers) - set(attributes))
    if unknown:
        raise ValidationFailed(
            _("未知的属性：%(codes)s") % {"codes": "、".join(unknown)}, code="attribute_unknown"
        )
    urgency, component = Urgency.NORMAL, None
    stored: dict[str, object] = {}
    for code, attribute in attributes.items():
        value = answers.get(code)
        if value in (None, "", []):
            if attribute.required and attribute.variable:
                raise ValidationFailed(
                    _("属性 %(code)s 必填。") % {"code": code}, code="attribute_required"
                )
            continue
        value = _checked_value(attribute, value)
        stored[code] = value
        if attribute.target == Attribute.Target.URGENCY:
            if value not in Urgency.values:
                raise ValidationFailed(
                    _("属性 %(code)s 的取值无效。") % {"code": code}, code="attribute_value"
                )
            urgency = Urgency(value)
        elif attribute.target == Attribute.Target.COMPONENT:
            try:
                component = component_get(identifier=str(value))
            except NotFound as exc:
                raise ValidationFailed(exc.message, code="component_unknown") from exc
    return urgency, component, stored


def _checked_value(attribute: Attribute, value: object) -> object:
    code = attribute.code
    kind = attribute.datatype
    if kind == Attribute.Datatype.MULTIVALUELIST:
        values = value if isinstance(value, list) else [value]
        if not set(map(str, values)) <= attribute.value_keys:
            raise ValidationFailed(
                _("属性 %(code)s 的取值无效。") % {"code": code}, code="attribute_value"
            )
        return [str(v) for v in values]
    if isinstance(value, list):
        raise ValidationFailed(
            _("属性 %(code)s 只能有一个取值。") % {"code": code}, code="attribute_value"
        )
    text = str(value).strip()
    if kind == Attribute.Datatype.SINGLEVALUELIST and text not in attribute.value_keys:
        raise ValidationFailed(
            _("属性 %(code)s 的取值无效。") % {"code": code}, code="attribute_value"
        )
    if kind == Attribute.Datatype.NUMBER:
        try:
            float(text)
        except ValueError as exc:
            raise ValidationFailed(
                _("属性 %(code)s 应为数字。") % {"code": code}, code="attribute_value"
            ) from exc
    if kind == Attribute.Datatype.DATETIME:
        try:
            parsed: datetime | None = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationFailed(
                _("属性 %(code)s 应为 ISO 8601 日期时间。") % {"code": code},
                code="attribute_value",
            )
    limit = 4000 if kind == Attribute.Datatype.TEXT else 300
    if len(text) > limit:
        raise ValidationFailed(_("属性 %(code)s 过长。") % {"code": code}, code="attribute_value")
    return text


def request_submit(
    *, client: Client, submission: Submission, district: Area | None = None
) -> Request:
    """Register a posted request as a case from Open311 (verified on site first, see
    cases.workflow) under the client's account, with the contact kept beside it. With a
    jurisdiction (district), the location must lie inside it."""
    s = submission
    if district is not None:
        grid = grid_for_point(point=s.location, on=timezone.localdate(clock.now()))
        if not grid.code.startswith(district.code):
            raise ValidationFailed(
                _("位置不在辖区 %(code)s 内。") % {"code": district.code},
                code="outside_jurisdiction",
            )
    urgency, component, stored = _apply_answers(s.service, s.answers)
    contact = s.contact
    with transaction.atomic():
        case: Case = case_report(
            actor=client.account,
            source=Source.OPEN311,
            category=s.service.category,
            description=s.description,
            location=s.location,
            address=s.address_string[:200],
            component=component,
            urgency=urgency,
            reporter_name=contact.full_name,
            reporter_phone=contact.phone.strip()[:40],
            photos=s.photos,
        )
        return Request.objects.create(
            case=case,
            client=client,
            service=s.service,
            token=uuid.uuid4().hex,
            first_name=contact.first_name.strip()[:100],
            last_name=contact.last_name.strip()[:100],
            email=contact.email.strip(),
            phone=contact.phone.strip()[:40],
            device_id=contact.device_id.strip()[:200],
            account_id=contact.account_id.strip()[:200],
            address_string=s.address_string[:200],
            media_url=s.media_url,
            attributes=stored,
            created_at=clock.now(),
        )


# ---------------------------------------------------------------- publishing

URGENCY_VALUES = [
    {"key": "urgent", "name": "紧急"},
    {"key": "normal", "name": "一般"},
]


def service_code_for(category: Category) -> str:
    """M + code for matters, C + code for component faults: (kind, code) stays unique."""
    return ("C" if category.kind == Category.Kind.COMPONENT else "M") + category.code


def services_publish(*, categories: Iterable[Category]) -> list[Service]:
    """Publish the categories not yet published, each with the standard questions: urgency, and
    for a component fault the component identifier. Existing services are left as edited."""
    created = []
    with transaction.atomic():
        for category in categories:
            if Service.objects.filter(category=category).exists():
                continue
            service = Service.objects.create(
                code=service_code_for(category),
                category=category,
                group=category.major_name,
                keywords=",".join(k for k in (category.name, category.name_en) if k),
                order=int(category.code),
            )
            Attribute.objects.create(
                service=service,
                code="urgency",
                datatype=Attribute.Datatype.SINGLEVALUELIST,
                description=_("紧急程度"),
                order=1,
                values=URGENCY_VALUES,
                target=Attribute.Target.URGENCY,
            )
            if category.kind == Category.Kind.COMPONENT:
                Attribute.objects.create(
                    service=service,
                    code="component_id",
                    datatype=Attribute.Datatype.STRING,
                    required=False,
                    description=_("部件标识码（如部件上的标牌所示）"),
                    datatype_description=_("17 位数字（旧版 16 位）"),
                    order=2,
                    target=Attribute.Target.COMPONENT,
                )
            created.append(service)
    return created

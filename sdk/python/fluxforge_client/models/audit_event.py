from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_event_after_type_0 import AuditEventAfterType0
    from ..models.audit_event_before_type_0 import AuditEventBeforeType0


T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """
    Attributes:
        action (str):
        actor (str):
        after (AuditEventAfterType0 | None):
        before (AuditEventBeforeType0 | None):
        client_ip (None | str):
        id (UUID):
        occurred_at (datetime.datetime):
        request_id (None | str):
        result (str):
        target_id (str):
        target_type (str):
    """

    action: str
    actor: str
    after: AuditEventAfterType0 | None
    before: AuditEventBeforeType0 | None
    client_ip: None | str
    id: UUID
    occurred_at: datetime.datetime
    request_id: None | str
    result: str
    target_id: str
    target_type: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.audit_event_after_type_0 import AuditEventAfterType0  # noqa: PLC0415
        from ..models.audit_event_before_type_0 import AuditEventBeforeType0  # noqa: PLC0415

        action = self.action

        actor = self.actor

        after: dict[str, Any] | None
        if isinstance(self.after, AuditEventAfterType0):
            after = self.after.to_dict()
        else:
            after = self.after

        before: dict[str, Any] | None
        if isinstance(self.before, AuditEventBeforeType0):
            before = self.before.to_dict()
        else:
            before = self.before

        client_ip: None | str
        client_ip = self.client_ip

        id = str(self.id)

        occurred_at = self.occurred_at.isoformat()

        request_id: None | str
        request_id = self.request_id

        result = self.result

        target_id = self.target_id

        target_type = self.target_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "after": after,
                "before": before,
                "client_ip": client_ip,
                "id": id,
                "occurred_at": occurred_at,
                "request_id": request_id,
                "result": result,
                "target_id": target_id,
                "target_type": target_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event_after_type_0 import AuditEventAfterType0  # noqa: PLC0415
        from ..models.audit_event_before_type_0 import AuditEventBeforeType0  # noqa: PLC0415

        d = dict(src_dict)
        action = d.pop("action")

        actor = d.pop("actor")

        def _parse_after(data: object) -> AuditEventAfterType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                after_type_0 = AuditEventAfterType0.from_dict(data)

                return after_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AuditEventAfterType0 | None, data)

        after = _parse_after(d.pop("after"))

        def _parse_before(data: object) -> AuditEventBeforeType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                before_type_0 = AuditEventBeforeType0.from_dict(data)

                return before_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AuditEventBeforeType0 | None, data)

        before = _parse_before(d.pop("before"))

        def _parse_client_ip(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_ip = _parse_client_ip(d.pop("client_ip"))

        id = UUID(d.pop("id"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        def _parse_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        request_id = _parse_request_id(d.pop("request_id"))

        result = d.pop("result")

        target_id = d.pop("target_id")

        target_type = d.pop("target_type")

        audit_event = cls(
            action=action,
            actor=actor,
            after=after,
            before=before,
            client_ip=client_ip,
            id=id,
            occurred_at=occurred_at,
            request_id=request_id,
            result=result,
            target_id=target_id,
            target_type=target_type,
        )

        audit_event.additional_properties = d
        return audit_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SubscriptionChange")


@_attrs_define
class SubscriptionChange:
    """
    Attributes:
        created_at (datetime.datetime):
        created_by (str):
        effective_at (datetime.datetime):
        id (UUID):
        plan_id (None | UUID):
        plan_key (None | str):
    """

    created_at: datetime.datetime
    created_by: str
    effective_at: datetime.datetime
    id: UUID
    plan_id: None | UUID
    plan_key: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        created_by = self.created_by

        effective_at = self.effective_at.isoformat()

        id = str(self.id)

        plan_id: None | str
        if isinstance(self.plan_id, UUID):
            plan_id = str(self.plan_id)
        else:
            plan_id = self.plan_id

        plan_key: None | str
        plan_key = self.plan_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "created_by": created_by,
                "effective_at": effective_at,
                "id": id,
                "plan_id": plan_id,
                "plan_key": plan_key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        created_by = d.pop("created_by")

        effective_at = datetime.datetime.fromisoformat(d.pop("effective_at"))

        id = UUID(d.pop("id"))

        def _parse_plan_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                plan_id_type_0 = UUID(data)

                return plan_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        plan_id = _parse_plan_id(d.pop("plan_id"))

        def _parse_plan_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        plan_key = _parse_plan_key(d.pop("plan_key"))

        subscription_change = cls(
            created_at=created_at,
            created_by=created_by,
            effective_at=effective_at,
            id=id,
            plan_id=plan_id,
            plan_key=plan_key,
        )

        subscription_change.additional_properties = d
        return subscription_change

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

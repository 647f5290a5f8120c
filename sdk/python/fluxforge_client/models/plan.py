from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.plan_status import PlanStatus

if TYPE_CHECKING:
    from ..models.plan_version import PlanVersion


T = TypeVar("T", bound="Plan")


@_attrs_define
class Plan:
    """
    Attributes:
        created_at (datetime.datetime):
        currency (str):
        current_version (int | None):
        description (str):
        id (UUID):
        key (str):
        name (str):
        status (PlanStatus):
        updated_at (datetime.datetime):
        version (int):
        versions (list[PlanVersion]):
    """

    created_at: datetime.datetime
    currency: str
    current_version: int | None
    description: str
    id: UUID
    key: str
    name: str
    status: PlanStatus
    updated_at: datetime.datetime
    version: int
    versions: list[PlanVersion]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        currency = self.currency

        current_version: int | None
        current_version = self.current_version

        description = self.description

        id = str(self.id)

        key = self.key

        name = self.name

        status = self.status.value

        updated_at = self.updated_at.isoformat()

        version = self.version

        versions = []
        for versions_item_data in self.versions:
            versions_item = versions_item_data.to_dict()
            versions.append(versions_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "currency": currency,
                "current_version": current_version,
                "description": description,
                "id": id,
                "key": key,
                "name": name,
                "status": status,
                "updated_at": updated_at,
                "version": version,
                "versions": versions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.plan_version import PlanVersion  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        def _parse_current_version(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        current_version = _parse_current_version(d.pop("current_version"))

        description = d.pop("description")

        id = UUID(d.pop("id"))

        key = d.pop("key")

        name = d.pop("name")

        status = PlanStatus(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        versions = []
        _versions = d.pop("versions")
        for versions_item_data in _versions:
            versions_item = PlanVersion.from_dict(versions_item_data)

            versions.append(versions_item)

        plan = cls(
            created_at=created_at,
            currency=currency,
            current_version=current_version,
            description=description,
            id=id,
            key=key,
            name=name,
            status=status,
            updated_at=updated_at,
            version=version,
            versions=versions,
        )

        plan.additional_properties = d
        return plan

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

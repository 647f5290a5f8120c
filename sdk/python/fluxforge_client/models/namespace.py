from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.namespace_status import NamespaceStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.namespace_labels import NamespaceLabels


T = TypeVar("T", bound="Namespace")


@_attrs_define
class Namespace:
    """
    Attributes:
        created_at (datetime.datetime):
        display_name (None | str):
        id (UUID):
        labels (NamespaceLabels):
        name (str):
        status (NamespaceStatus):
        updated_at (datetime.datetime):
        version (int):
        deleted_at (datetime.datetime | None | Unset):
    """

    created_at: datetime.datetime
    display_name: None | str
    id: UUID
    labels: NamespaceLabels
    name: str
    status: NamespaceStatus
    updated_at: datetime.datetime
    version: int
    deleted_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        display_name: None | str
        display_name = self.display_name

        id = str(self.id)

        labels = self.labels.to_dict()

        name = self.name

        status = self.status.value

        updated_at = self.updated_at.isoformat()

        version = self.version

        deleted_at: None | str | Unset
        if isinstance(self.deleted_at, Unset):
            deleted_at = UNSET
        elif isinstance(self.deleted_at, datetime.datetime):
            deleted_at = self.deleted_at.isoformat()
        else:
            deleted_at = self.deleted_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "display_name": display_name,
                "id": id,
                "labels": labels,
                "name": name,
                "status": status,
                "updated_at": updated_at,
                "version": version,
            }
        )
        if deleted_at is not UNSET:
            field_dict["deleted_at"] = deleted_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.namespace_labels import NamespaceLabels  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_display_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        display_name = _parse_display_name(d.pop("display_name"))

        id = UUID(d.pop("id"))

        labels = NamespaceLabels.from_dict(d.pop("labels"))

        name = d.pop("name")

        status = NamespaceStatus(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        def _parse_deleted_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deleted_at_type_0 = datetime.datetime.fromisoformat(data)

                return deleted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        deleted_at = _parse_deleted_at(d.pop("deleted_at", UNSET))

        namespace = cls(
            created_at=created_at,
            display_name=display_name,
            id=id,
            labels=labels,
            name=name,
            status=status,
            updated_at=updated_at,
            version=version,
            deleted_at=deleted_at,
        )

        namespace.additional_properties = d
        return namespace

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

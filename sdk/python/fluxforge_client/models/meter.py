from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.meter_aggregation import MeterAggregation
from ..models.meter_scope import MeterScope

T = TypeVar("T", bound="Meter")


@_attrs_define
class Meter:
    """
    Attributes:
        aggregation (MeterAggregation):
        created_at (datetime.datetime):
        description (str):
        event_type (str):
        group_by (list[str]):
        id (UUID):
        key (str):
        scope (MeterScope):
        unit (str):
        updated_at (datetime.datetime):
        value_property (None | str):
        version (int):
    """

    aggregation: MeterAggregation
    created_at: datetime.datetime
    description: str
    event_type: str
    group_by: list[str]
    id: UUID
    key: str
    scope: MeterScope
    unit: str
    updated_at: datetime.datetime
    value_property: None | str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        aggregation = self.aggregation.value

        created_at = self.created_at.isoformat()

        description = self.description

        event_type = self.event_type

        group_by = self.group_by

        id = str(self.id)

        key = self.key

        scope = self.scope.value

        unit = self.unit

        updated_at = self.updated_at.isoformat()

        value_property: None | str
        value_property = self.value_property

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "aggregation": aggregation,
                "created_at": created_at,
                "description": description,
                "event_type": event_type,
                "group_by": group_by,
                "id": id,
                "key": key,
                "scope": scope,
                "unit": unit,
                "updated_at": updated_at,
                "value_property": value_property,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        aggregation = MeterAggregation(d.pop("aggregation"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        description = d.pop("description")

        event_type = d.pop("event_type")

        group_by = cast(list[str], d.pop("group_by"))

        id = UUID(d.pop("id"))

        key = d.pop("key")

        scope = MeterScope(d.pop("scope"))

        unit = d.pop("unit")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_value_property(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        value_property = _parse_value_property(d.pop("value_property"))

        version = d.pop("version")

        meter = cls(
            aggregation=aggregation,
            created_at=created_at,
            description=description,
            event_type=event_type,
            group_by=group_by,
            id=id,
            key=key,
            scope=scope,
            unit=unit,
            updated_at=updated_at,
            value_property=value_property,
            version=version,
        )

        meter.additional_properties = d
        return meter

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

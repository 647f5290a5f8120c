from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.meter_create_aggregation import MeterCreateAggregation
from ..types import UNSET, Unset

T = TypeVar("T", bound="MeterCreate")


@_attrs_define
class MeterCreate:
    """
    Attributes:
        aggregation (MeterCreateAggregation):
        event_type (str): Letters, digits, `.`, `_`, `:` and `-`.
        key (str): Lowercase letters, digits, `.`, `_` and `-`; unique among the platform's and the tenant's meters.
        description (str | Unset):  Default: ''.
        group_by (list[str] | Unset): Dimensions usage of this meter may be split by: event properties, or `subject`.
        unit (str | Unset): What one unit of the quantity is, e.g. `tokens`. Default: ''.
        value_property (None | str | Unset): A top-level event property.
    """

    aggregation: MeterCreateAggregation
    event_type: str
    key: str
    description: str | Unset = ""
    group_by: list[str] | Unset = UNSET
    unit: str | Unset = ""
    value_property: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        aggregation = self.aggregation.value

        event_type = self.event_type

        key = self.key

        description = self.description

        group_by: list[str] | Unset = UNSET
        if not isinstance(self.group_by, Unset):
            group_by = self.group_by

        unit = self.unit

        value_property: None | str | Unset
        if isinstance(self.value_property, Unset):
            value_property = UNSET
        else:
            value_property = self.value_property

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "aggregation": aggregation,
                "event_type": event_type,
                "key": key,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if group_by is not UNSET:
            field_dict["group_by"] = group_by
        if unit is not UNSET:
            field_dict["unit"] = unit
        if value_property is not UNSET:
            field_dict["value_property"] = value_property

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        aggregation = MeterCreateAggregation(d.pop("aggregation"))

        event_type = d.pop("event_type")

        key = d.pop("key")

        description = d.pop("description", UNSET)

        group_by = cast(list[str], d.pop("group_by", UNSET))

        unit = d.pop("unit", UNSET)

        def _parse_value_property(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        value_property = _parse_value_property(d.pop("value_property", UNSET))

        meter_create = cls(
            aggregation=aggregation,
            event_type=event_type,
            key=key,
            description=description,
            group_by=group_by,
            unit=unit,
            value_property=value_property,
        )

        meter_create.additional_properties = d
        return meter_create

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

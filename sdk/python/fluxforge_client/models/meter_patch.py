from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.meter_patch_aggregation_type_0 import MeterPatchAggregationType0
from ..types import UNSET, Unset

T = TypeVar("T", bound="MeterPatch")


@_attrs_define
class MeterPatch:
    """
    Attributes:
        aggregation (MeterPatchAggregationType0 | Unset):
        description (str | Unset):
        event_type (str | Unset): Letters, digits, `.`, `_`, `:` and `-`.
        group_by (list[str] | Unset): Dimensions usage of this meter may be split by: event properties, or `subject`.
        unit (str | Unset): What one unit of the quantity is, e.g. `tokens`.
        value_property (None | str | Unset): A top-level event property.
    """

    aggregation: MeterPatchAggregationType0 | Unset = UNSET
    description: str | Unset = UNSET
    event_type: str | Unset = UNSET
    group_by: list[str] | Unset = UNSET
    unit: str | Unset = UNSET
    value_property: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        aggregation: str | Unset
        if isinstance(self.aggregation, Unset):
            aggregation = UNSET
        else:
            aggregation = self.aggregation.value

        description: str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        event_type: str | Unset
        if isinstance(self.event_type, Unset):
            event_type = UNSET
        else:
            event_type = self.event_type

        group_by: list[str] | Unset
        if isinstance(self.group_by, Unset):
            group_by = UNSET
        else:
            group_by = self.group_by

        unit: str | Unset
        if isinstance(self.unit, Unset):
            unit = UNSET
        else:
            unit = self.unit

        value_property: None | str | Unset
        if isinstance(self.value_property, Unset):
            value_property = UNSET
        else:
            value_property = self.value_property

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if aggregation is not UNSET:
            field_dict["aggregation"] = aggregation
        if description is not UNSET:
            field_dict["description"] = description
        if event_type is not UNSET:
            field_dict["event_type"] = event_type
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

        def _parse_aggregation(data: object) -> MeterPatchAggregationType0 | Unset:
            if isinstance(data, Unset):
                return data
            if not isinstance(data, str):
                raise TypeError()
            aggregation_type_0 = MeterPatchAggregationType0(data)

            return aggregation_type_0

        aggregation = _parse_aggregation(d.pop("aggregation", UNSET))

        def _parse_description(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_event_type(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        event_type = _parse_event_type(d.pop("event_type", UNSET))

        def _parse_group_by(data: object) -> list[str] | Unset:
            if isinstance(data, Unset):
                return data
            if not isinstance(data, list):
                raise TypeError()
            group_by_type_0 = cast(list[str], data)

            return group_by_type_0

        group_by = _parse_group_by(d.pop("group_by", UNSET))

        def _parse_unit(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        unit = _parse_unit(d.pop("unit", UNSET))

        def _parse_value_property(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        value_property = _parse_value_property(d.pop("value_property", UNSET))

        meter_patch = cls(
            aggregation=aggregation,
            description=description,
            event_type=event_type,
            group_by=group_by,
            unit=unit,
            value_property=value_property,
        )

        meter_patch.additional_properties = d
        return meter_patch

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

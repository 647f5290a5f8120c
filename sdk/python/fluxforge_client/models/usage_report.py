from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.usage_report_aggregation import UsageReportAggregation
from ..models.usage_report_window_type_1 import UsageReportWindowType1
from ..models.usage_report_window_type_2_type_1 import UsageReportWindowType2Type1
from ..models.usage_report_window_type_3_type_1 import UsageReportWindowType3Type1

if TYPE_CHECKING:
    from ..models.usage_bucket import UsageBucket


T = TypeVar("T", bound="UsageReport")


@_attrs_define
class UsageReport:
    """
    Attributes:
        aggregation (UsageReportAggregation):
        end (datetime.datetime):
        group_by (list[str]):
        items (list[UsageBucket]):
        meter (str):
        start (datetime.datetime):
        unit (str):
        window (None | UsageReportWindowType1 | UsageReportWindowType2Type1 | UsageReportWindowType3Type1):
    """

    aggregation: UsageReportAggregation
    end: datetime.datetime
    group_by: list[str]
    items: list[UsageBucket]
    meter: str
    start: datetime.datetime
    unit: str
    window: None | UsageReportWindowType1 | UsageReportWindowType2Type1 | UsageReportWindowType3Type1
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        aggregation = self.aggregation.value

        end = self.end.isoformat()

        group_by = self.group_by

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        meter = self.meter

        start = self.start.isoformat()

        unit = self.unit

        window: None | str
        if isinstance(self.window, UsageReportWindowType1):
            window = self.window.value
        elif isinstance(self.window, UsageReportWindowType2Type1):
            window = self.window.value
        elif isinstance(self.window, UsageReportWindowType3Type1):
            window = self.window.value
        else:
            window = self.window

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "aggregation": aggregation,
                "end": end,
                "group_by": group_by,
                "items": items,
                "meter": meter,
                "start": start,
                "unit": unit,
                "window": window,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_bucket import UsageBucket  # noqa: PLC0415

        d = dict(src_dict)
        aggregation = UsageReportAggregation(d.pop("aggregation"))

        end = datetime.datetime.fromisoformat(d.pop("end"))

        group_by = cast(list[str], d.pop("group_by"))

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = UsageBucket.from_dict(items_item_data)

            items.append(items_item)

        meter = d.pop("meter")

        start = datetime.datetime.fromisoformat(d.pop("start"))

        unit = d.pop("unit")

        def _parse_window(
            data: object,
        ) -> None | UsageReportWindowType1 | UsageReportWindowType2Type1 | UsageReportWindowType3Type1:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                window_type_1 = UsageReportWindowType1(data)

                return window_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                window_type_2_type_1 = UsageReportWindowType2Type1(data)

                return window_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                window_type_3_type_1 = UsageReportWindowType3Type1(data)

                return window_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UsageReportWindowType1 | UsageReportWindowType2Type1 | UsageReportWindowType3Type1, data)

        window = _parse_window(d.pop("window"))

        usage_report = cls(
            aggregation=aggregation,
            end=end,
            group_by=group_by,
            items=items,
            meter=meter,
            start=start,
            unit=unit,
            window=window,
        )

        usage_report.additional_properties = d
        return usage_report

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

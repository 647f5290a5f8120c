from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.usage_bucket_group import UsageBucketGroup


T = TypeVar("T", bound="UsageBucket")


@_attrs_define
class UsageBucket:
    """
    Attributes:
        event_count (int):
        group (UsageBucketGroup):
        quantity (str):
        window_end (datetime.datetime):
        window_start (datetime.datetime):
    """

    event_count: int
    group: UsageBucketGroup
    quantity: str
    window_end: datetime.datetime
    window_start: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event_count = self.event_count

        group = self.group.to_dict()

        quantity = self.quantity

        window_end = self.window_end.isoformat()

        window_start = self.window_start.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event_count": event_count,
                "group": group,
                "quantity": quantity,
                "window_end": window_end,
                "window_start": window_start,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_bucket_group import UsageBucketGroup  # noqa: PLC0415

        d = dict(src_dict)
        event_count = d.pop("event_count")

        group = UsageBucketGroup.from_dict(d.pop("group"))

        quantity = d.pop("quantity")

        window_end = datetime.datetime.fromisoformat(d.pop("window_end"))

        window_start = datetime.datetime.fromisoformat(d.pop("window_start"))

        usage_bucket = cls(
            event_count=event_count,
            group=group,
            quantity=quantity,
            window_end=window_end,
            window_start=window_start,
        )

        usage_bucket.additional_properties = d
        return usage_bucket

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

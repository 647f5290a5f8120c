from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="LineSource")


@_attrs_define
class LineSource:
    """
    Attributes:
        plan_id (UUID):
        plan_key (str):
        plan_version (int):
        window_end (datetime.datetime):
        window_start (datetime.datetime):
        event_count (int | None | Unset):
        price (None | Price | Unset):
    """

    plan_id: UUID
    plan_key: str
    plan_version: int
    window_end: datetime.datetime
    window_start: datetime.datetime
    event_count: int | None | Unset = UNSET
    price: None | Price | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.price import Price  # noqa: PLC0415

        plan_id = str(self.plan_id)

        plan_key = self.plan_key

        plan_version = self.plan_version

        window_end = self.window_end.isoformat()

        window_start = self.window_start.isoformat()

        event_count: int | None | Unset
        if isinstance(self.event_count, Unset):
            event_count = UNSET
        else:
            event_count = self.event_count

        price: dict[str, Any] | None | Unset
        if isinstance(self.price, Unset):
            price = UNSET
        elif isinstance(self.price, Price):
            price = self.price.to_dict()
        else:
            price = self.price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "plan_id": plan_id,
                "plan_key": plan_key,
                "plan_version": plan_version,
                "window_end": window_end,
                "window_start": window_start,
            }
        )
        if event_count is not UNSET:
            field_dict["event_count"] = event_count
        if price is not UNSET:
            field_dict["price"] = price

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.price import Price  # noqa: PLC0415

        d = dict(src_dict)
        plan_id = UUID(d.pop("plan_id"))

        plan_key = d.pop("plan_key")

        plan_version = d.pop("plan_version")

        window_end = datetime.datetime.fromisoformat(d.pop("window_end"))

        window_start = datetime.datetime.fromisoformat(d.pop("window_start"))

        def _parse_event_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        event_count = _parse_event_count(d.pop("event_count", UNSET))

        def _parse_price(data: object) -> None | Price | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                price_type_0 = Price.from_dict(data)

                return price_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Price | Unset, data)

        price = _parse_price(d.pop("price", UNSET))

        line_source = cls(
            plan_id=plan_id,
            plan_key=plan_key,
            plan_version=plan_version,
            window_end=window_end,
            window_start=window_start,
            event_count=event_count,
            price=price,
        )

        line_source.additional_properties = d
        return line_source

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

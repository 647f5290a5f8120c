from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Tier")


@_attrs_define
class Tier:
    """
    Attributes:
        unit_price (str): Minor units of the plan's currency per unit, as a decimal string; sub-cent prices are fine
            ("0.04" on a USD plan is 0.04 cents per unit).
        up_to (None | str): A quantity of the meter's units, as a decimal string.
        flat_fee (int | Unset): Integer minor units of the plan's currency. Default: 0.
    """

    unit_price: str
    up_to: None | str
    flat_fee: int | Unset = 0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        unit_price = self.unit_price

        up_to: None | str
        up_to = self.up_to

        flat_fee = self.flat_fee

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "unit_price": unit_price,
                "up_to": up_to,
            }
        )
        if flat_fee is not UNSET:
            field_dict["flat_fee"] = flat_fee

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        unit_price = d.pop("unit_price")

        def _parse_up_to(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        up_to = _parse_up_to(d.pop("up_to"))

        flat_fee = d.pop("flat_fee", UNSET)

        tier = cls(
            unit_price=unit_price,
            up_to=up_to,
            flat_fee=flat_fee,
        )

        tier.additional_properties = d
        return tier

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TierLine")


@_attrs_define
class TierLine:
    """
    Attributes:
        amount (str):
        flat_fee (int):
        quantity (str):
        tier_index (int):
        unit_price (str):
    """

    amount: str
    flat_fee: int
    quantity: str
    tier_index: int
    unit_price: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        flat_fee = self.flat_fee

        quantity = self.quantity

        tier_index = self.tier_index

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "flat_fee": flat_fee,
                "quantity": quantity,
                "tier_index": tier_index,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        flat_fee = d.pop("flat_fee")

        quantity = d.pop("quantity")

        tier_index = d.pop("tier_index")

        unit_price = d.pop("unit_price")

        tier_line = cls(
            amount=amount,
            flat_fee=flat_fee,
            quantity=quantity,
            tier_index=tier_index,
            unit_price=unit_price,
        )

        tier_line.additional_properties = d
        return tier_line

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

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="PlanTerms")


@_attrs_define
class PlanTerms:
    """
    Attributes:
        effective_from (datetime.datetime | None | Unset):
        fixed_fee (int | Unset): Integer minor units of the plan's currency (cents for USD). Default: 0.
        minimum_commitment (int | Unset): Integer minor units of the plan's currency (cents for USD). Default: 0.
        prices (list[Price] | Unset):
    """

    effective_from: datetime.datetime | None | Unset = UNSET
    fixed_fee: int | Unset = 0
    minimum_commitment: int | Unset = 0
    prices: list[Price] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        effective_from: None | str | Unset
        if isinstance(self.effective_from, Unset):
            effective_from = UNSET
        elif isinstance(self.effective_from, datetime.datetime):
            effective_from = self.effective_from.isoformat()
        else:
            effective_from = self.effective_from

        fixed_fee = self.fixed_fee

        minimum_commitment = self.minimum_commitment

        prices: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.prices, Unset):
            prices = []
            for prices_item_data in self.prices:
                prices_item = prices_item_data.to_dict()
                prices.append(prices_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if effective_from is not UNSET:
            field_dict["effective_from"] = effective_from
        if fixed_fee is not UNSET:
            field_dict["fixed_fee"] = fixed_fee
        if minimum_commitment is not UNSET:
            field_dict["minimum_commitment"] = minimum_commitment
        if prices is not UNSET:
            field_dict["prices"] = prices

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.price import Price  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_effective_from(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                effective_from_type_0 = datetime.datetime.fromisoformat(data)

                return effective_from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        effective_from = _parse_effective_from(d.pop("effective_from", UNSET))

        fixed_fee = d.pop("fixed_fee", UNSET)

        minimum_commitment = d.pop("minimum_commitment", UNSET)

        _prices = d.pop("prices", UNSET)
        prices: list[Price] | Unset = UNSET
        if _prices is not UNSET:
            prices = []
            for prices_item_data in _prices:
                prices_item = Price.from_dict(prices_item_data)

                prices.append(prices_item)

        plan_terms = cls(
            effective_from=effective_from,
            fixed_fee=fixed_fee,
            minimum_commitment=minimum_commitment,
            prices=prices,
        )

        plan_terms.additional_properties = d
        return plan_terms

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

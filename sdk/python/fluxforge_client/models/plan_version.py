from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="PlanVersion")


@_attrs_define
class PlanVersion:
    """
    Attributes:
        currency (str):
        effective_from (datetime.datetime):
        fixed_fee (int):
        minimum_commitment (int):
        plan_id (UUID):
        plan_key (str):
        prices (list[Price]):
        version (int):
    """

    currency: str
    effective_from: datetime.datetime
    fixed_fee: int
    minimum_commitment: int
    plan_id: UUID
    plan_key: str
    prices: list[Price]
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency

        effective_from = self.effective_from.isoformat()

        fixed_fee = self.fixed_fee

        minimum_commitment = self.minimum_commitment

        plan_id = str(self.plan_id)

        plan_key = self.plan_key

        prices = []
        for prices_item_data in self.prices:
            prices_item = prices_item_data.to_dict()
            prices.append(prices_item)

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "currency": currency,
                "effective_from": effective_from,
                "fixed_fee": fixed_fee,
                "minimum_commitment": minimum_commitment,
                "plan_id": plan_id,
                "plan_key": plan_key,
                "prices": prices,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.price import Price  # noqa: PLC0415

        d = dict(src_dict)
        currency = d.pop("currency")

        effective_from = datetime.datetime.fromisoformat(d.pop("effective_from"))

        fixed_fee = d.pop("fixed_fee")

        minimum_commitment = d.pop("minimum_commitment")

        plan_id = UUID(d.pop("plan_id"))

        plan_key = d.pop("plan_key")

        prices = []
        _prices = d.pop("prices")
        for prices_item_data in _prices:
            prices_item = Price.from_dict(prices_item_data)

            prices.append(prices_item)

        version = d.pop("version")

        plan_version = cls(
            currency=currency,
            effective_from=effective_from,
            fixed_fee=fixed_fee,
            minimum_commitment=minimum_commitment,
            plan_id=plan_id,
            plan_key=plan_key,
            prices=prices,
            version=version,
        )

        plan_version.additional_properties = d
        return plan_version

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.price_model import PriceModel
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tier import Tier


T = TypeVar("T", bound="Price")


@_attrs_define
class Price:
    """
    Attributes:
        meter_key (str): The meter this prices, e.g. api.request.
        model (PriceModel):
        included_quantity (str | Unset): Free units per period before the charge model applies (default 0).
        package_price (int | None | Unset): Integer minor units of the plan's currency.
        package_size (None | str | Unset): A quantity of the meter's units, as a decimal string.
        tiers (list[Tier] | Unset):
        unit_price (None | str | Unset): Minor units of the plan's currency per unit, as a decimal string; sub-cent
            prices are fine ("0.04" on a USD plan is 0.04 cents per unit).
    """

    meter_key: str
    model: PriceModel
    included_quantity: str | Unset = UNSET
    package_price: int | None | Unset = UNSET
    package_size: None | str | Unset = UNSET
    tiers: list[Tier] | Unset = UNSET
    unit_price: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        meter_key = self.meter_key

        model = self.model.value

        included_quantity = self.included_quantity

        package_price: int | None | Unset
        if isinstance(self.package_price, Unset):
            package_price = UNSET
        else:
            package_price = self.package_price

        package_size: None | str | Unset
        if isinstance(self.package_size, Unset):
            package_size = UNSET
        else:
            package_size = self.package_size

        tiers: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.tiers, Unset):
            tiers = []
            for tiers_item_data in self.tiers:
                tiers_item = tiers_item_data.to_dict()
                tiers.append(tiers_item)

        unit_price: None | str | Unset
        if isinstance(self.unit_price, Unset):
            unit_price = UNSET
        else:
            unit_price = self.unit_price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "meter_key": meter_key,
                "model": model,
            }
        )
        if included_quantity is not UNSET:
            field_dict["included_quantity"] = included_quantity
        if package_price is not UNSET:
            field_dict["package_price"] = package_price
        if package_size is not UNSET:
            field_dict["package_size"] = package_size
        if tiers is not UNSET:
            field_dict["tiers"] = tiers
        if unit_price is not UNSET:
            field_dict["unit_price"] = unit_price

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier import Tier  # noqa: PLC0415

        d = dict(src_dict)
        meter_key = d.pop("meter_key")

        model = PriceModel(d.pop("model"))

        included_quantity = d.pop("included_quantity", UNSET)

        def _parse_package_price(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        package_price = _parse_package_price(d.pop("package_price", UNSET))

        def _parse_package_size(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        package_size = _parse_package_size(d.pop("package_size", UNSET))

        _tiers = d.pop("tiers", UNSET)
        tiers: list[Tier] | Unset = UNSET
        if _tiers is not UNSET:
            tiers = []
            for tiers_item_data in _tiers:
                tiers_item = Tier.from_dict(tiers_item_data)

                tiers.append(tiers_item)

        def _parse_unit_price(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        unit_price = _parse_unit_price(d.pop("unit_price", UNSET))

        price = cls(
            meter_key=meter_key,
            model=model,
            included_quantity=included_quantity,
            package_price=package_price,
            package_size=package_size,
            tiers=tiers,
            unit_price=unit_price,
        )

        price.additional_properties = d
        return price

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role_patch_permissions_type_0_item import RolePatchPermissionsType0Item
from ..types import UNSET, Unset

T = TypeVar("T", bound="RolePatch")


@_attrs_define
class RolePatch:
    """
    Attributes:
        description (str | Unset):
        permissions (list[RolePatchPermissionsType0Item] | Unset):
    """

    description: str | Unset = UNSET
    permissions: list[RolePatchPermissionsType0Item] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        description: str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        permissions: list[str] | Unset
        if isinstance(self.permissions, Unset):
            permissions = UNSET
        else:
            permissions = []
            for permissions_type_0_item_data in self.permissions:
                permissions_type_0_item = permissions_type_0_item_data.value
                permissions.append(permissions_type_0_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if description is not UNSET:
            field_dict["description"] = description
        if permissions is not UNSET:
            field_dict["permissions"] = permissions

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_description(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_permissions(data: object) -> list[RolePatchPermissionsType0Item] | Unset:
            if isinstance(data, Unset):
                return data
            if not isinstance(data, list):
                raise TypeError()
            permissions_type_0 = []
            _permissions_type_0 = data
            for permissions_type_0_item_data in _permissions_type_0:
                permissions_type_0_item = RolePatchPermissionsType0Item(permissions_type_0_item_data)

                permissions_type_0.append(permissions_type_0_item)

            return permissions_type_0

        permissions = _parse_permissions(d.pop("permissions", UNSET))

        role_patch = cls(
            description=description,
            permissions=permissions,
        )

        role_patch.additional_properties = d
        return role_patch

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

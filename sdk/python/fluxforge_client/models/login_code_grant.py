from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="LoginCodeGrant")


@_attrs_define
class LoginCodeGrant:
    """
    Attributes:
        code (str):
        grant_type (Literal['login_code']):
    """

    code: str
    grant_type: Literal["login_code"]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        grant_type = self.grant_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "grant_type": grant_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        grant_type = cast(Literal["login_code"], d.pop("grant_type"))
        if grant_type != "login_code":
            raise ValueError(f"grant_type must match const 'login_code', got '{grant_type}'")

        login_code_grant = cls(
            code=code,
            grant_type=grant_type,
        )

        login_code_grant.additional_properties = d
        return login_code_grant

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

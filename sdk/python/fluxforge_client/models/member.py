from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.member_binding import MemberBinding


T = TypeVar("T", bound="Member")


@_attrs_define
class Member:
    """
    Attributes:
        display_name (None | str):
        email (None | str):
        joined_at (datetime.datetime):
        roles (list[MemberBinding]):
        user_id (UUID):
    """

    display_name: None | str
    email: None | str
    joined_at: datetime.datetime
    roles: list[MemberBinding]
    user_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_name: None | str
        display_name = self.display_name

        email: None | str
        email = self.email

        joined_at = self.joined_at.isoformat()

        roles = []
        for roles_item_data in self.roles:
            roles_item = roles_item_data.to_dict()
            roles.append(roles_item)

        user_id = str(self.user_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "display_name": display_name,
                "email": email,
                "joined_at": joined_at,
                "roles": roles,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.member_binding import MemberBinding  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_display_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        display_name = _parse_display_name(d.pop("display_name"))

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("email"))

        joined_at = datetime.datetime.fromisoformat(d.pop("joined_at"))

        roles = []
        _roles = d.pop("roles")
        for roles_item_data in _roles:
            roles_item = MemberBinding.from_dict(roles_item_data)

            roles.append(roles_item)

        user_id = UUID(d.pop("user_id"))

        member = cls(
            display_name=display_name,
            email=email,
            joined_at=joined_at,
            roles=roles,
            user_id=user_id,
        )

        member.additional_properties = d
        return member

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

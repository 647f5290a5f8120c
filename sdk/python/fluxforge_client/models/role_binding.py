from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role_binding_subject_type import RoleBindingSubjectType

T = TypeVar("T", bound="RoleBinding")


@_attrs_define
class RoleBinding:
    """
    Attributes:
        created_at (datetime.datetime):
        id (UUID):
        namespace (None | str):
        role (str):
        subject_id (UUID):
        subject_type (RoleBindingSubjectType):
    """

    created_at: datetime.datetime
    id: UUID
    namespace: None | str
    role: str
    subject_id: UUID
    subject_type: RoleBindingSubjectType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = str(self.id)

        namespace: None | str
        namespace = self.namespace

        role = self.role

        subject_id = str(self.subject_id)

        subject_type = self.subject_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "namespace": namespace,
                "role": role,
                "subject_id": subject_id,
                "subject_type": subject_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        def _parse_namespace(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        namespace = _parse_namespace(d.pop("namespace"))

        role = d.pop("role")

        subject_id = UUID(d.pop("subject_id"))

        subject_type = RoleBindingSubjectType(d.pop("subject_type"))

        role_binding = cls(
            created_at=created_at,
            id=id,
            namespace=namespace,
            role=role,
            subject_id=subject_id,
            subject_type=subject_type,
        )

        role_binding.additional_properties = d
        return role_binding

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

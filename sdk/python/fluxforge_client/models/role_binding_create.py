from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role_binding_create_subject_type import RoleBindingCreateSubjectType
from ..types import UNSET, Unset

T = TypeVar("T", bound="RoleBindingCreate")


@_attrs_define
class RoleBindingCreate:
    """
    Attributes:
        role (str): A built-in role (owner, admin, billing, operator, viewer) or a custom role's name.
        subject_id (UUID):
        subject_type (RoleBindingCreateSubjectType):
        namespace (None | str | Unset): A DNS label, as Kubernetes names namespaces: lowercase letters, digits and
            hyphens.
    """

    role: str
    subject_id: UUID
    subject_type: RoleBindingCreateSubjectType
    namespace: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        role = self.role

        subject_id = str(self.subject_id)

        subject_type = self.subject_type.value

        namespace: None | str | Unset
        if isinstance(self.namespace, Unset):
            namespace = UNSET
        else:
            namespace = self.namespace

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "role": role,
                "subject_id": subject_id,
                "subject_type": subject_type,
            }
        )
        if namespace is not UNSET:
            field_dict["namespace"] = namespace

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        role = d.pop("role")

        subject_id = UUID(d.pop("subject_id"))

        subject_type = RoleBindingCreateSubjectType(d.pop("subject_type"))

        def _parse_namespace(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        namespace = _parse_namespace(d.pop("namespace", UNSET))

        role_binding_create = cls(
            role=role,
            subject_id=subject_id,
            subject_type=subject_type,
            namespace=namespace,
        )

        role_binding_create.additional_properties = d
        return role_binding_create

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

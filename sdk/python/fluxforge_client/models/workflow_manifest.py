from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.workflow_metadata import WorkflowMetadata
    from ..models.workflow_spec import WorkflowSpec


T = TypeVar("T", bound="WorkflowManifest")


@_attrs_define
class WorkflowManifest:
    """
    Attributes:
        api_version (Literal['fluxforge.dev/v1']):
        kind (Literal['Workflow']):
        metadata (WorkflowMetadata):
        spec (WorkflowSpec):
    """

    api_version: Literal["fluxforge.dev/v1"]
    kind: Literal["Workflow"]
    metadata: WorkflowMetadata
    spec: WorkflowSpec
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        api_version = self.api_version

        kind = self.kind

        metadata = self.metadata.to_dict()

        spec = self.spec.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "apiVersion": api_version,
                "kind": kind,
                "metadata": metadata,
                "spec": spec,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_metadata import WorkflowMetadata  # noqa: PLC0415
        from ..models.workflow_spec import WorkflowSpec  # noqa: PLC0415

        d = dict(src_dict)
        api_version = cast(Literal["fluxforge.dev/v1"], d.pop("apiVersion"))
        if api_version != "fluxforge.dev/v1":
            raise ValueError(f"apiVersion must match const 'fluxforge.dev/v1', got '{api_version}'")

        kind = cast(Literal["Workflow"], d.pop("kind"))
        if kind != "Workflow":
            raise ValueError(f"kind must match const 'Workflow', got '{kind}'")

        metadata = WorkflowMetadata.from_dict(d.pop("metadata"))

        spec = WorkflowSpec.from_dict(d.pop("spec"))

        workflow_manifest = cls(
            api_version=api_version,
            kind=kind,
            metadata=metadata,
            spec=spec,
        )

        workflow_manifest.additional_properties = d
        return workflow_manifest

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

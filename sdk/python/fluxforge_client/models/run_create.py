from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.run_create_inputs import RunCreateInputs


T = TypeVar("T", bound="RunCreate")


@_attrs_define
class RunCreate:
    """
    Attributes:
        workflow (str): A DNS label: lowercase letters, digits and hyphens; unique among the namespace's workflows.
        inputs (RunCreateInputs | Unset): The workflow's inputs, by name.
        priority (int | Unset): Higher runs start earlier: each point counts as having waited
            FLUXFORGE_SCHEDULER_PRIORITY_AGING_SECONDS longer, so old runs are never starved. Default: 0.
        version (int | None | Unset): A version of the workflow (default: its latest).
    """

    workflow: str
    inputs: RunCreateInputs | Unset = UNSET
    priority: int | Unset = 0
    version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        workflow = self.workflow

        inputs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.inputs, Unset):
            inputs = self.inputs.to_dict()

        priority = self.priority

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "workflow": workflow,
            }
        )
        if inputs is not UNSET:
            field_dict["inputs"] = inputs
        if priority is not UNSET:
            field_dict["priority"] = priority
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_create_inputs import RunCreateInputs  # noqa: PLC0415

        d = dict(src_dict)
        workflow = d.pop("workflow")

        _inputs = d.pop("inputs", UNSET)
        inputs: RunCreateInputs | Unset
        if isinstance(_inputs, Unset):
            inputs = UNSET
        else:
            inputs = RunCreateInputs.from_dict(_inputs)

        priority = d.pop("priority", UNSET)

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        run_create = cls(
            workflow=workflow,
            inputs=inputs,
            priority=priority,
            version=version,
        )

        run_create.additional_properties = d
        return run_create

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

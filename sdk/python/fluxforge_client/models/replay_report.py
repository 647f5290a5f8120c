from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.divergence import Divergence


T = TypeVar("T", bound="ReplayReport")


@_attrs_define
class ReplayReport:
    """
    Attributes:
        attempts_replayed (int):
        complete (bool):
        order (list[str]):
        result_digest (None | str):
        run (UUID):
        verified (bool):
        divergence (Divergence | None | Unset):
    """

    attempts_replayed: int
    complete: bool
    order: list[str]
    result_digest: None | str
    run: UUID
    verified: bool
    divergence: Divergence | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.divergence import Divergence  # noqa: PLC0415

        attempts_replayed = self.attempts_replayed

        complete = self.complete

        order = self.order

        result_digest: None | str
        result_digest = self.result_digest

        run = str(self.run)

        verified = self.verified

        divergence: dict[str, Any] | None | Unset
        if isinstance(self.divergence, Unset):
            divergence = UNSET
        elif isinstance(self.divergence, Divergence):
            divergence = self.divergence.to_dict()
        else:
            divergence = self.divergence

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts_replayed": attempts_replayed,
                "complete": complete,
                "order": order,
                "result_digest": result_digest,
                "run": run,
                "verified": verified,
            }
        )
        if divergence is not UNSET:
            field_dict["divergence"] = divergence

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.divergence import Divergence  # noqa: PLC0415

        d = dict(src_dict)
        attempts_replayed = d.pop("attempts_replayed")

        complete = d.pop("complete")

        order = cast(list[str], d.pop("order"))

        def _parse_result_digest(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        result_digest = _parse_result_digest(d.pop("result_digest"))

        run = UUID(d.pop("run"))

        verified = d.pop("verified")

        def _parse_divergence(data: object) -> Divergence | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                divergence_type_0 = Divergence.from_dict(data)

                return divergence_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Divergence | None | Unset, data)

        divergence = _parse_divergence(d.pop("divergence", UNSET))

        replay_report = cls(
            attempts_replayed=attempts_replayed,
            complete=complete,
            order=order,
            result_digest=result_digest,
            run=run,
            verified=verified,
            divergence=divergence,
        )

        replay_report.additional_properties = d
        return replay_report

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

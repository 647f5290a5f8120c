from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.retry_policy_backoff import RetryPolicyBackoff
from ..models.retry_policy_retry_on_item import RetryPolicyRetryOnItem
from ..types import UNSET, Unset

T = TypeVar("T", bound="RetryPolicy")


@_attrs_define
class RetryPolicy:
    """
    Attributes:
        backoff (RetryPolicyBackoff | Unset):  Default: RetryPolicyBackoff.EXPONENTIAL.
        initial_delay_seconds (float | Unset):  Default: 1.0.
        jitter (float | Unset): Fraction of a delay that is randomised. Default: 0.2.
        max_attempts (int | Unset): Attempts in all (1: no retry). Default: 1.
        max_delay_seconds (float | Unset):  Default: 60.0.
        retry_on (list[RetryPolicyRetryOnItem] | Unset): Error kinds worth another attempt.
    """

    backoff: RetryPolicyBackoff | Unset = RetryPolicyBackoff.EXPONENTIAL
    initial_delay_seconds: float | Unset = 1.0
    jitter: float | Unset = 0.2
    max_attempts: int | Unset = 1
    max_delay_seconds: float | Unset = 60.0
    retry_on: list[RetryPolicyRetryOnItem] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        backoff: str | Unset = UNSET
        if not isinstance(self.backoff, Unset):
            backoff = self.backoff.value

        initial_delay_seconds = self.initial_delay_seconds

        jitter = self.jitter

        max_attempts = self.max_attempts

        max_delay_seconds = self.max_delay_seconds

        retry_on: list[str] | Unset = UNSET
        if not isinstance(self.retry_on, Unset):
            retry_on = []
            for retry_on_item_data in self.retry_on:
                retry_on_item = retry_on_item_data.value
                retry_on.append(retry_on_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if backoff is not UNSET:
            field_dict["backoff"] = backoff
        if initial_delay_seconds is not UNSET:
            field_dict["initial_delay_seconds"] = initial_delay_seconds
        if jitter is not UNSET:
            field_dict["jitter"] = jitter
        if max_attempts is not UNSET:
            field_dict["max_attempts"] = max_attempts
        if max_delay_seconds is not UNSET:
            field_dict["max_delay_seconds"] = max_delay_seconds
        if retry_on is not UNSET:
            field_dict["retry_on"] = retry_on

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _backoff = d.pop("backoff", UNSET)
        backoff: RetryPolicyBackoff | Unset
        if isinstance(_backoff, Unset):
            backoff = UNSET
        else:
            backoff = RetryPolicyBackoff(_backoff)

        initial_delay_seconds = d.pop("initial_delay_seconds", UNSET)

        jitter = d.pop("jitter", UNSET)

        max_attempts = d.pop("max_attempts", UNSET)

        max_delay_seconds = d.pop("max_delay_seconds", UNSET)

        _retry_on = d.pop("retry_on", UNSET)
        retry_on: list[RetryPolicyRetryOnItem] | Unset = UNSET
        if _retry_on is not UNSET:
            retry_on = []
            for retry_on_item_data in _retry_on:
                retry_on_item = RetryPolicyRetryOnItem(retry_on_item_data)

                retry_on.append(retry_on_item)

        retry_policy = cls(
            backoff=backoff,
            initial_delay_seconds=initial_delay_seconds,
            jitter=jitter,
            max_attempts=max_attempts,
            max_delay_seconds=max_delay_seconds,
            retry_on=retry_on,
        )

        retry_policy.additional_properties = d
        return retry_policy

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

import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.get_usage_window_type_1 import GetUsageWindowType1
from ...models.get_usage_window_type_2_type_1 import GetUsageWindowType2Type1
from ...models.get_usage_window_type_3_type_1 import GetUsageWindowType3Type1
from ...models.problem import Problem
from ...models.usage_report import UsageReport
from ...types import UNSET, Response, Unset


def _get_kwargs(
    tenant: str,
    *,
    meter: str,
    window: GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None | Unset = UNSET,
    start: datetime.datetime | None | Unset = UNSET,
    end: datetime.datetime | None | Unset = UNSET,
    group_by: list[str] | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["meter"] = meter

    json_window: None | str | Unset
    if isinstance(window, Unset):
        json_window = UNSET
    elif isinstance(window, GetUsageWindowType1):
        json_window = window.value
    elif isinstance(window, GetUsageWindowType2Type1):
        json_window = window.value
    elif isinstance(window, GetUsageWindowType3Type1):
        json_window = window.value
    else:
        json_window = window
    params["window"] = json_window

    json_start: None | str | Unset
    if isinstance(start, Unset):
        json_start = UNSET
    elif isinstance(start, datetime.datetime):
        json_start = start.isoformat()
    else:
        json_start = start
    params["start"] = json_start

    json_end: None | str | Unset
    if isinstance(end, Unset):
        json_end = UNSET
    elif isinstance(end, datetime.datetime):
        json_end = end.isoformat()
    else:
        json_end = end
    params["end"] = json_end

    json_group_by: list[str] | None | Unset
    if isinstance(group_by, Unset):
        json_group_by = UNSET
    elif isinstance(group_by, list):
        json_group_by = group_by

    else:
        json_group_by = group_by
    params["group_by"] = json_group_by

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/usage".format(
            tenant=quote(str(tenant), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | UsageReport | None:
    if response.status_code == 200:
        response_200 = UsageReport.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | UsageReport]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    meter: str,
    window: GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None | Unset = UNSET,
    start: datetime.datetime | None | Unset = UNSET,
    end: datetime.datetime | None | Unset = UNSET,
    group_by: list[str] | None | Unset = UNSET,
) -> Response[Problem | UsageReport]:
    """A meter's quantity over a time range, by window and dimensions, from the raw events

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key (the tenant's or the platform's).
        window (GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None |
            Unset): Split the range into UTC calendar hours, days or months; omit for one total.
        start (datetime.datetime | None | Unset): Start of the range, inclusive (RFC 3339 with
            offset); default: this month's start.
        end (datetime.datetime | None | Unset): End of the range, exclusive (RFC 3339 with
            offset); default: now.
        group_by (list[str] | None | Unset): Dimensions to split by (repeat the parameter): the
            meter's group_by, or `subject`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UsageReport]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        meter=meter,
        window=window,
        start=start,
        end=end,
        group_by=group_by,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    *,
    client: AuthenticatedClient,
    meter: str,
    window: GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None | Unset = UNSET,
    start: datetime.datetime | None | Unset = UNSET,
    end: datetime.datetime | None | Unset = UNSET,
    group_by: list[str] | None | Unset = UNSET,
) -> Problem | UsageReport | None:
    """A meter's quantity over a time range, by window and dimensions, from the raw events

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key (the tenant's or the platform's).
        window (GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None |
            Unset): Split the range into UTC calendar hours, days or months; omit for one total.
        start (datetime.datetime | None | Unset): Start of the range, inclusive (RFC 3339 with
            offset); default: this month's start.
        end (datetime.datetime | None | Unset): End of the range, exclusive (RFC 3339 with
            offset); default: now.
        group_by (list[str] | None | Unset): Dimensions to split by (repeat the parameter): the
            meter's group_by, or `subject`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UsageReport
    """

    return sync_detailed(
        tenant=tenant,
        client=client,
        meter=meter,
        window=window,
        start=start,
        end=end,
        group_by=group_by,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    meter: str,
    window: GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None | Unset = UNSET,
    start: datetime.datetime | None | Unset = UNSET,
    end: datetime.datetime | None | Unset = UNSET,
    group_by: list[str] | None | Unset = UNSET,
) -> Response[Problem | UsageReport]:
    """A meter's quantity over a time range, by window and dimensions, from the raw events

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key (the tenant's or the platform's).
        window (GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None |
            Unset): Split the range into UTC calendar hours, days or months; omit for one total.
        start (datetime.datetime | None | Unset): Start of the range, inclusive (RFC 3339 with
            offset); default: this month's start.
        end (datetime.datetime | None | Unset): End of the range, exclusive (RFC 3339 with
            offset); default: now.
        group_by (list[str] | None | Unset): Dimensions to split by (repeat the parameter): the
            meter's group_by, or `subject`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UsageReport]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        meter=meter,
        window=window,
        start=start,
        end=end,
        group_by=group_by,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    *,
    client: AuthenticatedClient,
    meter: str,
    window: GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None | Unset = UNSET,
    start: datetime.datetime | None | Unset = UNSET,
    end: datetime.datetime | None | Unset = UNSET,
    group_by: list[str] | None | Unset = UNSET,
) -> Problem | UsageReport | None:
    """A meter's quantity over a time range, by window and dimensions, from the raw events

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key (the tenant's or the platform's).
        window (GetUsageWindowType1 | GetUsageWindowType2Type1 | GetUsageWindowType3Type1 | None |
            Unset): Split the range into UTC calendar hours, days or months; omit for one total.
        start (datetime.datetime | None | Unset): Start of the range, inclusive (RFC 3339 with
            offset); default: this month's start.
        end (datetime.datetime | None | Unset): End of the range, exclusive (RFC 3339 with
            offset); default: now.
        group_by (list[str] | None | Unset): Dimensions to split by (repeat the parameter): the
            meter's group_by, or `subject`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UsageReport
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            client=client,
            meter=meter,
            window=window,
            start=start,
            end=end,
            group_by=group_by,
        )
    ).parsed

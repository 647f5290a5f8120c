"""The smallest server that speaks Stripe's wire format for what localstripe lacks, in front of it.

    python front.py <port> <localstripe base URL>

localstripe (the stateful fake Stripe from PyPI) answers customers, pending invoice items and
much else, but it lacks three things an invoice export needs:

1. Idempotency-Key: localstripe ignores the header, so a repeated POST makes a second object.
   Here, as at Stripe, a POST with a key seen before (for the same API key) returns the first
   answer again with `Idempotent-Replayed: true`, and the same key with other parameters is
   refused with an `idempotency_error` (400).
2. One-off invoices: localstripe creates invoices only from subscriptions (`POST /v1/invoices`
   for a customer without one answers 404 "No upcoming invoices"), has no
   `POST /v1/invoices/{id}/finalize`, and ignores `invoice=` on invoice items. Here drafts are made
   with `pending_invoice_items_behavior=exclude`, items attach to them by id, and finalize
   moves draft -> open; `GET /v1/invoices[/{id}]` and `GET /v1/invoiceitems?invoice=` read them.
3. Failure injection: `POST /_peer/faults {"path_prefix", "times"}` makes the next `times`
   matching POSTs do their work and then drop the connection without an answer, which is
   what a crash or a network cut between Stripe and the caller looks like.

Everything else is proxied to localstripe unchanged (customers are localstripe's, and invoices
check their customer there). `GET /_peer/requests` lists the POSTs received, with their keys.
Request bodies are form-encoded (`a[b]=c`) and answers JSON, as at Stripe.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

UPSTREAM_KEY = web.AppKey("upstream", str)
SESSION_KEY = web.AppKey("session", aiohttp.ClientSession)


class State:
    def __init__(self) -> None:
        self.idempotent: dict[tuple[str, str], tuple[str, int, bytes]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []


STATE = State()


def stripe_error(
    status: int, message: str, *, kind: str = "invalid_request_error", code: str | None = None
) -> web.Response:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code is not None:
        error["code"] = code
    return web.json_response({"error": error}, status=status)


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`metadata[a]=1&period[start]=2&expand[]=x` -> {"metadata": {"a": "1"}, "period": {...}, "expand": ["x"]}."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if "[" not in key:
            data[key] = value
            continue
        head, rest = key.split("[", 1)
        inner = rest.rstrip("]")
        if inner == "":
            data.setdefault(head, []).append(value)
        else:
            data.setdefault(head, {})[inner] = value
    return data


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(7)


def api_key(request: web.Request) -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key if scheme == "Bearer" and key.startswith("sk_") else None


def invoice_view(invoice: dict[str, Any]) -> dict[str, Any]:
    lines = [STATE.items[item_id] for item_id in invoice["_items"]]
    total = sum(int(item["amount"]) for item in lines)
    view = {key: value for key, value in invoice.items() if not key.startswith("_")}
    view.update(
        subtotal=total,
        total=total,
        amount_due=total,
        amount_remaining=total if invoice["status"] == "open" else 0,
        lines={"object": "list", "data": lines, "has_more": False, "url": f"/v1/invoices/{invoice['id']}/lines"},
    )
    return view


async def customer_exists(request: web.Request, customer: str) -> bool:
    session = request.app[SESSION_KEY]
    async with session.get(
        f"{request.app[UPSTREAM_KEY]}/v1/customers/{customer}",
        headers={"Authorization": request.headers["Authorization"]},
    ) as answer:
        return answer.status == 200


async def create_invoice(request: web.Request, params: dict[str, Any]) -> web.Response:
    customer = params.get("customer")
    if not isinstance(customer, str) or not await customer_exists(request, customer):
        return stripe_error(404, f"No such customer: '{customer}'", code="resource_missing")
    if params.get("pending_invoice_items_behavior", "exclude") != "exclude":
        return stripe_error(400, "this peer makes one-off invoices from attached items only (exclude)")
    invoice = {
        "id": new_id("in_"),
        "object": "invoice",
        "customer": customer,
        "currency": params.get("currency", "usd"),
        "status": "draft",
        "auto_advance": params.get("auto_advance") == "true",
        "collection_method": params.get("collection_method", "charge_automatically"),
        "days_until_due": int(params["days_until_due"]) if "days_until_due" in params else None,
        "number": params.get("number"),
        "description": params.get("description"),
        "metadata": params.get("metadata", {}),
        "created": int(time.time()),
        "livemode": False,
        "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None},
        "_items": [],
    }
    STATE.invoices[invoice["id"]] = invoice
    return web.json_response(invoice_view(invoice))


async def create_attached_item(params: dict[str, Any]) -> web.Response:
    invoice = STATE.invoices.get(params["invoice"])
    if invoice is None:
        return stripe_error(404, f"No such invoice: '{params['invoice']}'", code="resource_missing")
    if invoice["status"] != "draft":
        return stripe_error(400, "You can only add invoice items to draft invoices.", code="invoice_not_editable")
    if params.get("customer") != invoice["customer"]:
        return stripe_error(400, "The invoice belongs to another customer.")
    try:
        amount = int(params["amount"])
    except (KeyError, ValueError):
        return stripe_error(400, "amount must be an integer", code="parameter_invalid_integer")
    if params.get("currency") != invoice["currency"]:
        return stripe_error(400, "The currency must match the invoice's.")
    period = params.get("period", {})
    item = {
        "id": new_id("ii_"),
        "object": "invoiceitem",
        "invoice": invoice["id"],
        "customer": invoice["customer"],
        "amount": amount,
        "currency": invoice["currency"],
        "description": params.get("description"),
        "metadata": params.get("metadata", {}),
        "period": {"start": int(period.get("start", 0)), "end": int(period.get("end", 0))},
        "quantity": 1,
        "date": int(time.time()),
        "livemode": False,
    }
    STATE.items[item["id"]] = item
    invoice["_items"].append(item["id"])
    return web.json_response(item)


def finalize(invoice_id: str) -> web.Response:
    invoice = STATE.invoices.get(invoice_id)
    if invoice is None:
        return stripe_error(404, f"No such invoice: '{invoice_id}'", code="resource_missing")
    if invoice["status"] != "draft":
        return stripe_error(400, "This invoice is already finalized.", code="invoice_already_finalized")
    invoice["status"] = "open"
    invoice["status_transitions"]["finalized_at"] = int(time.time())
    return web.json_response(invoice_view(invoice))


async def proxy(request: web.Request, body: bytes) -> web.Response:
    session = request.app[SESSION_KEY]
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
    async with session.request(
        request.method, request.app[UPSTREAM_KEY] + request.path_qs, data=body, headers=headers
    ) as answer:
        payload = await answer.read()
        return web.Response(status=answer.status, body=payload, content_type="application/json")


async def handle_post(request: web.Request, body: bytes) -> web.Response:
    params = unflatten(parse_qsl(body.decode(), keep_blank_values=True))
    path = request.path
    if path == "/v1/invoices":
        return await create_invoice(request, params)
    if path.startswith("/v1/invoices/") and path.endswith("/finalize"):
        return finalize(path.split("/")[3])
    if path == "/v1/invoiceitems" and "invoice" in params:
        return await create_attached_item(params)
    return await proxy(request, body)


def handle_get(request: web.Request) -> web.Response | None:
    path = request.path
    if path == "/v1/invoices":
        customer = request.query.get("customer")
        found = [invoice_view(i) for i in STATE.invoices.values() if customer in (None, i["customer"])]
        return web.json_response({"object": "list", "data": found, "has_more": False, "url": "/v1/invoices"})
    if path.startswith("/v1/invoices/"):
        invoice = STATE.invoices.get(path.split("/")[3])
        if invoice is None:
            return None  # perhaps localstripe's (a subscription invoice)
        return web.json_response(invoice_view(invoice))
    if path == "/v1/invoiceitems" and "invoice" in request.query:
        invoice_id = request.query["invoice"]
        found = [item for item in STATE.items.values() if item["invoice"] == invoice_id]
        return web.json_response({"object": "list", "data": found, "has_more": False, "url": "/v1/invoiceitems"})
    return None


def take_fault(path: str) -> bool:
    for fault in STATE.faults:
        if path.startswith(fault["path_prefix"]) and fault["times"] > 0:
            fault["times"] -= 1
            return True
    return False


async def stripe_api(request: web.Request) -> web.StreamResponse:
    key = api_key(request)
    if key is None:
        return stripe_error(401, "Invalid API Key provided.", kind="invalid_request_error")
    if request.method == "GET":
        served_here = handle_get(request)
        return served_here if served_here is not None else await proxy(request, b"")
    if request.method != "POST":
        return await proxy(request, await request.read())
    body = await request.read()
    idempotency_key = request.headers.get("Idempotency-Key")
    fingerprint = json.dumps([request.path, sorted(parse_qsl(body.decode(), keep_blank_values=True))])
    STATE.requests.append({"method": "POST", "path": request.path, "idempotency_key": idempotency_key})
    answer: web.Response
    replayed = False
    if idempotency_key is not None and (key, idempotency_key) in STATE.idempotent:
        first_fingerprint, status, payload = STATE.idempotent[(key, idempotency_key)]
        if first_fingerprint != fingerprint:
            return stripe_error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                kind="idempotency_error",
            )
        answer = web.Response(status=status, body=payload, content_type="application/json")
        answer.headers["Idempotent-Replayed"] = "true"
        replayed = True
    else:
        answer = await handle_post(request, body)
        if idempotency_key is not None and answer.status < 500:
            assert isinstance(answer.body, bytes)
            STATE.idempotent[(key, idempotency_key)] = (fingerprint, answer.status, answer.body)
    STATE.requests[-1]["replayed"] = replayed
    if idempotency_key is not None:
        answer.headers["Idempotency-Key"] = idempotency_key
    if take_fault(request.path):
        assert request.transport is not None
        request.transport.abort()  # the work is done, the answer is lost
    return answer


async def set_faults(request: web.Request) -> web.Response:
    fault = await request.json()
    STATE.faults.append({"path_prefix": fault["path_prefix"], "times": int(fault.get("times", 1))})
    return web.json_response({"faults": STATE.faults})


async def clear_faults(request: web.Request) -> web.Response:
    STATE.faults.clear()
    return web.json_response({"faults": []})


async def requests_log(request: web.Request) -> web.Response:
    return web.json_response(STATE.requests)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def session_context(app: web.Application) -> Any:
    async with aiohttp.ClientSession() as session:
        app[SESSION_KEY] = session
        yield


def main() -> None:
    port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
    app = web.Application()
    app[UPSTREAM_KEY] = upstream
    app.cleanup_ctx.append(session_context)
    app.router.add_get("/_peer/health", health)
    app.router.add_post("/_peer/faults", set_faults)
    app.router.add_delete("/_peer/faults", clear_faults)
    app.router.add_get("/_peer/requests", requests_log)
    app.router.add_route("*", "/v1/{tail:.*}", stripe_api)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()

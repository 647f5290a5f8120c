"""Invoice PDFs, each rendered once per content and kept in Redis.

Rendering costs ~150 ms of CPU (fpdf2 parses and subsets the embedded fonts for every
document) and holds the GIL meanwhile, so under load repeated downloads slowed every other
request on the worker. A PDF depends only on the invoice and the issuer, so the cache key is a
digest of both: any change (a line, a status, a credit note, another issuer) is another key and
nothing is ever invalidated. Redis being away costs only a render.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from fluxforge.billing.invoices import render
from fluxforge.billing.invoices.models import Invoice, Issuer

CACHE_SECONDS = 86_400

log = logging.getLogger(__name__)


def cache_key(prefix: str, invoice: Invoice, issuer: Issuer) -> str:
    digest = hashlib.sha256(msgspec.json.encode((invoice, issuer.name, issuer.address))).hexdigest()
    return f"{prefix}invoice-pdf:{invoice.id}:{digest}"


async def invoice_pdf(redis: Redis, prefix: str, invoice: Invoice, issuer: Issuer) -> bytes:
    key = cache_key(prefix, invoice, issuer)
    try:
        cached = await redis.get(key)
    except RedisError as exc:
        log.warning("invoice PDF cache unavailable", extra={"error": type(exc).__name__})
        cached = None
    if isinstance(cached, bytes):
        return cached
    body = await asyncio.to_thread(render.pdf_document, invoice, issuer)  # CPU-bound: off the event loop
    try:
        await redis.set(key, body, ex=CACHE_SECONDS)
    except RedisError as exc:
        log.warning("invoice PDF cache unavailable", extra={"error": type(exc).__name__})
    return body

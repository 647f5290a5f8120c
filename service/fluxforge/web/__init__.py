"""The HTTP edge every domain's controller shares: access guards, path and header parameters,
problem+json, idempotent creation, the OpenAPI contract and the typed services handlers get."""

"""Outbound calls made on a tenant's behalf: the one egress policy they all go through."""

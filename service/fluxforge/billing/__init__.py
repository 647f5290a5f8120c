"""Billing: what tenants pay for their use.

`billing.catalog` holds the platform's plans (versioned rate cards with effective dates), tenants'
subscriptions to them, and the pure pricing math (charge models, proration, currencies) that
invoicing builds on. Money is always integer minor units of an ISO 4217 currency; quantities and
unit prices are exact decimals; floats never touch money.
"""

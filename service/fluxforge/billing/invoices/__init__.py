"""Invoices: closing billing periods into draft invoices, their lifecycle (finalized with a
gapless number per issuer, paid, void, credited), their CSV and PDF renderings, export to Stripe
and Stripe's payment webhooks."""

"""Plans (versioned rate cards), subscriptions, and the pure pricing math invoicing builds on.

The pure API lives in `pricing` (charge models, proration, segments) and `currency`; the SQL in
`repository` (`period_segments` gives invoicing every subscribed tenant's segments of a period).
"""

"""Pages and the webhook: one blueprint module per area, and the web plumbing beside them.

Plumbing: `pipeline` (every request hook, in the order they run), `htmx` (the one module that speaks htmx),
`permissions` (roles), `security` (headers), `throttle` (login attempts), `forms`. Pages call the domain
services and never touch the tables themselves.
"""

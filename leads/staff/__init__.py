"""Members of staff (accounts, roles) and the append-only audit trail of what they did."""

"""The retention engine: the sweeper, destroyers per record kind, the forecast, legal holds and job leases."""

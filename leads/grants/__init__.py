"""Support access grants and the plan-to-permission mapping that decides whether one may be opened."""

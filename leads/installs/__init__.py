"""Managed-application installations: storing the notifications the webhook receives."""

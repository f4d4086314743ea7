"""Playbook file -> validated model (loader, models, JSON Schema)."""

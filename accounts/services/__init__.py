"""Writes of the accounts app, one module per concern (HackSoft's services layer)."""

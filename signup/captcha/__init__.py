"""Pluggable captcha backends (ALTCHA, Turnstile, hCaptcha): see base.py for the interface and the choice."""

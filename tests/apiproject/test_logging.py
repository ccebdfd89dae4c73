"""Logging configuration: what lands in the log for requests the server refuses."""

import logging

import pytest


@pytest.mark.django_db
def test_disallowed_host_logs_one_warning_line_without_traceback(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/api/v1/health", HTTP_HOST="evil.example")
    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert (record.levelname, record.exc_info, record.exc_text) == ("WARNING", None, None)
    line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "\n" not in line
    assert "evil.example" in line

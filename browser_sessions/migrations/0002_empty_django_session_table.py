"""Empty Django's own session table: its primary keys are usable session cookies.

Once SESSION_ENGINE is browser_sessions.backend, nothing reads that table again, but the rows
left in it would still let whoever copies the database sign in as their users until they
expire. Deleting them signs everyone out once, which is the point.
"""

from django.db import migrations


def empty_django_session_table(apps, schema_editor) -> None:
    apps.get_model("sessions", "Session").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("browser_sessions", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(empty_django_session_table, migrations.RunPython.noop)]

"""Start-up checks of production configuration: required settings, key files, the Redis policy."""

import os
from collections.abc import Mapping


def missing_production_settings(required: Mapping[str, object], *, key_files: Mapping[str, str]) -> list[str]:
    """Return one line per problem: each empty required value, and each key file unset or unreadable.

    A pure function of its arguments, so that settings.py can call it before Django is set up.
    """
    missing = [f"{name} is not set" for name, value in required.items() if not value]
    for name, path in key_files.items():
        if not path:
            missing.append(f"{name} is not set")
        elif not os.path.isfile(path) or not os.access(path, os.R_OK):
            missing.append(f"{name}={path} is not a readable file")
    return missing

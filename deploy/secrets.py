"""`make secrets`: write every secret and key file a production start needs, owner-only, under var/.

Run as `python -m deploy.secrets`. It never overwrites what exists (rerunning it keeps the
secrets, so tokens and encrypted API secrets stay valid), and prints the variables to set.
Needs no Django settings: those refuse to load until these secrets exist.
"""

import argparse
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from transport.crypto import private_key_pem

ROOT = Path(__file__).resolve().parent.parent
SECRETS_DIR = ROOT / "var" / "secrets"
ENV_FILE_NAME = "production.env"


# Value secrets: (variable, generator). 256 bits of randomness each, URL-safe.
VALUES: tuple[tuple[str, Callable[[], str]], ...] = (
    ("DJANGO_SECRET_KEY", lambda: secrets.token_urlsafe(50)),
    # Fernet keys, newest first: prepend a new one to rotate (docs/deployment.md).
    ("API_SECRET_ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode("ascii")),
    ("SIGNUP_ALTCHA_HMAC_KEY", lambda: secrets.token_urlsafe(32)),
)
# Key-file secrets: (variable, file name, generator of the PEM).
FILES: tuple[tuple[str, str, Callable[[], bytes]], ...] = (
    ("JWT_PRIVATE_KEY_FILE", "jwt-es256.pem", lambda: private_key_pem(ec.generate_private_key(ec.SECP256R1()))),
    (
        "OIDC_RSA_PRIVATE_KEY_FILE",
        "oidc-rsa.pem",
        lambda: private_key_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ),
)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new file that only its owner can read: the mode is set before any byte lands."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def read_env_file(path: Path) -> dict[str, str]:
    """Return the NAME=value lines of an env file (comments and blank lines skipped)."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def secrets_ensure(directory: Path = SECRETS_DIR) -> dict[str, str]:
    """Create what is missing under `directory` (mode 0700) and return every variable to set."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    env_path = directory / ENV_FILE_NAME
    values = read_env_file(env_path)
    for name, generate in VALUES:
        values.setdefault(name, generate())
    for name, filename, generate in FILES:
        path = directory / filename
        if not path.exists():
            write_private(path, generate())
        values[name] = str(path)
    text = "# Written by `make secrets`: production secrets. Owner-only; never commit or log it.\n"
    text += "".join(f"{name}={value}\n" for name, value in values.items())
    if not env_path.exists():
        write_private(env_path, text.encode())
    elif env_path.read_text() != text:
        env_path.write_text(text)
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=SECRETS_DIR, help="where to write (default var/secrets)")
    args = parser.parse_args(argv)
    values = secrets_ensure(args.dir)
    env_path = args.dir / ENV_FILE_NAME
    print(f"# Secrets in {args.dir} (owner-only). Load them with:  set -a; . {env_path}; set +a", file=sys.stderr)
    for name, value in values.items():
        print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

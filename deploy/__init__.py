"""Production serving: secrets, the local CA, nginx and gunicorn configuration, and `make prod`."""

"""The user model: custom from the first migration, as Django advises for new projects."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in."""

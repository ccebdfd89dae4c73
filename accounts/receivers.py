"""Signal receivers: a password change or a deactivation, by whatever path, ends every credential.

The API, the admin's password forms, `manage.py changepassword` and a script's
`set_password()` + `save()` all end in `User.save()`, so that is where the change is seen:
pre_save compares the row as stored with the instance about to be written, and post_save, once
the new password or state is written, calls the service. Updates through a queryset
(`User.objects.filter(...).update(...)`) end no credential; a deactivation made that way still
stops every access token at its next use, since each scheme checks `is_active`.

Every save, delete and queryset update of users also renews the generation tag that workers'
copies of the user are checked against (accounts.user_cache).
"""

from contextvars import ContextVar

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.services.credentials import user_credentials_revoke
from accounts.signals import users_updated
from accounts.user_cache import user_changed

# (user id, reason) found by pre_save for the save in progress in this thread or task.
_ending: ContextVar[tuple[int, str] | None] = ContextVar("accounts_credentials_ending", default=None)


def _credentials_end_reason(instance, stored: dict, update_fields: frozenset[str] | None) -> str | None:
    def written(field: str) -> bool:
        return update_fields is None or field in update_fields

    if written("is_active") and stored["is_active"] and not instance.is_active:
        return "deactivated"
    # A first password ("" before) ends nothing: nobody could sign in without one.
    if written("password") and stored["password"] not in ("", instance.password):
        # check_password() upgrading the hash of the same password (new hasher or parameters)
        # saves update_fields=["password"] after clearing `_password`: not a change of password.
        if update_fields == frozenset({"password"}) and getattr(instance, "_password", None) is None:
            return None
        return "password_changed"
    return None


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.credentials_change_detect")
def credentials_change_detect(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    """Note whether this save changes the password or deactivates the user."""
    _ending.set(None)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login: no query
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    fields = None if update_fields is None else frozenset(update_fields)
    reason = _credentials_end_reason(instance, stored, fields)
    if reason is not None:
        _ending.set((instance.pk, reason))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.credentials_change_end")
def credentials_change_end(sender, instance, created: bool = False, **kwargs) -> None:
    """After the change is written: end every credential issued before it."""
    ending = _ending.get()
    _ending.set(None)
    if ending is not None and not created and ending[0] == instance.pk:
        user_credentials_revoke(user=instance, reason=ending[1])


@receiver(post_save, dispatch_uid="accounts.user_copies_saved")
@receiver(post_delete, dispatch_uid="accounts.user_copies_deleted")
def user_copies_renew(sender, instance, **kwargs) -> None:
    """A user was written or deleted: no worker may use its copy of them once this commits.

    Heard from every sender whose model is the user model: the model itself, a proxy of it, and
    the historical class a data migration (RunPython) saves through, which is another class.
    """
    if sender._meta.concrete_model._meta.label == settings.AUTH_USER_MODEL:
        user_changed(instance.pk)


@receiver(users_updated, dispatch_uid="accounts.user_copies_updated")
def user_copies_renew_all(sender, **kwargs) -> None:
    """Users were updated in bulk: no worker may use any copy once this commits."""
    user_changed(None)

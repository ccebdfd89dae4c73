"""Sign-in forms of the server-rendered pages (OAuth2 login, admin), behind the API's login limits."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from rest_framework.exceptions import APIException

from accounts.exceptions import InvalidCredentials, TooManyLoginAttempts
from accounts.services.login import credentials_check


class LoginForm(AuthenticationForm):
    """Django's login form, checked by credentials_check: one brute-force budget for every login.

    A person signing in here before consenting to an app draws on the same per-username and
    per-IP failure budget as POST /api/v1/auth/login, so the page is no way around the limits.
    """

    def clean(self) -> dict:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = credentials_check(request=self.request, username=username, password=password)
        except TooManyLoginAttempts as exc:
            raise forms.ValidationError("Too many failed sign-ins; try again later.", code="too_many_attempts") from exc
        except InvalidCredentials as exc:
            raise self.get_invalid_login_error() from exc
        except APIException as exc:
            raise forms.ValidationError("Sign-in is unavailable; try again later.", code="unavailable") from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login form, checked by credentials_check like every other password login.

    Staff accounts are the most valuable ones to guess: Django's stock admin login has no
    failure limit and writes no audit event. The staff check comes from AdminAuthenticationForm.
    """

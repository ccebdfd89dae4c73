"""clients.permissions: HasClient exempts the project's browser-session scheme, and only it."""

import pytest
from django.test import Client
from django.urls import path
from rest_framework import authentication, status
from rest_framework.response import Response
from rest_framework.views import APIView


class DRFSessionView(APIView):
    # DRF's own session class, not the project's: a view that lists it keeps the default
    # permissions (HasClient), so a browser session must not stand in for an app key here.
    authentication_classes = [authentication.SessionAuthentication]

    def get(self, request):
        return Response({"user": request.user.username})


urlpatterns = [path("drf-session", DRFSessionView.as_view())]


@pytest.mark.urls(__name__)
def test_another_session_class_does_not_exempt_a_request_from_naming_its_app(user):
    browser = Client()
    browser.force_login(user)

    response = browser.get("/drf-session")

    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["code"] == "client_required"


def test_the_projects_browser_session_is_exempt(user):
    browser = Client()
    browser.force_login(user)

    response = browser.get("/api/v1/purchases/")

    assert response.status_code == status.HTTP_200_OK

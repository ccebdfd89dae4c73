from django.urls import re_path

from signup import views

urlpatterns = [
    re_path(r"^captcha/?$", views.CaptchaView.as_view(), name="signup-captcha"),
    re_path(r"^session/?$", views.SignupSessionView.as_view(), name="signup-session"),
    re_path(r"^find-person/?$", views.FindPersonView.as_view(), name="signup-find-person"),
    re_path(r"^create-person/?$", views.CreatePersonView.as_view(), name="signup-create-person"),
]

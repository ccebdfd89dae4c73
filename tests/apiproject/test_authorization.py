import pytest
from django.test import RequestFactory

from apiproject.authorization import MalformedAuthorization, authorization_credentials


def _request(header: str | None):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize("header", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_no_header_returns_none(header):
    assert authorization_credentials(_request(header), "bearer") is None


def test_another_scheme_returns_none_even_when_malformed():
    assert authorization_credentials(_request("Digest a=1, b=2"), "bearer") is None


@pytest.mark.parametrize("header", ["Bearer abc", "bearer abc", "BEARER abc"], ids=["title", "lower", "upper"])
def test_scheme_is_case_insensitive_and_returned_lower_case(header):
    assert authorization_credentials(_request(header), "bearer", "dpop") == ("bearer", b"abc")


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b"], ids=["no-value", "two-values"])
def test_our_scheme_without_exactly_one_value_is_malformed(header):
    with pytest.raises(MalformedAuthorization):
        authorization_credentials(_request(header), "bearer")

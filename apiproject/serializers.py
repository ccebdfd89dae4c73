"""Serializers of the service views (whoami)."""

from rest_framework import serializers


class WhoAmISerializer(serializers.Serializer):
    user = serializers.CharField(allow_null=True)
    client = serializers.CharField(allow_null=True)
    schemes = serializers.ListField(child=serializers.CharField())

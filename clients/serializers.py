"""Serializers of the usage report (GET /api/v1/clients/<client_id>/usage)."""

from rest_framework import serializers


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class DayCountSerializer(CountSerializer):
    day = serializers.DateField()


class RouteCountSerializer(CountSerializer):
    route = serializers.CharField()


class ValueCountSerializer(CountSerializer):
    value = serializers.CharField()


class UsageReportSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    total = serializers.IntegerField()
    by_day = DayCountSerializer(many=True)
    by_route = RouteCountSerializer(many=True)
    by_status = serializers.DictField(child=serializers.IntegerField())
    top_user_agents = ValueCountSerializer(many=True)
    top_ips = ValueCountSerializer(many=True)

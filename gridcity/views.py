"""Platform views: the home page and the operators' heartbeat endpoint."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridcity.models import Heartbeat
from gridcity.services import heartbeat_queue


def home(request):
    return render(request, "home.html")


class HeartbeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Heartbeat
        fields = [
            "id",
            "source",
            "request_id",
            "worker_request_id",
            "queued_at",
            "ran_at",
            "worker",
        ]


class HeartbeatCreateView(APIView):
    """Queues one trip through broker and worker so an operator can watch it arrive."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(request=None, responses={202: HeartbeatSerializer})
    def post(self, request: Request) -> Response:
        beat = heartbeat_queue(source=Heartbeat.Source.REQUEST)
        return Response(HeartbeatSerializer(beat).data, status=status.HTTP_202_ACCEPTED)


class HeartbeatDetailView(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses={200: HeartbeatSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(HeartbeatSerializer(get_object_or_404(Heartbeat, pk=pk)).data)

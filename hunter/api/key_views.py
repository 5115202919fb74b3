"""Staff-only JSON management of API keys (the Django admin is the main way to manage them).

``id`` is the key's visible prefix: the stored primary key embeds the hash, which never
leaves the server. The plaintext key is in the creation response and nowhere else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hunter.api import keys
from hunter.api.models import DEFAULT_RATE_LIMIT_PER_MINUTE, MAX_RATE_LIMIT_PER_MINUTE, APIKey


class StaffOnly(permissions.BasePermission):
    """A staff session, or a key whose owner is (still) an active staff user."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if isinstance(key, APIKey):
            # Read now, not from the cached key row: losing staff rights takes effect at once.
            users = get_user_model().objects
            staff = users.filter(pk=key.owner_id or 0, is_staff=True, is_active=True)
            return key.owner_id is not None and staff.exists()
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class KeyCreateRequest(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    rate_limit_per_minute = serializers.IntegerField(
        min_value=1, max_value=MAX_RATE_LIMIT_PER_MINUTE, default=DEFAULT_RATE_LIMIT_PER_MINUTE
    )
    created_by = serializers.CharField(
        required=False, help_text="Username of the key's owner (default: the caller)"
    )

    def validate_created_by(self, value: str) -> Any:
        owner = get_user_model().objects.filter(username=value).first()
        if owner is None:
            raise serializers.ValidationError(f"No user named {value!r}.")
        return owner


class _KeyFields(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The key's visible prefix")
    name = serializers.CharField()
    rate_limit_per_minute = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)


class KeySchema(_KeyFields):
    """An API key as listed (documents the response shape)."""

    last_used_at = serializers.DateTimeField(allow_null=True)


class CreatedKeySchema(_KeyFields):
    """A new API key, with its secret (documents the response shape)."""

    api_key = serializers.CharField(help_text="The plaintext key, shown this once")
    message = serializers.CharField()


MessageSchema = inline_serializer("ApiKeyMessage", {"message": serializers.CharField()})
KEY_ID = OpenApiParameter("key_id", str, OpenApiParameter.PATH, description="The key's prefix")


def key_record(key: APIKey) -> dict[str, Any]:
    """A key as the API shows it: never its hash or its secret."""
    return {
        "id": key.prefix,
        "name": key.name,
        "rate_limit_per_minute": key.rate_limit_per_minute,
        "is_active": key.is_active and not key.revoked,
        "created_at": serializers.DateTimeField().to_representation(key.created),
        "last_used_at": serializers.DateTimeField().to_representation(key.last_used_at)
        if key.last_used_at
        else None,
        "created_by": key.owner.get_username() if key.owner else None,
    }


class APIKeyListView(APIView):
    """Every API key, newest first; POST creates one and shows its secret once."""

    permission_classes = [StaffOnly]

    @extend_schema(operation_id="api_keys_list", responses=KeySchema(many=True))
    def get(self, request: Request) -> Response:
        return Response([key_record(key) for key in keys.api_keys_list()])

    @extend_schema(request=KeyCreateRequest, responses={201: CreatedKeySchema})
    def post(self, request: Request) -> Response:
        body = KeyCreateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        caller = request.user if request.user.is_authenticated else None
        key, secret = keys.api_key_create(
            name=data["name"],
            rate_limit_per_minute=data["rate_limit_per_minute"],
            owner=data.get("created_by", caller),
        )
        record = {k: v for k, v in key_record(key).items() if k != "last_used_at"}
        message = "API key created. Store it now: it cannot be shown again."
        return Response({**record, "api_key": secret, "message": message}, status=201)


class APIKeySwitchView(APIView):
    """Switch a key on or off (revoked keys stay revoked: the admin's revoke is for good)."""

    permission_classes = [StaffOnly]
    active = True

    @extend_schema(parameters=[KEY_ID], request=None, responses=MessageSchema)
    def patch(self, request: Request, key_id: str) -> Response:
        key = keys.api_key_get(key_id=key_id)
        if key is None:
            raise exceptions.NotFound(f"API key not found: {key_id}")
        if self.active and key.revoked:
            raise serializers.ValidationError(
                {"detail": "This key was revoked, which is for good: create a new one."}
            )
        keys.api_key_set_active(key_id=key_id, active=self.active)
        state = "activated" if self.active else "deactivated"
        return Response({"message": f"API key {key_id} {state}"})

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_GET

from xinfang.api.auth import token_required
from xinfang.api.errors import json_not_allowed
from xinfang.api.v1 import api


@json_not_allowed
@token_required
@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """/api/v1/ itself: where the schema is (ninja's own root view is a bare 404)."""
    return JsonResponse({"version": "1", "openapi": reverse("api-v1:openapi-json")})


def _in_json(
    urls: tuple[list[URLPattern | URLResolver], str, str],
) -> tuple[list[URLPattern | URLResolver], str, str]:
    """ninja's URL patterns, each view answering an unserved method in Chinese JSON."""
    patterns, app_name, namespace = urls
    wrapped: list[URLPattern | URLResolver] = [
        URLPattern(p.pattern, json_not_allowed(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return wrapped, app_name, namespace


urlpatterns: list[URLPattern | URLResolver] = [
    # Before the include, so that it answers for /api/v1/; ninja still needs its own root
    # pattern to exist for reversing operation paths.
    path("v1/", index, name="api-v1-index"),
    path("v1/", _in_json(api.urls)),
]

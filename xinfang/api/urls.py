from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_GET

from xinfang.api.auth import token_required
from xinfang.api.v1 import api


@token_required
@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """/api/v1/ itself: where the schema is (ninja's own root view is a bare 404)."""
    return JsonResponse({"version": "1", "openapi": reverse("api-v1:openapi-json")})


urlpatterns: list[URLPattern | URLResolver] = [
    # Before the include, so that it answers for /api/v1/; ninja still needs its own root
    # pattern to exist for reversing operation paths.
    path("v1/", index, name="api-v1-index"),
    path("v1/", api.urls),
]

from django.urls import include, path

from xinfang.core.views import home, keepalive

urlpatterns = [
    path("", home, name="home"),
    path("keepalive/", keepalive, name="keepalive"),
    path("accounts/", include("xinfang.accounts.urls")),
    path("cases/", include("xinfang.cases.urls")),
    path("documents/", include("xinfang.documents.urls")),
    path("portal/", include("xinfang.portal.urls")),
    path("search/", include("xinfang.search.urls")),
    path("ledger/", include("xinfang.ledger.urls")),
    path("exports/", include("xinfang.exports.urls")),
    path("stats/", include("xinfang.stats.urls")),
    path("supervision/", include("xinfang.supervision.urls")),
    path("notifications/", include("xinfang.supervision.notification_urls")),
    path("batches/", include("xinfang.batches.urls")),
    path("api/", include("xinfang.api.urls")),
]

handler400 = "xinfang.core.views.bad_request"
handler403 = "xinfang.core.views.permission_denied"
handler404 = "xinfang.core.views.page_not_found"
handler500 = "xinfang.core.views.server_error"

from django.urls import path

from xinfang.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:uid>/", views.detail, name="detail"),
    path("<uuid:uid>/mapping/", views.mapping, name="mapping"),
    path("<uuid:uid>/preview/", views.preview_page, name="preview"),
    path("<uuid:uid>/rejected.xlsx", views.rejected_xlsx, name="rejected"),
    path("<uuid:uid>/discard/", views.discard, name="discard"),
]

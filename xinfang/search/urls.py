from django.urls import path

from xinfang.search import views

app_name = "search"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.xlsx", views.export, name="export"),
    path("related/", views.related, name="related"),
    path("groups/", views.groups, name="groups"),
    path("groups/refresh/", views.groups_refresh, name="groups_refresh"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("groups/<int:pk>/export.xlsx", views.group_export, name="group_export"),
]

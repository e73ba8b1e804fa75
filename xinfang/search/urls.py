from django.urls import path

from xinfang.search import views

app_name = "search"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.xlsx", views.export, name="export"),
]

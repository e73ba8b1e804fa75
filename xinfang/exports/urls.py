from django.urls import path

from xinfang.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<uuid:uid>/decide/", views.decide, name="decide"),
    path("<uuid:uid>/download/", views.download, name="download"),
]

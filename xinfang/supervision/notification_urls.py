from django.urls import path

from xinfang.supervision import views

app_name = "notifications"
urlpatterns = [
    path("", views.notifications, name="list"),
    path("read-all/", views.read_all, name="read_all"),
    path("<int:pk>/open/", views.open_notification, name="open"),
]

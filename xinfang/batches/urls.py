from django.urls import path

from xinfang.batches import views

app_name = "batches"
urlpatterns = [
    path("", views.batch_index, name="list"),
    path("new/", views.batch_new, name="new"),
    path("new/review/", views.batch_review, name="review"),
    path("<int:pk>/", views.batch_page, name="detail"),
    path("<int:pk>/notices/<uuid:uid>/", views.notice_download, name="notice"),
]

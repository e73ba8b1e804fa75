from django.urls import path

from xinfang.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("lookup/", views.lookup, name="lookup"),
    path("cases/<str:number>/", views.progress, name="progress"),
    path("cases/<str:number>/evaluate/", views.evaluate, name="evaluate"),
    path("cases/<str:number>/review/", views.review, name="review"),
    path("cases/<str:number>/notices/<uuid:uid>/", views.notice, name="notice"),
    path("staff/<str:number>/follow-up/", views.follow_up, name="follow_up"),
]

from django.urls import path

from xinfang.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("orders/new/", views.issue, name="issue"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/answer/", views.answer, name="answer"),
    path("orders/<int:pk>/review/", views.review, name="review"),
    path("listed/", views.listed, name="listed"),
    path("listed/<int:pk>/delist/", views.delist, name="delist"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/release/", views.release, name="release"),
    path("cases/<str:number>/instructions/", views.instruct, name="instruct"),
    path("cases/<str:number>/reminders/", views.remind, name="remind"),
    path("cases/<str:number>/list/", views.list_case, name="list_case"),
    path("cases/<str:number>/take/", views.take, name="take"),
]

from django.urls import path

from xinfang.documents import views

app_name = "documents"
urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/<str:kind>/", views.template_detail, name="template"),
    path("templates/<str:kind>/download/", views.template_download, name="template_download"),
    path("templates/<str:kind>/builtin/", views.builtin_download, name="template_builtin"),
    path("templates/<str:kind>/revert/", views.template_revert, name="template_revert"),
    path("<str:number>/<uuid:uid>/", views.download, name="download"),
]

from django.urls import path

from xinfang.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tables/<str:dimension>/", views.table, name="table"),
    path("units/", views.units, name="units"),
    path("cases/", views.drill, name="drill"),
    path("export/<str:table>.xlsx", views.export, name="export"),
    path("report.docx", views.report, name="report"),
]

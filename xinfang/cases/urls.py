from django.urls import path

from xinfang.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("register/", views.register, name="register"),
    path("register/person/", views.person_lookup, name="person_lookup"),
    path("due/", views.due_soon, name="due_soon"),
    path("desk/", views.desk_view, name="desk"),
    path("routing/", views.routing_rules, name="routing"),
    path("routing/<int:pk>/retire/", views.routing_rule_retire, name="routing_retire"),
    path("calendar/", views.calendar_days, name="calendar"),
    path("calendar/<str:day>/delete/", views.calendar_day_remove, name="calendar_remove"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/steps/<str:action>/", views.step, name="step"),
    path("<str:number>/notes/", views.add_note, name="add_note"),
    path("<str:number>/recusals/", views.declare_recusal, name="declare_recusal"),
    path("<str:number>/contacts/new/", views.add_contact, name="add_contact"),
    path("<str:number>/petitioners/<uuid:uid>/reveal/", views.reveal, name="reveal"),
    path("<str:number>/attachments/", views.upload_attachment, name="upload_attachment"),
    path("<str:number>/attachments/<uuid:uid>/", views.download_attachment, name="attachment"),
]

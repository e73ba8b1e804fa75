from django.contrib.auth import views as auth_views
from django.urls import include, path

from xinfang.accounts import auth_views as xf_auth_views
from xinfang.accounts import views
from xinfang.accounts.forms import LoginForm

# The 系统管理员's pages, namespaced "accounts:"; login and logout keep their global names.
# Natural keys in the addresses: unit codes and usernames are unique and never contain "/".
admin_patterns = [
    path("units/", views.unit_list, name="units"),
    path("units/<str:code>/", views.unit_edit, name="unit"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<str:username>/", views.user_detail, name="user"),
    path("users/<str:username>/unit/", views.user_unit, name="user_unit"),
    path("users/<str:username>/roles/", views.user_roles, name="user_roles"),
    path("users/<str:username>/active/", views.user_active, name="user_active"),
    path("users/<str:username>/password/", views.user_password, name="user_password"),
    # The 安全管理员's: locks and second factors.
    path("security/", views.security, name="security"),
    path("security/unlock/", views.security_unlock, name="security_unlock"),
    path(
        "security/users/<str:username>/second-factor/reset/",
        views.security_reset_second_factor,
        name="security_reset_second_factor",
    ),
]

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("second-factor/", xf_auth_views.second_factor, name="second_factor"),
    path("second-factor/setup/", xf_auth_views.second_factor_setup, name="second_factor_setup"),
    path("password/", xf_auth_views.password_change, name="password_change"),
    path("", include((admin_patterns, "accounts"))),
]

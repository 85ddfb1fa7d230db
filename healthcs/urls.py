from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views as account_views

admin.site.site_header = "HealthCS administration"
admin.site.site_title = "HealthCS admin"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account_views.account_list, name="account_list"),
    path("accounts/<str:external_id>/", account_views.account_detail, name="account_detail"),
    path("import/", account_views.import_upload, name="import_upload"),
    path("import/<int:run_id>/", account_views.import_detail, name="import_detail"),
    path("admin/", admin.site.urls),
]

"""Counter pages, mounted under /admin/counter/ (config/urls.py) and wrapped by
admin_view: login and staff status required, CSRF-protected, never cached."""

from django.contrib import admin
from django.urls import path

from families.views import batch, dashboard, intake, review, scans

app_name = "counter"


def _staff(view):
    return admin.site.admin_view(view)


urlpatterns = [
    path("intake/", _staff(intake.intake), name="intake"),
    path("intake/commitment-letter/", _staff(intake.commitment_letter), name="commitment"),
    path("queue/", _staff(review.queue), name="queue"),
    path("dashboard/", _staff(dashboard.dashboard), name="dashboard"),
    path("lookup/", _staff(review.lookup), name="lookup"),
    path("applications/<int:pk>/", _staff(review.detail), name="detail"),
    path("applications/<int:pk>/receipt/", _staff(intake.receipt), name="receipt"),
    path("applications/<int:pk>/review/", _staff(review.review), name="review"),
    path("applications/<int:pk>/withdraw/", _staff(review.withdraw), name="withdraw"),
    path("scans/<int:pk>/", _staff(scans.scan_download), name="scan"),
    path("batch/", _staff(batch.batch_index), name="batch"),
    path("batch/<int:pk>/", _staff(batch.batch_job), name="batch_job"),
    path("batch/<int:pk>/confirm/", _staff(batch.batch_confirm), name="batch_confirm"),
    path("batch/<int:pk>/progress.json", _staff(batch.batch_progress), name="batch_progress"),
    path("batch/<int:pk>/report/", _staff(batch.batch_report), name="batch_report"),
]

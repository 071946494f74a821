# Task-queue rows (django-tasks-db) are plumbing: staff follow their batch jobs on the
# 批量处理 pages, which are region-scoped; the library's unscoped admin is not offered.
from django.contrib import admin
from django_tasks_db.models import DBTaskResult

from families.admin import bindings, calendar, copay, counter, persons, policy, proofs  # noqa: F401

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)

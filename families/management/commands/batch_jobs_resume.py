"""Enqueue again the confirmed batch jobs whose worker died (SIGKILL, lost host): run it
before starting workers (scripts/worker.sh does) or from cron; it is safe at any time."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from families.services.batch.jobs import batch_jobs_resume


class Command(BaseCommand):
    help = gettext_lazy("重新排队处理中断的批量处理任务(工作进程被终止后),已完成的部分不会重复。")

    def handle(self, *args, **options):
        resumed = batch_jobs_resume()
        self.stdout.write(_("重新排队 %(n)d 个批量处理任务。") % {"n": len(resumed)})

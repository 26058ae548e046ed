"""The suite Spidermon runs when a spider closes: every monitor, then the actions.

Verdicts always go to the archive. Email goes out only when SPIDERMON_EMAIL_TO is set, the
webhook only when ARCHIVE_MONITOR_WEBHOOK_URL is: notifications are off by default.
"""

from __future__ import annotations

from typing import ClassVar

from spidermon import MonitorSuite

from crawler.monitoring.actions import EmailFailedRun, RecordChecks, WebhookFailedRun
from crawler.monitoring.monitors import ALL


class ArchiveMonitorSuite(MonitorSuite):
    monitors: ClassVar[list] = list(ALL)
    monitors_finished_actions: ClassVar[list] = [RecordChecks]

    def __init__(self, *args, crawler=None, **kwargs):
        failed = list(kwargs.pop("monitors_failed_actions", None) or [])
        if crawler is not None:
            if crawler.settings.getlist("SPIDERMON_EMAIL_TO"):
                failed.append(EmailFailedRun)
            if crawler.settings.get("ARCHIVE_MONITOR_WEBHOOK_URL"):
                failed.append(WebhookFailedRun)
        super().__init__(*args, crawler=crawler, monitors_failed_actions=failed, **kwargs)

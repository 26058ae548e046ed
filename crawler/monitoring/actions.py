"""What happens once the monitors ran: their verdicts go to the archive (`checks`), and, when
configured, a failed run is reported by email and to a webhook. Spidermon actions."""

from __future__ import annotations

import json
import smtplib
import urllib.request

from spidermon import settings as spidermon_settings
from spidermon.contrib.actions.email import SendEmail
from spidermon.contrib.actions.templates import ActionWithTemplates
from spidermon.core.actions import Action
from spidermon.exceptions import SkipAction

from crawler.archive.checks import Check, save_checks
from crawler.components.connection import CrawlArchive
from crawler.monitoring.monitors import RUN_ID_STAT


def checks_of(result) -> list[Check]:
    """Each monitor's verdict, with the rule's message (or the error that stopped it)."""
    out = []
    for item in result.monitor_results:
        monitor = item.item
        passed = item.status not in spidermon_settings.MONITOR.STATUSES.ERROR
        finding = getattr(monitor, "finding", None)
        if finding is not None:
            message = finding.message
        elif item.reason:
            message = item.reason
        elif item.error:
            message = item.error.strip().splitlines()[-1]
        else:
            message = item.status.lower()
        out.append(Check(monitor.monitor_name, passed, message))
    return out


class RecordChecks(Action):
    """Keep every monitor's verdict in the archive's `checks` table, on the run's id."""

    def run_action(self):
        run_id = self.data.stats.get(RUN_ID_STAT)
        if run_id is None:
            raise SkipAction("no archive run recorded")
        db = CrawlArchive.of(self.data.crawler).db
        save_checks(db, run_id, self.data.spider.name, checks_of(self.result))


SUBJECT = (
    "cpc-archive: {{ result.monitors_failed_results|length }} monitor(s) failed "
    "on {{ data.spider.name }} run {{ data.stats['archive/run_id'] }}"
)
BODY = """The {{ data.spider.name }} crawl (archive run {{ data.stats['archive/run_id'] }}) \
finished with failed monitors. What it fetched is archived.

{% for item in result.monitors_failed_results -%}
- {{ item.item.monitor_name }}: {{ item.reason or item.error }}
{% endfor %}
See `cpc-archive health` and `cpc-archive runs`; docs/monitoring.md says how to fix a template.
"""


class EmailFailedRun(SendEmail):
    """Spidermon's email action over plain SMTP (SPIDERMON_SMTP_*), login only when a user is
    set: a local relay or sink needs none, which Spidermon's SendSmtpEmail insists on."""

    subject = SUBJECT
    body_text = BODY
    body_html_template = None

    def __init__(self, smtp_host, smtp_port, smtp_user, smtp_password, tls, ssl, **kwargs):
        super().__init__(**kwargs)
        self.smtp = (smtp_host, smtp_port, smtp_user, smtp_password, tls, ssl)

    @classmethod
    def from_crawler_kwargs(cls, crawler):
        s = crawler.settings
        return {
            **super().from_crawler_kwargs(crawler),
            "smtp_host": s.get("SPIDERMON_SMTP_HOST") or "localhost",
            "smtp_port": s.getint("SPIDERMON_SMTP_PORT") or 25,
            "smtp_user": s.get("SPIDERMON_SMTP_USER"),
            "smtp_password": s.get("SPIDERMON_SMTP_PASSWORD"),
            "tls": s.getbool("SPIDERMON_SMTP_ENFORCE_TLS"),
            "ssl": s.getbool("SPIDERMON_SMTP_ENFORCE_SSL"),
        }

    def send_message(self, message, **kwargs):
        host, port, user, password, tls, ssl = self.smtp
        smtp_class = smtplib.SMTP_SSL if ssl else smtplib.SMTP
        # Blocking and short: the crawl is over, and a reactor-driven send could be cut off by
        # the process exiting before it completes.
        with smtp_class(host, port, timeout=30) as smtp:
            if tls:
                smtp.starttls()
            if user:
                smtp.login(user, password or "")
            recipients = [*self.to, *(self.cc or []), *(self.bcc or [])]
            smtp.send_message(message, from_addr=self.sender, to_addrs=recipients)


class WebhookFailedRun(ActionWithTemplates):
    """POST the failed run as JSON to ARCHIVE_MONITOR_WEBHOOK_URL (chat, paging, a script)."""

    def __init__(self, url: str, timeout: float = 30.0, **kwargs):
        super().__init__(**kwargs)
        self.url, self.timeout = url, timeout

    @classmethod
    def from_crawler_kwargs(cls, crawler):
        return {
            "url": crawler.settings.get("ARCHIVE_MONITOR_WEBHOOK_URL"),
            "timeout": crawler.settings.getfloat("ARCHIVE_MONITOR_WEBHOOK_TIMEOUT", 30.0),
        }

    def payload(self) -> dict:
        checks = checks_of(self.result)
        return {
            "spider": self.data.spider.name,
            "run_id": self.data.stats.get(RUN_ID_STAT),
            "text": self.render_text_template(SUBJECT),
            "failed": [
                {"monitor": c.monitor, "message": c.message} for c in checks if not c.passed
            ],
            "passed": [c.monitor for c in checks if c.passed],
        }

    def run_action(self):
        request = urllib.request.Request(
            self.url,
            data=json.dumps(self.payload(), ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()

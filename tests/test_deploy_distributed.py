"""The deploy files of a distributed crawl run the commands docs/distributed.md describes."""

from scrapy.settings import Settings

from crawler import settings as project
from tests.test_deploy import DEPLOY, unit


def env_file() -> dict[str, str]:
    lines = (DEPLOY / "fleet.env").read_text("utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_worker_unit_is_a_redis_worker_named_after_host_and_instance():
    service = unit("cpc-archive-worker@.service")["Service"]
    command = service["ExecStart"]
    assert "scrapy crawl cpc" in command
    assert "ARCHIVE_REDIS_URL=${ARCHIVE_REDIS_URL}" in command
    assert "ARCHIVE_WORKER_NAME=%H-%i" in command
    assert "ARCHIVE_DB" not in command  # a worker has no archive
    assert service["KillSignal"] == "SIGINT"
    assert service["EnvironmentFile"] == "/etc/cpc-archive/fleet.env"


def test_every_setting_the_worker_sets_exists():
    s = Settings()
    s.setmodule(project, priority="project")
    command = unit("cpc-archive-worker@.service")["Service"]["ExecStart"]
    for name in (part.split("=")[0] for part in command.split() if part.startswith("ARCHIVE_")):
        assert name in s, name


def test_archiver_unit_runs_the_one_writer_and_restarts():
    service = unit("cpc-archive-archiver.service")["Service"]
    assert "cpc-archive archiver" in service["ExecStart"]
    assert "--redis ${ARCHIVE_REDIS_URL}" in service["ExecStart"]
    assert "--db " in service["ExecStart"]
    assert service["Restart"] == "always"


def test_worker_timer_starts_workers_daily():
    timer = unit("cpc-archive-worker@.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-*")
    assert timer["Persistent"] == "true"


def test_env_file_names_the_redis_and_contact():
    env = env_file()
    assert env["ARCHIVE_REDIS_URL"].startswith("redis://")
    assert env["ARCHIVE_CONTACT"].startswith("mailto:")


def test_redis_conf_persists_and_never_evicts():
    conf = dict(
        line.split(None, 1)
        for line in (DEPLOY / "redis-cpc-archive.conf").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert conf["appendonly"] == "yes"
    assert conf["maxmemory-policy"] == "noeviction"

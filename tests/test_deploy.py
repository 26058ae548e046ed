"""The deploy files run the crawl the README documents, daily, resumably."""

import configparser
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    text = (DEPLOY / name).read_text("utf-8").replace("\\\n", " ")
    parser.read_string(text)
    return parser


def test_cron_line_runs_a_daily_incremental_crawl_with_recheck():
    lines = [
        line
        for line in (DEPLOY / "cpc-archive.cron").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == 1
    minute, hour, dom, month, dow, *command = lines[0].split()
    assert minute.isdigit() and hour.isdigit()  # once a day, at a fixed time
    assert (dom, month, dow) == ("*", "*", "*")
    assert "scrapy crawl cpc" in " ".join(command)
    assert "recheck_days=" in lines[0]
    assert "ARCHIVE_DB=" in lines[0]


def test_systemd_service_stops_with_sigint_so_the_crawl_resumes():
    service = unit("cpc-archive-crawl.service")["Service"]
    assert service["Type"] == "oneshot"
    assert "scrapy crawl cpc" in service["ExecStart"]
    assert service["KillSignal"] == "SIGINT"


def test_systemd_timer_is_daily_and_catches_up():
    timer = unit("cpc-archive-crawl.timer")
    assert timer["Timer"]["OnCalendar"].startswith("*-*-*")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"

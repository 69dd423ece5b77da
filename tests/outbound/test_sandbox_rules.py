"""The sandbox's address rules are data that tell the truth: each example picks its behaviour,
the bounce parser reads back exactly what the rule says comes back, the SMTP-time rows answer
their code, and the README shows the same table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.outbound.servers import composed
from tracking.config import SmtpSettings, TlsMode
from tracking.inbound import parse
from tracking.models import BounceKind, SendingMode
from tracking.outbound.sandbox import SandboxServer
from tracking.outbound.sandbox_rules import RULES, behaviour_for, rules_table
from tracking.outbound.smtp import SmtpTransport


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.behaviour.value)
def test_each_example_picks_its_behaviour(rule):
    assert behaviour_for(rule.example) is rule.behaviour
    assert behaviour_for(rule.example.upper()) is rule.behaviour    # any case


def test_every_behaviour_has_one_rule():
    assert len({rule.behaviour for rule in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.behaviour.value)
def test_the_parser_reads_back_what_the_rule_says(tmp_path: Path, rule):
    with SandboxServer(tmp_path / "mail") as sandbox:
        settings = SmtpSettings(host="127.0.0.1", port=sandbox.port, tls=TlsMode.NONE, timeout=5)
        with SmtpTransport(settings) as transport:
            [outcome] = transport.deliver(composed(rule.example, mode=SendingMode.RELAY,
                                                   send_id="rules-1"))
    assert str(outcome.code) == rule.at_smtp.split()[0]
    files = sorted((tmp_path / "mail" / "new").iterdir(),
                   key=lambda p: tuple(int(x) for x in p.name.split("P")[0].split(".M")))
    got = []
    for path in files:
        result = parse.parse_message(path.read_bytes())
        report = result.recipients[0]
        got.append((result.kind, None if result.kind is BounceKind.DELAY else report.reason,
                    report.status or ""))
    assert tuple(got) == rule.returns


def test_the_readme_shows_the_rules_table(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    for row in rules_table("en"):
        example, *rest = row.values()
        assert f"| `{example}` | {' | '.join(rest)} |" in readme

"""The likely correction of a mistyped address (tracking.suggest): the typos support sees, and
the real domains that must never be "corrected"."""

from __future__ import annotations

import random

import pytest

from tracking.suggest import COMMON_DOMAINS, edit_distance, suggest_address, suggest_addresses


@pytest.mark.parametrize(("typed", "expected"), [
    ("jean@outlok.com", "jean@outlook.com"),          # a missing letter
    ("jean@gmial.com", "jean@gmail.com"),             # two letters swapped
    ("jean@gmail.con", "jean@gmail.com"),             # a wrong letter in the ending
    ("jean@gmaill.com", "jean@gmail.com"),            # a letter too many
    ("jean@gmailcom", "jean@gmail.com"),              # the dot forgotten
    ("jean@hotmial.fr", "jean@hotmail.fr"),
    ("jean@outlook.co", "jean@outlook.com"),
    ("jean@yahooo.fr", "jean@yahoo.fr"),
    ("jean@orange.fe", "jean@orange.fr"),
    ("jean@wanadoo.fr.", None),                       # a trailing dot is the same domain
    ("jean@gmail.fr", "jean@gmail.com"),              # Gmail has no French domain
    ("Jean.Dupont@GMIAL.COM", "Jean.Dupont@gmail.com"),  # the name is kept as typed
])
def test_the_usual_typos_get_their_correction(typed, expected):
    assert suggest_address(typed) == expected


@pytest.mark.parametrize("real", [
    "jean@gmail.com", "jean@mail.com", "jean@gmx.fr", "jean@gmx.com", "jean@hotmail.de",
    "jean@outlook.de", "jean@laposte.fr", "jean@free.fr", "jean@sfr.fr", "jean@me.com",
])
def test_real_domains_are_never_corrected(real):
    assert suggest_address(real) is None


def test_every_common_domain_is_left_alone():
    for domain in COMMON_DOMAINS:
        assert suggest_address(f"x@{domain}") is None, domain


@pytest.mark.parametrize("hopeless", [
    "jean@atelier-inconnu.fr",     # far from everything: no guess
    "jean@gmx.fe",                 # gmx.fr and gmx.de equally close: no coin toss
    "not an address", "@gmail.com", "jean@", "",
])
def test_no_suggestion_when_there_is_no_honest_guess(hopeless):
    assert suggest_address(hopeless) is None


def test_the_accounts_own_delivered_domains_are_candidates_too():
    known = ["atelier-dubois.fr", "mairie-lyon.fr"]
    assert suggest_address("compta@atelier-dubios.fr", known) == "compta@atelier-dubois.fr"
    assert suggest_address("compta@atelierdubois.fr", known) == "compta@atelier-dubois.fr"
    # two slips in a long name with the same ending
    assert suggest_address("compta@ateleir-dubos.fr", known) == "compta@atelier-dubois.fr"
    assert suggest_address("compta@atelier-dubios.fr") is None   # not known: no guess
    assert suggest_address("compta@atelier-dubois.fr", known) is None   # already right


def test_a_domain_the_account_reached_wins_a_tie_with_a_provider():
    # `gmx.fe` is one letter from gmx.fr and gmx.de; the account delivered to gmx.de before
    assert suggest_address("jean@gmx.fe", ["GMX.DE"]) == "jean@gmx.de"


def test_edit_distance_counts_a_swap_as_one_and_stops_past_the_limit():
    assert edit_distance("gmial", "gmail") == 1
    assert edit_distance("outlok", "outlook") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("abcdef", "uvwxyz", limit=1) == 2
    assert edit_distance("", "abc") == 3


def test_many_addresses_at_once_get_what_each_would_alone():
    known = ["client-sarl.fr", "Orange-Business.fr", "gmail.com"]
    addresses = ["a@gmial.com", "b@gmial.com", "C@Client-Sarl.FR", "d@client-sarl.fr",
                 "e@cleint-sarl.fr", "no-at-sign", "@gmial.com", "f@orrange-busines.fr",
                 "g@gmail.fr", "h@hotmial.fr", "i@outlok.com.", "j@unknown-domain.test"]
    alone = [suggest_address(address, known) for address in addresses]
    assert suggest_addresses(addresses, known) == alone
    assert alone[:2] == ["a@gmail.com", "b@gmail.com"] and alone[5:7] == [None, None]
    assert alone[4] == "e@client-sarl.fr"


@pytest.mark.parametrize("limit", [0, 1, 2, 3])
def test_the_distance_with_a_limit_is_exact_up_to_it(limit):
    words = ["gmail", "gmial", "gamil", "gmai", "gmaill", "mail", "email", "hotmail", "hotmial",
             "outlook", "outlok", "ab", "ba", "", "abcdef", "badcfe"]
    for a in words:
        for b in words:
            full = edit_distance(a, b)
            assert edit_distance(a, b, limit) == (full if full <= limit else limit + 1)


def test_the_small_limit_shortcut_gives_the_tables_distance():
    # `edit_distance` under a limit of 0–2 tries the edits at the first difference instead of
    # filling the table: checked against the table on random words of a small alphabet, where
    # repeated letters, swaps and equal ends are frequent.
    from tracking.suggest import _table_distance

    chance = random.Random(12)
    for _ in range(20_000):
        a = "".join(chance.choice("abc.") for _ in range(chance.randint(0, 7)))
        b = "".join(chance.choice("abc.") for _ in range(chance.randint(0, 7)))
        full = _table_distance(a, b, max(len(a), len(b)))
        for limit in (0, 1, 2):
            assert edit_distance(a, b, limit) == min(full, limit + 1), (a, b, limit)

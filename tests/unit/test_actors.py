"""System actors are Actors: named in history like people, never authorised for anything."""

from __future__ import annotations

from comptoir.domain.actors import SYSTEM_WEBHOOK, Actor, Role


def test_a_system_actor_is_labelled_by_its_name_and_owns_nothing() -> None:
    # given the webhook acting on its own
    actor = Actor.system("webhook")
    # then history names it as before, the ledger by its bare name, and it is merchant of no shop
    assert actor == SYSTEM_WEBHOOK
    assert actor.label == "system:webhook"
    assert actor.source == "webhook"
    assert actor.role is None
    assert not actor.is_merchant_of(1)


def test_a_person_keeps_the_label_and_source_of_its_role() -> None:
    # given a merchant of shop 3
    actor = Actor(user_id=7, email="m@example.com", role=Role.MERCHANT, shop_ids=frozenset({3}))
    # then it is named "merchant:7" in history and in the ledger's source
    assert (actor.label, actor.source) == ("merchant:7", "merchant:7")
    assert actor.is_merchant_of(3)

"""The merchant's product desk (services.products) on SQLite and PostgreSQL: stock adjustments with a
reason that never take stock below zero, pictures checked by their bytes, and other shops out of reach."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from comptoir.services import products
from tests.factories import NOW, add_product, add_shop, add_user, stock_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class MemoryImages:
    """An ImageStore in memory: what was saved and what was deleted."""

    def __init__(self) -> None:
        self.saved: dict[str, bytes] = {}
        self.deleted: list[str] = []

    def save(self, data: bytes, extension: str) -> str:
        name = f"image{len(self.saved) + 1:016d}.{extension}"
        self.saved[name] = data
        return name

    def delete(self, name: str) -> None:
        self.deleted.append(name)


def test_an_adjustment_changes_the_stock_and_is_recorded_with_who_and_why(uows: SqlUnitOfWorkFactory) -> None:
    # given 5 kg of entrecôte and its merchant
    shop = add_shop(uows)
    beef = add_product(uows, shop, unit=Unit.KG, stock="5")
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    # when a delivery of 12.5 kg comes in, then 0.750 kg is thrown away
    products.adjust_stock(uows(), merchant, beef.id, "12.5", "Livraison du mardi", now=NOW)
    after = products.adjust_stock(uows(), merchant, beef.id, Decimal("-0.750"), "  Date dépassée ", now=NOW)
    # then the stock is what the two say, and the desk shows both, newest first
    assert after.stock == stock_of(uows, beef) == Decimal("16.750")
    detail = products.product_detail(uows(), merchant, beef.id)
    assert [(a.delta, a.stock_after, a.reason) for a in detail.adjustments] == [
        (Decimal("-0.750"), Decimal("16.750"), "Date dépassée"),
        (Decimal("12.500"), Decimal("17.500"), "Livraison du mardi"),
    ]
    assert detail.adjustments[0].actor == merchant.label and detail.adjustments[0].at == NOW


def test_a_removal_below_zero_is_refused_and_nothing_is_recorded(uows: SqlUnitOfWorkFactory) -> None:
    shop = add_shop(uows)
    chicken = add_product(uows, shop, stock=2)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])

    with pytest.raises(Conflict) as refused:
        products.adjust_stock(uows(), merchant, chicken.id, "-3", "Casse", now=NOW)

    assert refused.value.code == "stock_too_low" and refused.value.extra["field"] == "delta"
    assert stock_of(uows, chicken) == 2 and products.product_detail(uows(), merchant, chicken.id).adjustments == ()


def test_concurrent_removals_of_the_last_units_never_go_below_zero(uows: SqlUnitOfWorkFactory) -> None:
    # given 3 pieces, and 4 counters removing one each at the same moment
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=3)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def remove_one() -> None:
        barrier.wait()
        try:
            products.adjust_stock(uows(), merchant, product.id, "-1", "Inventaire", now=NOW)
            outcomes.append("done")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=remove_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then three are done, one is refused, and the stock is zero
    assert sorted(outcomes) == ["done", "done", "done", "refused"]
    assert stock_of(uows, product) == 0


@pytest.mark.parametrize(
    ("delta", "reason", "code"),
    [("1", "", "reason_required"), ("1", "x" * 501, "reason_required"), ("0", "Rien", "invalid_quantity"),
     ("1.5", "Demi", "invalid_quantity"), ("beaucoup", "x", "invalid_quantity"), ("1e12", "x", "stock_out_of_range")],
)  # fmt: skip
def test_adjustments_that_make_no_sense_are_refused(
    uows: SqlUnitOfWorkFactory, delta: str, reason: str, code: str
) -> None:
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=2)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])

    with pytest.raises(InvalidInput) as refused:
        products.adjust_stock(uows(), merchant, product.id, delta, reason, now=NOW)

    assert refused.value.code == code


def test_another_shops_merchant_and_customers_are_kept_out(uows: SqlUnitOfWorkFactory) -> None:
    shop, other = add_shop(uows), add_shop(uows)
    product = add_product(uows, shop)
    stranger = add_user(uows, role=Role.MERCHANT, shops=[other])
    customer = add_user(uows)

    with pytest.raises(NotFound):
        products.adjust_stock(uows(), stranger, product.id, "1", "x", now=NOW)
    with pytest.raises(NotFound):
        products.shop_products(uows(), stranger, shop.id)
    with pytest.raises(NotFound):
        products.set_image(uows(), MemoryImages(), stranger, product.id, PNG)
    with pytest.raises(Forbidden):
        products.product_detail(uows(), customer, product.id)


def test_a_picture_replaces_the_previous_one_and_a_fake_is_refused(uows: SqlUnitOfWorkFactory) -> None:
    # given a product and its merchant
    shop = add_shop(uows)
    product = add_product(uows, shop)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    images = MemoryImages()
    # when two pictures are uploaded in turn
    first = products.set_image(uows(), images, merchant, product.id, PNG)
    second = products.set_image(uows(), images, merchant, product.id, b"\xff\xd8\xff\xe0" + b"\x00" * 32)
    # then the product shows the second, and the first file is removed
    assert first.image_url == "/product-images/image0000000000000001.png"
    assert second.image_url == "/product-images/image0000000000000002.jpg"
    assert images.deleted == ["image0000000000000001.png"]
    # and a script named like a picture is refused, and nothing is stored
    with pytest.raises(InvalidInput) as refused:
        products.set_image(uows(), images, merchant, product.id, b"<script>alert(1)</script>")
    assert refused.value.code == "image_type" and len(images.saved) == 2

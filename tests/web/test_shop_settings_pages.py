"""`/merchant/shop` and `/admin/shops`: merchants set up their own shop, an admin creates shops and binds
merchants; refusals are shown beside their field, every form needs the page's CSRF token."""

from __future__ import annotations

from typing import Any

from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD, TestClient
from tests.web.support import BAKER, BUTCHER, Site, csrf_of, sign_in

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _settings_form(**changes: Any) -> dict[str, Any]:
    form = {
        "name": "Boucherie Dupont",
        "address": "3 rue des Halles, Paris",
        "opening_hours": "Mardi-samedi 8h-19h",
        "time_zone": "Europe/Paris",
        "offers_pickup": "1",
        "accepts_online": "1",
        "accepts_on_pickup": "1",
        "capture_manually": "1",
        "capture_margin_percent": "15",
        "pickup_slot_minutes": "20",
        "pickup_slot_capacity": "3",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _merchant(site: Site, email: str, slug: str) -> None:
    accounts.create_user(site.api.uow(), FAST_HASHER, email, PASSWORD, Role.MERCHANT, [slug])


def _post(client: TestClient, page: str, action: str, form: dict[str, Any], **headers: str) -> Any:
    token = csrf_of(client.get(page, headers=headers).text)
    return client.post(action, data={**form, "csrf_token": token}, headers=headers, follow_redirects=False)


def test_a_merchant_saves_their_shop_and_is_told_so(site: Site) -> None:
    # given the butcher's merchant, signed in
    shop_id = site.api.add_shop(BUTCHER)
    _merchant(site, "chef@example.com", BUTCHER)
    sign_in(site.client, "chef@example.com")
    # when they open their settings and save new ones
    page = site.client.get("/merchant/shop", headers=EN)
    assert page.status_code == 200 and 'value="Boucherie Dupont"' in page.text
    saved = _post(
        site.client, "/merchant/shop", f"/merchant/shop/{shop_id}", _settings_form(time_zone="Europe/Brussels")
    )
    # then they come back to the page, which says it is saved and shows the new settings
    assert saved.status_code == 303 and saved.headers["location"] == f"/merchant/shop?shop={shop_id}"
    page = site.client.get(saved.headers["location"], headers=FR).text
    assert "Les réglages de la boutique sont enregistrés." in page
    assert "<option selected>Europe/Brussels</option>" in page
    assert 'name="capture_margin_percent" type="number"' in page and 'value="15"' in page


def test_refusals_are_shown_beside_their_field_and_what_was_typed_stays(site: Site) -> None:
    shop_id = site.api.add_shop(BUTCHER)
    _merchant(site, "chef@example.com", BUTCHER)
    sign_in(site.client, "chef@example.com")
    # when the form comes back with a slot of 0 minutes, no way to pay and a margin that is not a number
    bad = _settings_form(pickup_slot_minutes="0", accepts_online=None, accepts_on_pickup=None, name="Chez Dupont")
    refused = _post(site.client, "/merchant/shop", f"/merchant/shop/{shop_id}", bad, **EN)
    # then the page is shown again (422), each refusal under its field, the typed name kept
    assert refused.status_code == 422
    assert 'id="pickup_slot_minutes-error">Between 5 and 240.' in refused.text
    assert 'id="accepts_online-error">Take payment online, at pickup or both.' in refused.text
    assert 'aria-describedby="pickup_slot_minutes-error" aria-invalid="true"' in refused.text
    assert 'value="Chez Dupont"' in refused.text
    # and a number that is not one is refused beside its field, in French too
    refused = _post(
        site.client, "/merchant/shop", f"/merchant/shop/{shop_id}", _settings_form(pickup_slot_capacity="deux"), **FR
    )
    assert refused.status_code == 422 and "Écrivez un nombre entier." in refused.text
    # and nothing was saved
    assert 'value="Boucherie Dupont"' in site.client.get("/merchant/shop").text


def test_a_merchant_cannot_reach_another_shop(site: Site) -> None:
    # given the baker's merchant, and the butcher's shop
    butcher = site.api.add_shop(BUTCHER)
    site.api.add_shop(BAKER)
    _merchant(site, "mie@example.com", BAKER)
    sign_in(site.client, "mie@example.com")
    # when they open and post the butcher's settings
    page = site.client.get(f"/merchant/shop?shop={butcher}")
    posted = _post(site.client, "/merchant/shop", f"/merchant/shop/{butcher}", _settings_form(name="Pris"))
    # then the shop does not exist for them, and nothing changed
    assert page.status_code == 404 and posted.status_code == 404
    assert "Boucherie Dupont" not in page.text
    admin = _admin(site)
    sign_in(admin, "root@example.com")
    assert 'value="Boucherie Dupont"' in admin.get(f"/merchant/shop?shop={butcher}").text


def test_a_form_without_the_page_s_token_is_refused(site: Site) -> None:
    shop_id = site.api.add_shop(BUTCHER)
    _merchant(site, "chef@example.com", BUTCHER)
    sign_in(site.client, "chef@example.com")

    posted = site.client.post(f"/merchant/shop/{shop_id}", data=_settings_form(name="Pris"), follow_redirects=False)

    assert posted.status_code == 403
    assert 'value="Boucherie Dupont"' in site.client.get("/merchant/shop").text


def test_customers_and_merchants_do_not_see_the_admin_page(site: Site) -> None:
    site.api.add_shop(BUTCHER)
    _merchant(site, "chef@example.com", BUTCHER)
    sign_in(site.client, "chef@example.com")

    assert site.client.get("/admin/shops").status_code == 403
    assert _post(site.client, "/merchant/shop", "/admin/shops", {"slug": "x", **_settings_form()}).status_code == 403


def test_an_admin_creates_a_shop_and_binds_its_merchant(site: Site) -> None:
    # given an admin and a merchant account bound to another shop
    site.api.add_shop(BAKER)
    _merchant(site, "chef@example.com", BAKER)
    admin = _admin(site)
    sign_in(admin, "root@example.com")
    # when the admin creates the butcher's shop
    created = _post(admin, "/admin/shops", "/admin/shops", {"slug": BUTCHER, "currency": "EUR", **_settings_form()})
    assert created.status_code == 303
    page = admin.get("/admin/shops", headers=EN).text
    assert "The shop is created." in page and f'data-slug="{BUTCHER}"' in page
    shop_id = _shop_id(site, BUTCHER)
    # and binds the merchant to it
    bound = _post(admin, "/admin/shops", f"/admin/shops/{shop_id}/merchants", {"email": "Chef@Example.com"})
    # then the merchant manages it
    assert bound.status_code == 303
    assert "Merchants: chef@example.com" in admin.get("/admin/shops", headers=EN).text
    sign_in(site.client, "chef@example.com")
    assert site.client.get(f"/merchant/shop?shop={shop_id}").status_code == 200


def test_the_admin_s_refusals_name_the_field(site: Site) -> None:
    site.api.add_shop(BUTCHER)
    admin = _admin(site)
    sign_in(admin, "root@example.com")

    taken = _post(admin, "/admin/shops", "/admin/shops", {"slug": BUTCHER, "currency": "EUR", **_settings_form()}, **EN)
    badly = _post(
        admin, "/admin/shops", "/admin/shops", {"slug": "Chez Moi", "currency": "EUR", **_settings_form()}, **EN
    )
    unknown = _post(admin, "/admin/shops", "/admin/shops/1/merchants", {"email": "nobody@example.com"}, **EN)

    assert taken.status_code == 422 and 'id="slug-error">Another shop already has this short name.' in taken.text
    assert badly.status_code == 422 and 'id="slug-error">Lower-case letters, digits and hyphens only' in badly.text
    assert unknown.status_code == 422 and "No merchant account has this email." in unknown.text


def _admin(site: Site) -> TestClient:
    """A second browser, for the admin (the site's client stays the merchant's)."""
    accounts.create_user(site.api.uow(), FAST_HASHER, "root@example.com", PASSWORD, Role.ADMIN)
    return TestClient(site.client.app)


def _shop_id(site: Site, slug: str) -> int:
    with site.api.uow() as uow:
        shop = uow.shops.get_by_slug(slug)
        assert shop is not None
        return shop.id

"""Seed 000, the Porsche accessories API (French, Express + MongoDB), on comptoir's services.

Routes as the guide's Postman walkthrough calls them: `POST /user/login`, `POST /commande/new`,
`GET /commande/{id}`, `POST /api/payment/create-checkout-session`, `POST /webhook`, and the
`/success` and `/cancel` pages Stripe sends the browser back to. Amounts are euros as JSON
numbers, statuses are the guide's French enums, errors are worded in French.

What the guide got wrong is not copied: `prix_unitaire` is only compared with the server's price
(a difference is a 409 naming the lines), and the order is marked paid by the verified webhook
or by the success page re-reading the session from Stripe, never by the redirect itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from comptoir.api.compat.common import as_problem, js_iso, major_units, tag, translated_errors
from comptoir.api.deps import CurrentActor, Door, Gateway, Hasher, Now, PaymentUow, Settings_, Tokens, Uow
from comptoir.api.problems_doc import responses
from comptoir.api.routers import payments
from comptoir.api.schemas import MAX_ID
from comptoir.domain.errors import ComptoirError, InvalidInput
from comptoir.domain.money import MAX_AMOUNT, Money
from comptoir.services import accounts, catalog
from comptoir.services.orders import ordering
from comptoir.services.orders.payment_facts import my_order_with_payments
from comptoir.services.payments import checkout
from comptoir.services.views import OrderView

TAG = tag("000")

STATUT_COMMANDE = {
    "pending": "en_attente",
    "confirmed": "confirmée",
    "ready": "expédiée",
    "completed": "expédiée",
    "cancelled": "annulée",
}
"""Our order status -> the guide's `statut_commande` (it has no separate 'ready' and 'delivered')."""

STATUT_PAIEMENT = {
    "unpaid": "en_attente",
    "processing": "en_attente",
    "paid": "payé",
    "failed": "échoué",
    "partially_refunded": "remboursé",
    "refunded": "remboursé",
}
"""Our payment status -> the guide's `statut_paiement` (a bank still confirming is still 'en_attente')."""

ADRESSE = {"rue": "line1", "ville": "city", "code_postal": "postal_code", "pays": "country"}
"""The guide's `adresse_livraison` keys -> ours (other keys are kept as they are)."""

MESSAGES = {
    "token_missing": "Non autorisé : token manquant. Envoie l'en-tête « Authorization: Bearer <token> » "
    "avec le token reçu de POST /user/login.",
    "bearer_missing": "Non autorisé : l'en-tête doit être « Authorization: Bearer <token> ». "
    "N'oublie pas le mot « Bearer » avant le token !",
    "token_expired": "Non autorisé : le token a expiré, reconnecte-toi avec POST /user/login.",
    "token_invalid": "Non autorisé : token invalide (mal copié, ou signé par un autre serveur).",
    "user_not_found": "Non autorisé : le compte de ce token n'existe plus.",
    "invalid_credentials": "Email ou mot de passe incorrect.",
    "invalid_request": "Requête invalide : vérifie les champs du corps JSON (voir « errors »).",
    "invalid_amount": "prix_unitaire a plus de décimales que l'euro n'en permet.",
    "unknown_product": "Accessoire inconnu : vérifie l'ID dans lignes_commande[].accessoire.",
    "product_unavailable": "Cet accessoire n'est plus en vente.",
    "out_of_stock": "Stock insuffisant pour cet accessoire.",
    "invalid_quantity": "Quantité invalide : un nombre entier d'accessoires, au moins 1.",
    "empty_order": "Une commande contient au moins une ligne.",
    "duplicate_product": "Chaque accessoire n'apparaît qu'une fois : additionne les quantités.",
    "delivery_address_required": "adresse_livraison est obligatoire pour une commande livrée.",
    "order_not_found": "Commande introuvable (ou elle n'est pas à toi).",
    "order_already_paid": "Cette commande est déjà payée.",
    "order_cancelled": "Cette commande est annulée.",
    "payment_processing": "Un paiement de cette commande est en cours de confirmation par la banque.",
    "hold_expired": "La réservation de cette commande a expiré : repasse la commande.",
    "order_not_payable": "Cette commande ne peut plus être payée en ligne.",
    "webhook_signature_missing": "Webhook signature verification failed : pas d'en-tête Stripe-Signature "
    "(la requête ne vient pas de Stripe).",
    "webhook_signature_invalid": "Webhook signature verification failed : la signature ne correspond pas. "
    "Vérifie STRIPE_WEBHOOK_SECRET (le whsec_ affiché par `stripe listen`).",
    "webhook_secret_unset": "Webhook signature verification failed : STRIPE_WEBHOOK_SECRET n'est pas configuré.",
    "provider_object_missing": "No such checkout session : Stripe ne connaît pas cette session "
    "(vérifie STRIPE_SECRET_KEY : la session a peut-être été créée avec un autre compte).",
    "upstream_unavailable": "Stripe est indisponible pour le moment, réessaie dans un instant.",
}
"""Our error codes -> the guide's wording, including its troubleshooting section."""


def french(exc: ComptoirError) -> Response:
    if exc.code == "price_changed":
        return _price_changed(exc)
    if exc.code == "too_many_attempts":
        wait = exc.extra.get("retry_after", 0)
        return as_problem(
            exc,
            f"Trop de tentatives de connexion ratées : réessaie dans {wait} secondes (Retry-After). "
            "Le blocage se lève tout seul.",
            title="Trop de tentatives",
        )
    detail = MESSAGES.get(exc.code, f"Requête refusée ({exc.code}) : {exc.detail}")
    title = "Non autorisé" if exc.code in _AUTH else exc.title if exc.code.startswith("webhook_") else "Requête refusée"
    return as_problem(exc, detail, title=title)


_AUTH = {"token_missing", "bearer_missing", "token_expired", "token_invalid", "user_not_found", "invalid_credentials"}


def _price_changed(exc: ComptoirError) -> Response:
    lines = [
        {
            "accessoire": str(line["product_id"]),
            "prix_envoye": major_units(line["sent"], "EUR"),
            "prix_actuel": major_units(line["current"], "EUR"),
        }
        for line in exc.extra.get("lines", [])
    ]
    return as_problem(
        exc,
        "Le prix_unitaire envoyé ne correspond pas au prix actuel de l'accessoire : le serveur calcule "
        "les prix lui-même. Renvoie la commande avec les prix actuels (ou sans prix_unitaire).",
        title="Prix modifié",
        extra={"lines": lines},
    )


router = APIRouter(tags=[TAG], route_class=translated_errors(french))


# --- shapes ------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class ConnexionIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "client@example.com", "password": "motdepasse123"}]}
    )

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class Utilisateur(BaseModel):
    id: str
    email: str


class ConnexionOut(BaseModel):
    message: str = Field(examples=["client@example.com est connecté"])
    token: str = Field(description="Send it as `Authorization: Bearer <token>`.")
    user: Utilisateur


class LigneIn(_In):
    accessoire: int | str = Field(description="The accessory's (product's) id.")
    quantite: int = Field(ge=1, le=10_000)
    prix_unitaire: Decimal | None = Field(
        default=None,
        ge=0,
        le=Decimal(MAX_AMOUNT).scaleb(-2),
        description="Euros. Only compared: a price that is not the server's is refused with 409.",
    )


class CommandeIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lignes_commande": [
                        {"accessoire": "1", "quantite": 2, "prix_unitaire": 250.00},
                        {"accessoire": "2", "quantite": 1, "prix_unitaire": 750.00},
                    ],
                    "adresse_livraison": {
                        "rue": "123 Avenue des Champs",
                        "ville": "Paris",
                        "code_postal": "75008",
                        "pays": "France",
                    },
                }
            ]
        }
    )

    lignes_commande: list[LigneIn] = Field(min_length=1, max_length=100)
    adresse_livraison: dict[str, Any] | None = None


class CommandeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(serialization_alias="_id")
    user: str
    lignes_commande: list[str] = Field(description="Ids of the order's lines.")
    montant_total: float = Field(description="Euros, computed by the server.")
    statut_commande: str = Field(description="en_attente | confirmée | expédiée | annulée")
    statut_paiement: str = Field(description="en_attente | payé | échoué | remboursé")
    stripe_session_id: str | None = None
    adresse_livraison: dict[str, Any] | None = None
    createdAt: str | None


class PaiementIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"commandeId": "ord_…"}]})

    commandeId: str = Field(max_length=40)


class PaiementOut(BaseModel):
    url: str = Field(description="Stripe's hosted payment page for this order.")


# --- routes ------------------------------------------------------------------------------------


@router.post(
    "/user/login",
    summary="Se connecter (seed 000): email et mot de passe -> token",
    responses=responses(401, 422, 429),
)
def login(body: ConnexionIn, uow: Uow, hasher: Hasher, tokens: Tokens, door: Door) -> ConnexionOut:
    session = accounts.log_in(uow, hasher, tokens, door, body.email, body.password)
    user = session.user
    return ConnexionOut(
        message=f"{user.email} est connecté",
        token=session.token.token,
        user=Utilisateur(id=str(user.id), email=user.email),
    )


@router.post(
    "/commande/new",
    status_code=status.HTTP_201_CREATED,
    summary="Créer une commande d'accessoires (seed 000): le serveur calcule les prix",
    responses=responses(401, 409, 422),
)
def new_order(body: CommandeIn, actor: CurrentActor, uow: Uow, now: Now, settings: Settings_) -> CommandeOut:
    product_ids = [_product_id(line.accessoire) for line in body.lignes_commande]
    shop = catalog.shop_of_product(uow, product_ids[0])
    command = ordering.PlaceOrder(
        shop=shop.slug,
        lines=[
            ordering.LineRequest(product_id, line.quantite, _minor(line.prix_unitaire, shop.currency))
            for product_id, line in zip(product_ids, body.lignes_commande, strict=True)
        ],
        payment_method="online",
        delivery_address=_address(body.adresse_livraison) if body.adresse_livraison is not None else None,
    )
    return _commande(ordering.place_order(uow, actor, command, now(), hold_minutes=settings.hold_minutes))


@router.get(
    "/commande/{commande_id}", summary="Lire une de ses commandes (seed 000)", responses=responses(401, 404, 422)
)
def get_order(commande_id: str, actor: CurrentActor, uow: PaymentUow) -> CommandeOut:
    found = my_order_with_payments(uow, actor, commande_id)
    return _commande(found.order, stripe_session_id=found.payments.checkout_session_id)


@router.post(
    "/api/payment/create-checkout-session",
    summary="Créer la session de paiement Stripe d'une commande (seed 000)",
    responses=responses(401, 404, 409, 422),
)
def create_checkout_session(
    body: PaiementIn, actor: CurrentActor, uow: PaymentUow, gateway: Gateway, now: Now, settings: Settings_
) -> PaiementOut:
    base = settings.public_url.rstrip("/")
    urls = checkout.CheckoutUrls(
        success_url=f"{base}/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}/cancel?order_id={body.commandeId}",
    )
    link = checkout.start_checkout(uow, gateway, actor, body.commandeId, urls=urls, now=now())
    return PaiementOut(url=link.url)


router.add_api_route(
    "/webhook",
    payments.stripe_webhook,
    methods=["POST"],
    summary="Webhook Stripe (seed 000, `stripe listen --forward-to localhost:3000/webhook`): same as /webhooks/stripe",
    responses=responses(400, 503),
)


# --- mapping -----------------------------------------------------------------------------------


def _product_id(value: int | str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
        raise InvalidInput(f"no product {text[:40]!r}", code="unknown_product", product_id=text[:40])
    return int(text)


def _minor(euros: Decimal | None, currency: str) -> int | None:
    return None if euros is None else Money.from_major(euros, currency).amount


def _address(adresse: Mapping[str, Any]) -> dict[str, Any]:
    return {ADRESSE.get(key, key): value for key, value in adresse.items()}


def _adresse(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    back = {ours: theirs for theirs, ours in ADRESSE.items()}
    return {back.get(key, key): value for key, value in address.items()}


def _commande(order: OrderView, *, stripe_session_id: str | None = None) -> CommandeOut:
    return CommandeOut(
        id=order.id,
        user=str(order.customer_id),
        lignes_commande=[str(line.id) for line in order.lines],
        montant_total=major_units(order.total, order.currency),
        statut_commande=STATUT_COMMANDE[order.status.value],
        statut_paiement=STATUT_PAIEMENT[order.payment_status.value],
        stripe_session_id=stripe_session_id,
        adresse_livraison=_adresse(order.delivery_address),
        createdAt=js_iso(order.created_at),
    )

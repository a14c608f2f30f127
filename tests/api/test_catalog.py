"""The catalog: a brand creates and edits its own products; anyone reads them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import ADMIN_TOKEN, Api


@pytest.fixture
async def brand(api: Api) -> dict[str, Any]:
    return await api.create_account("brand", "Aurora Beauty")


async def test_brand_creates_a_product_and_anyone_reads_it(api: Api, brand: dict[str, Any]) -> None:
    product = await api.create_product(brand["token"], sku="LIP-1", image_url="https://cdn.example/l.png")
    assert product["brand_id"] == brand["id"]
    assert (product["price_cents"], product["currency"], product["stock"], product["commission_bps"]) == (
        1900,
        "EUR",
        10,
        1000,
    )
    no_reviews = {"count": 0, "average": None, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}
    assert await api.call("GET", f"/api/products/{product['id']}", 200) == {**product, "reviews": no_reviews}
    listing = await api.call("GET", "/api/products", 200)
    assert [p["id"] for p in listing["products"]] == [product["id"]]


async def test_products_can_be_listed_per_brand(api: Api, brand: dict[str, Any]) -> None:
    other = await api.create_account("brand", "Other")
    mine = await api.create_product(brand["token"], sku="A")
    await api.create_product(other["token"], sku="A")
    listing = await api.call("GET", f"/api/products?brand_id={brand['id']}", 200)
    assert [p["id"] for p in listing["products"]] == [mine["id"]]


async def test_duplicate_sku_for_one_brand_is_a_conflict(api: Api, brand: dict[str, Any]) -> None:
    await api.create_product(brand["token"], sku="LIP-1")
    body = {"sku": "LIP-1", "title": "Again", "price_cents": 1, "currency": "EUR", "stock": 1, "commission_bps": 0}
    error = await api.call("POST", "/api/products", 409, token=brand["token"], json=body)
    assert error["error"] == {"code": "conflict", "message": error["error"]["message"], "sku": "LIP-1"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": 19.5}, "price_cents"),
        ({"price_cents": "1900"}, "price_cents"),
        ({"stock": True}, "stock"),
        ({"currency": "eur"}, "currency"),
        ({"commission_bps": 10001}, "commission_bps"),
        ({"sku": "has space"}, "sku"),
        ({"title": ""}, "title"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_invalid_products_get_field_details(
    api: Api, brand: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    body = {"sku": "S", "title": "T", "price_cents": 1, "currency": "EUR", "stock": 1, "commission_bps": 0, **change}
    error = await api.call("POST", "/api/products", 400, token=brand["token"], json=body)
    assert field in error["error"]["fields"]


async def test_only_brands_create_products(api: Api) -> None:
    host = await api.create_account("host", "Mia")
    body = {"sku": "S", "title": "T", "price_cents": 1, "currency": "EUR", "stock": 1, "commission_bps": 0}
    await api.call("POST", "/api/products", 401, json=body)
    await api.call("POST", "/api/products", 403, token=host["token"], json=body)
    await api.call("POST", "/api/products", 403, token=ADMIN_TOKEN, json=body)


async def test_brand_edits_stock_price_and_commission(api: Api, brand: dict[str, Any]) -> None:
    product = await api.create_product(brand["token"])
    patched = await api.call(
        "PATCH",
        f"/api/products/{product['id']}",
        200,
        token=brand["token"],
        json={"stock": 3, "price_cents": 2500, "commission_bps": 1500},
    )
    assert (patched["stock"], patched["price_cents"], patched["commission_bps"]) == (3, 2500, 1500)
    assert patched["sku"] == product["sku"]
    read = await api.call("GET", f"/api/products/{product['id']}", 200)
    assert read.pop("reviews")["count"] == 0  # the review summary is added to the product (tests/api/test_reviews.py)
    assert read == patched


async def test_patch_rules(api: Api, brand: dict[str, Any]) -> None:
    product = await api.create_product(brand["token"])
    other = await api.create_account("brand", "Other")
    path = f"/api/products/{product['id']}"
    await api.call("PATCH", path, 401, json={"stock": 1})
    forbidden = await api.call("PATCH", path, 403, token=other["token"], json={"stock": 1})
    assert forbidden["error"]["message"] == "a brand may edit only its own products"
    empty = await api.call("PATCH", path, 400, token=brand["token"], json={})
    assert "body" in empty["error"]["fields"]
    sku = await api.call("PATCH", path, 400, token=brand["token"], json={"sku": "NEW"})
    assert sku["error"]["fields"] == {"sku": "unknown field"}
    for required in ("title", "price_cents", "stock", "commission_bps"):
        cleared = await api.call("PATCH", path, 400, token=brand["token"], json={required: None})
        assert cleared["error"]["fields"] == {required: "Value error, cannot be null"}
    optional = await api.call("PATCH", path, 200, token=brand["token"], json={"description": None})
    assert optional["description"] is None
    await api.call("PATCH", path, 200, token=ADMIN_TOKEN, json={"stock": 7})
    await api.call("PATCH", "/api/products/prd_missing", 404, token=brand["token"], json={"stock": 1})


async def test_unknown_product_is_404(api: Api) -> None:
    error = await api.call("GET", "/api/products/prd_missing", 404)
    assert error["error"] == {"code": "not_found", "message": "no such product", "product_id": "prd_missing"}

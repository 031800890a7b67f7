"""The catalog: CSV parsing, reloading on change, and which products a message is about."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voidmail import catalog, config
from voidmail.errors import ConfigError

SHIPPED = config.DATA_DIR / "catalog.csv"


@pytest.fixture
def shop() -> catalog.Catalog:
    return catalog.Catalog(SHIPPED)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("¿Tienen buzos negros en talle L?", "BUZ-001"),
        ("hola el jean mom viene en 44?", "JEA-001"),
        ("precio de las remeras oversize", "REM-002"),
        ("QUIERO UNA CAMPERA VERDE", "CAM-002"),
        ("camisa de lino celeste", "CAMI-001"),
        ("la pollera de jean negra", "POL-001"),
    ],
)
def test_relevant_products_handle_plurals_accents_colours(
    shop: catalog.Catalog, text: str, first: str
) -> None:
    found = shop.relevant(text)
    assert found[0].sku == first
    assert len(found) <= catalog.TOP


def test_a_product_named_in_full_leaves_its_weak_neighbours_out(shop: catalog.Catalog) -> None:
    # Both are buzos; the customer names one of them, and the other is no help.
    assert [p.sku for p in shop.relevant("¿El buzo cuello redondo azul marino en L?")] == [
        "BUZ-002"
    ]
    # A question about buzos in general keeps both.
    assert {p.sku for p in shop.relevant("¿Tienen buzos en talle L?")} == {"BUZ-001", "BUZ-002"}


@pytest.mark.parametrize("text", ["¿hacen envíos a todo el país?", "negro talle M", ""])
def test_no_product_named_means_no_products(shop: catalog.Catalog, text: str) -> None:
    assert shop.relevant(text) == []


def test_excerpt_is_capped(shop: catalog.Catalog) -> None:
    assert len(shop.excerpt(shop.products)) <= catalog.MAX_EXCERPT
    assert len(shop.excerpt(shop.products, limit=300)) <= 300
    line = shop.products[0].line()
    assert "$12500" in line
    assert "talles S,M,L,XL" in line


def test_prices_in_whole_units() -> None:
    assert catalog.price_value("12.500") == 12500
    assert catalog.price_value("$ 12.500,00") == 12500
    assert catalog.price_value("1.250.000") == 1250000
    assert catalog.price_value("sin precio") is None


def test_unquoted_comma_in_the_description_is_kept() -> None:
    products = catalog.parse(
        "sku,name,category,price,sizes,colors,stock,description\n"
        "A1,Remera,remeras,100,S|M,negro,3,Algodón, corte recto\n"
    )
    assert products[0].description == "Algodón, corte recto"
    assert products[0].sizes == ("S", "M")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("sku,name,price\nA,B,1\n", "lacks category"),
        ("sku,name,category,price,sizes,colors,stock,description\nA,,c,1,,,,\n", "no name"),
        ("sku,name,category,price,sizes,colors,stock,description\nA,B\n", "line 2"),
    ],
)
def test_bad_files_are_configuration_errors(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        catalog.parse(text)


def test_reloads_when_the_file_changes_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    header = "sku,name,category,price,sizes,colors,stock,description\n"
    path.write_text(header + "A1,Remera roja,remeras,100,S,rojo,1,\n", encoding="utf-8")
    shop = catalog.Catalog(path)
    assert [p.sku for p in shop.relevant("remera roja")] == ["A1"]

    path.write_text(header + "B2,Buzo azul,buzos,200,M,azul,1,\n", encoding="utf-8")
    os.utime(path, ns=(1, 10**18))  # a new mtime, whatever the file system's resolution
    assert [p.sku for p in shop.relevant("buzo azul")] == ["B2"]
    assert shop.prices() == {200}

    path.write_text("not,a,catalog\n", encoding="utf-8")
    os.utime(path, ns=(1, 2 * 10**18))
    assert [p.sku for p in shop.relevant("buzo azul")] == ["B2"]


def test_missing_file_at_start_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        catalog.Catalog(tmp_path / "absent.csv")

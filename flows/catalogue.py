"""Loading the catalogue (flows/catalogue.yaml) into model objects, with a region's maatwerk."""

from __future__ import annotations

import functools
from pathlib import Path

from flows.build import build_catalogue, catalogue_problems
from flows.errors import CatalogueError
from flows.fields import Invalid
from flows.maatwerk import apply_maatwerk
from flows.model import Catalogue
from flows.yamlfile import read_yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")


def load_catalogue(maatwerk: Path | None = None) -> Catalogue:
    """The method, optionally adapted by a region's maatwerk file.

    The plain catalogue is read once per process; a maatwerk file is read on every call so that
    an admin's fix takes effect on the next load.
    """
    base = _default_catalogue()
    if maatwerk is None:
        return base
    return apply_maatwerk(base, maatwerk)


@functools.cache
def _default_catalogue() -> Catalogue:
    return read_catalogue(CATALOGUE_PATH)


def read_catalogue(path: Path) -> Catalogue:
    data = read_yaml(path)
    try:
        catalogue = build_catalogue(data)
    except Invalid as error:
        raise CatalogueError(path, [error.problem]) from None
    problems = catalogue_problems(catalogue)
    if problems:
        raise CatalogueError(path, problems)
    return catalogue

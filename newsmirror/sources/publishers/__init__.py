"""Publishers archived directly: one module per publisher, found here automatically.

Each module of this package declares one :class:`~newsmirror.sources.base.Publisher`
subclass with a ``name`` (and the page object reading its pages). Adding a module is
all it takes to get a spider of that name (``scrapy list``); no registry to edit.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from newsmirror.sources.base import Publisher


def all_publishers() -> dict[str, type[Publisher]]:
    """Every publisher declared in this package, by name, in module order."""
    found: dict[str, type[Publisher]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Publisher)
                and obj.__module__ == module.__name__
                and "name" in obj.__dict__
            ):
                if obj.name in found:
                    raise ValueError(
                        f"two publishers are named {obj.name!r}: "
                        f"{found[obj.name].__module__} and {module.__name__}"
                    )
                found[obj.name] = obj
    return found

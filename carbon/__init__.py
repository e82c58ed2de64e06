"""parkcarbon: carbon accounting and carbon-peak scenarios for industrial parks.

>>> import carbon
>>> inventory = carbon.account("activities.csv", facilities="facilities.csv")  # doctest: +SKIP
>>> inventory.summary()["total"]                                                # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from .accounting import account
from .errors import CarbonError, FactorFallbackWarning, InputError
from .factors import library
from .inventory import Inventory

try:
    __version__ = version("parkcarbon")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["CarbonError", "FactorFallbackWarning", "InputError", "Inventory", "__version__",
           "account", "library"]

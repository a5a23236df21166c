"""artoiscast: podcast hosting and RSS publishing for Radioscopie de l'Artois."""

__version__ = "0.1.0"

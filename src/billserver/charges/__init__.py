"""Application billing: ``/v1/charges`` for the ``service`` role."""

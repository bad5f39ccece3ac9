"""A stock DRF baseline over the product's models, for comparison only:
ModelViewSet, ModelSerializer with the list's fields, PageNumberPagination.
Mounted by its own settings and urls so it is not part of the product."""

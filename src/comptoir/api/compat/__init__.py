"""Compatibility routers: the seed documents' routes and shapes, mapped onto comptoir's services.

Each module speaks one seed's dialect (field names, French statuses, euros as numbers) and calls
the same service functions as the native API: no pricing, payment or fulfilment rule lives here.
Where a seed trusted the client (a price, a success URL), the service's check answers instead.
"""

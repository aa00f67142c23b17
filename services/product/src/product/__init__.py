"""Product catalogue service: REST API over the product table; publishes ProductPriceChanged."""

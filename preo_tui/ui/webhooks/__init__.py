"""``:webhooks`` — webhook endpoints, their deliveries, retry and secret rotation."""

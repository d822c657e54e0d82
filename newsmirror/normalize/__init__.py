"""Pure normalisation functions: no I/O, no Scrapy. Each module has one concern."""

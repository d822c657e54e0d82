"""newsmirror's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` with exit codes."""

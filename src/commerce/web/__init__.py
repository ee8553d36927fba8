"""The storefront (and later the operations console): static pages over the public API,
served by the gateway's own app (docs/adr/0130). No domain, no server-side rendering."""

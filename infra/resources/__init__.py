"""One Pulumi dynamic resource per VAST object; the providers are thin."""

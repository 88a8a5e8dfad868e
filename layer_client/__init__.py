"""Typed Python client for the Layer.ai GraphQL API."""

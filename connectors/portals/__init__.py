"""connectors/portals"""

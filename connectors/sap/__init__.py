"""connectors/sap"""
